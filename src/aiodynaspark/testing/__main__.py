"""Run the emulator in the foreground: ``python -m aiodynaspark.testing``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
