"""mitmproxy script: serve postmock mocks, each on its own port, as `postmock serve` does
(the checkout's entry point; `postmock addon mock` names the installed one).

    mitmdump -s addons/mock.py [--set postmock_mock=NAME[,NAME...]] [--set postmock_home=DIR]

Without --mode, every mock listens at its own URL (http://127.0.0.1:PORT); with one mock and
your own `--mode reverse:...@PORT`, that mock answers there. A mock set to record misses
saves them to history (with the recorder's postmock_record_* / postmock_redact_* options).
"""

import sys
from pathlib import Path

try:
    from postmock_core.mitm.addons import mock_addons
except ImportError:
    # Run from a checkout where postmock is not installed: the package sits beside addons/.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from postmock_core.mitm.addons import mock_addons

addons = mock_addons()
