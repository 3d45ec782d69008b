"""``python -m searchkit``: the command line."""

from .cli import main

main()
