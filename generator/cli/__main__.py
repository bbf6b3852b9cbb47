"""`python -m generator.cli`: the `sovereign` command."""

import sys

from generator.cli import main

sys.exit(main())
