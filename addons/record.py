"""mitmproxy script: record every exchange into postmock history.

    mitmdump -s addons/record.py [--set postmock_home=DIR] [--set postmock_record_filter=EXPR]
    mitmdump -s addons/record.py --set postmock_mode=mock --set postmock_mock=NAME   # mock its hosts
"""

import sys
from pathlib import Path

try:
    from postmock_core.mitm.mockserver import MockServer
    from postmock_core.mitm.recorder import Recorder
except ImportError:
    # Run from a checkout where postmock is not installed: the package sits beside addons/.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from postmock_core.mitm.mockserver import MockServer
    from postmock_core.mitm.recorder import Recorder

# The MockServer stays idle until --set postmock_mode=mock (at start or at runtime).
addons = [Recorder(), MockServer()]
