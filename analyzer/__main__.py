"""`python -m analyzer`: the command line."""

import sys

from analyzer.cli.main import main

sys.exit(main())
