"""mitmproxy script: record every exchange into postmock history (the checkout's entry point).

    mitmdump -s addons/record.py [--set postmock_home=DIR] [--set postmock_record_filter=EXPR]
    mitmdump -s addons/record.py --set postmock_mode=mock --set postmock_mock=NAME   # mock its hosts

The same addons as the installed script that `postmock addon record` names.
"""

import sys
from pathlib import Path

try:
    from postmock_core.mitm.addons import record_addons
except ImportError:
    # Run from a checkout where postmock is not installed: the package sits beside addons/.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from postmock_core.mitm.addons import record_addons

# The mock server stays idle until --set postmock_mode=mock (at start or at runtime).
addons = record_addons()
