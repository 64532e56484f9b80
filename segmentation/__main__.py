"""Entry point of `python -m segmentation`."""
import sys

from .cli import main

sys.exit(main())
