"""`python -m recoup.entrypoints.cli` runs the `recoup` command."""

from recoup.entrypoints.cli.app import main

main()
