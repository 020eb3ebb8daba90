import dagster as dg

from carnivore_orchestration.homepage import checks
from carnivore_orchestration.resources import PostgresResource


def _result(outcome: checks.Outcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=outcome.passed, description=outcome.description, metadata=outcome.metadata)


@dg.asset_check(asset="bento_grid_items", blocking=True,
                description="Positions are unique and contiguous from 1, with exactly one hero.")
def grid_positions_contiguous(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        return _result(checks.grid_positions_contiguous(conn))


@dg.asset_check(asset="bento_grid_items", blocking=True, description="No piece of content is in the grid twice.")
def grid_content_unique(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        return _result(checks.grid_content_unique(conn))


@dg.asset_check(asset="bento_grid_items", description="Every score is within 0-100.")
def grid_scores_in_range(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        return _result(checks.grid_scores_in_range(conn))


@dg.asset_check(asset="homepage_grid", description="homepage_grid holds exactly the grid's first seven positions.")
def homepage_matches_grid(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        return _result(checks.homepage_matches_grid(conn))
