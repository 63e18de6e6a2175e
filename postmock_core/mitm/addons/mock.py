"""mitmproxy script: serve postmock mocks, each on its own port, as `postmock serve` does.

    mitmdump -s "$(postmock addon mock)" [--set postmock_mock=NAME[,NAME...]] [--set postmock_home=DIR]

Without --mode, every mock listens at its own URL (http://127.0.0.1:PORT); with one mock and
your own `--mode reverse:...@PORT`, that mock answers there. A mock set to record misses
saves them to history (with the recorder's postmock_record_* / postmock_redact_* options).

Run it with the mitmdump or mitmweb installed beside postmock, which can import it.
"""

from postmock_core.mitm.addons import mock_addons

addons = mock_addons()
