"""The Dagster code location loads, and its resource reaches the database."""

import dagster as dg

from carnivore_orchestration.definitions import defs
from carnivore_orchestration.resources import PostgresResource


def test_definitions_load_with_the_postgres_resource():
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    assert isinstance(definitions.resources["postgres"], PostgresResource)


def test_the_resource_connects_to_the_configured_database(db_url):
    resource = PostgresResource(url=db_url)
    with resource.connect() as conn:
        applied = conn.execute("SELECT count(*) FROM carnivore_meta.schema_migrations").fetchone()[0]
    assert applied > 0
    assert resource.describe() == db_url  # no password to hide


def test_the_resource_defaults_to_the_environment(monkeypatch, db_url):
    monkeypatch.setenv("CARNIVORE_DATABASE_URL", db_url)
    assert PostgresResource().resolved_url() == db_url
