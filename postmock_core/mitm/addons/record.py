"""mitmproxy script: record every exchange into postmock history.

    mitmdump -s "$(postmock addon record)" [--set postmock_home=DIR] [--set postmock_record_filter=EXPR]
    mitmdump --mode reverse:https://api.example.com -s "$(postmock addon record)"
    mitmdump -s "$(postmock addon record)" --set postmock_mode=mock --set postmock_mock=NAME   # mock its hosts

Run it with the mitmdump or mitmweb installed beside postmock, which can import it.
"""

from postmock_core.mitm.addons import record_addons

addons = record_addons()
