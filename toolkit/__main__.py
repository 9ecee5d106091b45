"""``python -m toolkit`` runs the ``oneonone`` command line."""

from toolkit.cli import main

main(prog_name="oneonone")
