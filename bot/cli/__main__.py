"""`python -m bot.cli`: the same command line as the installed `weekbot`."""

import sys

from bot.cli.main import main

sys.exit(main())
