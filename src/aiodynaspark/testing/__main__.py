"""Run the emulator in the foreground: ``python -m aiodynaspark.testing [OPTIONS]``.

The same command as ``aiodynaspark emulator``, with the same options: one command line.
"""

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(["emulator", *sys.argv[1:]]))
