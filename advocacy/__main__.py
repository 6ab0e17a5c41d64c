"""``python -m advocacy`` is the ``advocacy`` command."""

from .cli import main

main()
