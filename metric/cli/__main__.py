"""`python -m infomem.cli`: the infomem command."""

import sys

from infomem.cli import main

sys.exit(main())
