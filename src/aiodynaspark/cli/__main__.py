"""Run the command line as ``python -m aiodynaspark.cli``."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
