"""``python -m appdeploy`` runs the command line."""

import sys

from appdeploy.cli.main import main

sys.exit(main())
