"""`python -m contacts_app ...` runs the command line (see cli.py)."""

import sys

from contacts_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
