"""``python -m searchkit.cli``: the command line."""

from . import main

main()
