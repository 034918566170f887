"""`python -m atlas`: the same command line as the `atlas` console script (atlas.cli)."""

import sys

from atlas.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m atlas"))
