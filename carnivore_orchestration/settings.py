"""Where the project keeps its state, read from the environment.

Every process (the CLI, `dg dev`, run workers, tests) resolves these the same way, so
they all find the same embedded server and the same data.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout this package runs from; an installed wheel has no checkout, and then
# the current directory stands in for it.
_CHECKOUT = PACKAGE_DIR.parent
PROJECT_ROOT = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd()

DATABASE_URL_ENV = "CARNIVORE_DATABASE_URL"
HOME_ENV = "CARNIVORE_HOME"


def carnivore_home() -> Path:
    """The folder for local state: the embedded server's data among it."""
    configured = os.environ.get(HOME_ENV)
    home = Path(configured).expanduser() if configured else PROJECT_ROOT / ".carnivore"
    return home.resolve()


def configured_database_url() -> str | None:
    """The server the operator pointed us at, or None to use the embedded one."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    return url or None


def sql_dir() -> Path:
    """The migrations: `sql/` in a checkout, or the copy packaged into a wheel."""
    packaged = PACKAGE_DIR / "_sql"
    return packaged if packaged.is_dir() else PROJECT_ROOT / "sql"


# What Dagster's own run_failure_sensor warns on every load (it passes a beta parameter):
# silenced in our processes, since nobody can act on it.
OWNERS_WARNING = "Parameter `owners`"

# The sample weeks that ship with the project; CARNIVORE_CONTENT_DIR points elsewhere.
BUNDLED_CONTENT_DIR = PROJECT_ROOT / "data" / "analyzed_content"
