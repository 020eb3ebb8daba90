"""The `carnivore` command: thin commands over the project's own functions.

No module here imports Dagster (about 3.5 s of imports) or SQLAlchemy at import time:
commands that do not run a job answer at once, and a test keeps it so.
"""

import atexit
import gc

import click

from carnivore_orchestration.cli import alerts, benchmarks, contract, database, engagement, pipeline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Carnivore Weekly's data pipeline: the database, the weekly import and the homepage grid.

    Uses the server in CARNIVORE_DATABASE_URL, or else an embedded PostgreSQL kept
    under CARNIVORE_HOME (default: .carnivore/ in the project), started on demand.
    """


for command in (*pipeline.COMMANDS, engagement.engagement, alerts.alerts, *database.COMMANDS, *contract.COMMANDS,
                *benchmarks.COMMANDS):
    main.add_command(command)


def run() -> None:
    """The console script (and `python -m carnivore_orchestration.cli`)."""
    # A command that ran a job ends with Dagster's modules and definitions in memory,
    # millions of objects that the interpreter's last garbage collections at exit walk
    # one by one: 0.36 s of every such command. Frozen, they are left for the process's
    # end to free. Nothing is lost: the commands close their connections and files
    # themselves, and objects with finalizers die by reference counting as before.
    atexit.register(gc.freeze)
    main()
