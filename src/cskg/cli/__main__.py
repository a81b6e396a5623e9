"""`python -m cskg.cli`: the `cskg` command."""

import sys

from cskg.cli import main

sys.exit(main())
