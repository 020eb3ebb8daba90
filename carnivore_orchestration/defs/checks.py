from collections.abc import Callable

import dagster as dg

from carnivore_orchestration.homepage import checks
from carnivore_orchestration.resources import PostgresResource

Context = dg.AssetCheckExecutionContext


def _check(context: Context, postgres: PostgresResource, check: Callable) -> dg.AssetCheckResult:
    with postgres.step_connection(context.op_execution_context.retry_number) as conn:
        outcome: checks.Outcome = check(conn)
    return dg.AssetCheckResult(passed=outcome.passed, description=outcome.description, metadata=outcome.metadata)


@dg.asset_check(asset="bento_grid_items", blocking=True,
                description="Positions are unique and contiguous from 1, with exactly one hero.")
def grid_positions_contiguous(context: Context, postgres: PostgresResource) -> dg.AssetCheckResult:
    return _check(context, postgres, checks.grid_positions_contiguous)


@dg.asset_check(asset="bento_grid_items", blocking=True, description="No piece of content is in the grid twice.")
def grid_content_unique(context: Context, postgres: PostgresResource) -> dg.AssetCheckResult:
    return _check(context, postgres, checks.grid_content_unique)


@dg.asset_check(asset="bento_grid_items", description="Every score is within 0-100.")
def grid_scores_in_range(context: Context, postgres: PostgresResource) -> dg.AssetCheckResult:
    return _check(context, postgres, checks.grid_scores_in_range)


@dg.asset_check(asset="homepage_grid", description="homepage_grid holds exactly the grid's first seven positions.")
def homepage_matches_grid(context: Context, postgres: PostgresResource) -> dg.AssetCheckResult:
    return _check(context, postgres, checks.homepage_matches_grid)
