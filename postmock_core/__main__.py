import sys

from postmock_core.cli import main

sys.exit(main())
