"""The Dagster code location loads, and its resources take their values from the
environment variables a deployment sets, or their defaults."""

import ast
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from carnivore_orchestration.definitions import defs
from carnivore_orchestration.resources import (
    AlertsResource,
    ContentSource,
    PostgresResource,
    resources_from_environment,
)
from carnivore_orchestration.settings import BUNDLED_CONTENT_DIR

VARIABLES = ["CARNIVORE_DATABASE_URL", "CARNIVORE_CONTENT_DIR", "CARNIVORE_WEBHOOK_URL", "CARNIVORE_ONCALL_WEBHOOK_URL",
             "CARNIVORE_SLACK_WEBHOOK_URL", "CARNIVORE_ONCALL_SLACK_WEBHOOK_URL",
             "CARNIVORE_WEBHOOK_SECRET", "CARNIVORE_UI_URL", "CARNIVORE_ALERT_TIMEOUT_SECONDS",
             "CARNIVORE_ALERT_MAX_ATTEMPTS", "CARNIVORE_ALERT_RETRY_BASE_SECONDS", "CARNIVORE_DB_RETRIES",
             "CARNIVORE_DB_RETRY_SECONDS"]


def test_definitions_load_with_their_resources():
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    assert {type(r) for r in definitions.resources.values()} == {PostgresResource, ContentSource, AlertsResource}


def test_the_resource_connects_to_the_configured_database(db_url):
    resource = PostgresResource(url=db_url)
    with resource.connect() as conn:
        applied = conn.execute("SELECT count(*) FROM carnivore_meta.schema_migrations").fetchone()[0]
    assert applied > 0
    assert resource.describe() == db_url  # no password to hide


def test_unset_variables_give_the_defaults(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    resources = {key: r.process_config_and_initialize() for key, r in resources_from_environment().items()}
    assert resources["postgres"].url is None  # the embedded server
    assert (resources["postgres"].transient_retries, resources["postgres"].retry_delay) == (3, 2.0)
    assert resources["content"].directory == str(BUNDLED_CONTENT_DIR)
    settings = resources["alerts"].settings()
    assert (settings.editors_url, settings.secret, settings.max_attempts, settings.base_delay) == (None, None, 16, 2.0)


def test_set_variables_reach_the_resources_as_env_vars(monkeypatch, tmp_path):
    values = {"CARNIVORE_DATABASE_URL": "postgresql://db.test/x", "CARNIVORE_CONTENT_DIR": str(tmp_path),
              "CARNIVORE_WEBHOOK_URL": "http://hooks.test/e", "CARNIVORE_ONCALL_WEBHOOK_URL": "http://hooks.test/o",
              "CARNIVORE_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "CARNIVORE_UI_URL": "http://ui.test",
              "CARNIVORE_ALERT_TIMEOUT_SECONDS": "3.5", "CARNIVORE_ALERT_MAX_ATTEMPTS": "4",
              "CARNIVORE_ALERT_RETRY_BASE_SECONDS": "0.25", "CARNIVORE_DB_RETRIES": "1",
              "CARNIVORE_DB_RETRY_SECONDS": "0.5"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    configured = resources_from_environment()
    # Strings and integers stay EnvVars, so the UI's resource page names the variable.
    assert isinstance(configured["postgres"].url, dg.EnvVar)
    assert isinstance(configured["alerts"].editors_url, dg.EnvVar)
    resources = {key: r.process_config_and_initialize() for key, r in configured.items()}
    assert resources["postgres"].url == "postgresql://db.test/x"
    assert (resources["postgres"].transient_retries, resources["postgres"].retry_delay) == (1, 0.5)
    assert resources["content"].path_for(date(2026, 11, 16)) == tmp_path / "2026-11-16.json"
    settings = resources["alerts"].settings()
    assert (settings.editors_url, settings.url_for("oncall"), settings.ui_url) == (
        "http://hooks.test/e", "http://hooks.test/o", "http://ui.test")
    assert (settings.timeout, settings.max_attempts, settings.base_delay) == (3.5, 4, 0.25)
    assert settings.missing("editors") is None


def _environment_read_at_import(source: str) -> list[int]:
    """Lines that touch os.environ / os.getenv / EnvVar(...).get_value() in code that runs
    on import: module level and class bodies, and default arguments and decorators of
    functions, but not function bodies."""
    found = []

    def visit(node, runs_on_import: bool):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for part in [*node.args.defaults, *node.args.kw_defaults, *getattr(node, "decorator_list", [])]:
                if part is not None:
                    visit(part, runs_on_import)
            return
        if runs_on_import and isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "get_value"}:
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, runs_on_import)

    visit(ast.parse(source), True)
    return found


def test_no_module_reads_the_environment_when_imported():
    """Configuration is read when definitions load or a command runs, never at import."""
    from carnivore_orchestration.settings import PACKAGE_DIR

    offenders = [f"{path.relative_to(PACKAGE_DIR)}:{line}" for path in sorted(PACKAGE_DIR.rglob("*.py"))
                 for line in _environment_read_at_import(path.read_text())]
    assert offenders == []


def test_the_import_time_check_sees_what_it_should():
    source = (
        "import os\n"
        "A = os.environ.get('X')\n"                      # module level: 2
        "class C:\n"
        "    b = os.getenv('Y')\n"                       # class body: 4
        "    def m(self, d=os.environ['Z']):\n"          # default argument: 5
        "        return os.environ['W']\n"               # function body: fine
        "def f():\n"
        "    return os.getenv('V')\n"                    # fine
    )
    assert _environment_read_at_import(source) == [2, 4, 5]


def test_the_weeks_kept_are_the_weekly_partitions():
    """check_importable() and Dagster's partitions must agree on the first week and on
    the newest, at the edges of a UTC Monday, or the CLI would refuse a week the
    schedule imports (or let through one that Dagster then rejects)."""
    from carnivore_orchestration.content.weeks import FIRST_WEEK, WeekOutOfRange, check_importable, current_week
    from carnivore_orchestration.defs.partitions import weekly_partitions

    assert weekly_partitions.get_first_partition_key() == FIRST_WEEK.isoformat()
    for now in (datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC),
                datetime(2026, 11, 29, 23, 59, tzinfo=UTC)):
        newest = current_week(now)
        assert weekly_partitions.get_partition_keys(current_time=now)[-1] == newest.isoformat()
        check_importable(newest, now)
        check_importable(FIRST_WEEK, now)
        with pytest.raises(WeekOutOfRange, match="has not begun"):
            check_importable(newest + timedelta(days=7), now)
        with pytest.raises(WeekOutOfRange, match="before the first week"):
            check_importable(FIRST_WEEK - timedelta(days=7), now)
