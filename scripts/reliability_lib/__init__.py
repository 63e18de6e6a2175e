"""Fault, load, fuzz and secrets harnesses shared by the test suite and `scripts/reliability`.

Each harness runs real processes on 127.0.0.1 (mitmdump, `postmock serve`, the sample API, the
`postmock` CLI) against a real workspace, with every loop bounded in count and time, and returns
a report of what it measured. Tests call them small and assert on the report; the script calls
them at full size and prints the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The process helpers live with the tests (tests/support); make them importable from the script.
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))
