"""The ``oneonone`` command line: thin click adapters, one module per command group.

Every command parses its options, calls one library function, and prints what it did. Exit codes,
for every command: 0 success; 1 the command ran and found problems (rows that fail validation, a
survey that breaks the format); 2 unusable input or arguments (a file that is missing or
unreadable, a table without the survey's columns), with one paragraph naming the file, row and
column, never a traceback.

- :mod:`toolkit.cli.survey`: ``survey check|codebook|export|diff``, ``validate``;
- :mod:`toolkit.cli.ingest`: ``ingest``;
- :mod:`toolkit.cli.analyse`: ``score``, ``compare``, ``power``;
- :mod:`toolkit.cli.publish`: ``release``, ``report``, ``extract``;
- :mod:`toolkit.cli.run`: ``run`` (the quarter);
- :mod:`toolkit.cli.simulate`: ``simulate``.
"""

from __future__ import annotations

import click

from toolkit.cli import analyse, ingest, publish, run, simulate, survey

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="one-on-one-toolkit", prog_name="oneonone")
def main() -> None:
    """Survey and research toolkit for manager 1:1s.

    Exit codes: 0 success, 1 problems found (failing rows, a malformed survey),
    2 unusable input.
    """


for command in (
    survey.survey,
    survey.validate_cmd,
    simulate.simulate_cmd,
    ingest.ingest_cmd,
    analyse.score_cmd,
    analyse.compare_cmd,
    analyse.power_cmd,
    publish.release_cmd,
    publish.report_cmd,
    publish.extract_cmd,
    run.run_cmd,
):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
