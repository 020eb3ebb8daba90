import dagster as dg
from pydantic import Field

from carnivore_orchestration.engagement.maintenance import ensure_partitions, prune_buckets
from carnivore_orchestration.resources import PostgresResource


class PartitionConfig(dg.Config):
    months_ahead: int = Field(default=3, ge=0, le=36, description="Partitions to make beyond the current month.")


@dg.asset(
    group_name="maintenance",
    check_specs=[dg.AssetCheckSpec("default_partition_empty", asset="content_engagement_partitions",
                                   description="No interactions are waiting in the DEFAULT partition.")],
)
def content_engagement_partitions(context: dg.AssetExecutionContext, config: PartitionConfig,
                                  postgres: PostgresResource):
    """The monthly partitions of content_engagement for this month and the next ones,
    made before they are needed; rows that landed in DEFAULT are moved into them."""
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        report = ensure_partitions(conn, config.months_ahead)
    listing = "\n".join(f"| {name} | {bounds} |" for name, bounds in report.partitions)
    yield dg.MaterializeResult(
        metadata={
            **report.as_metadata(),
            "partitions": dg.MetadataValue.md("| partition | bounds |\n|---|---|\n" + listing),
        }
    )
    yield dg.AssetCheckResult(
        check_name="default_partition_empty",
        passed=report.default_rows == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{report.default_rows} row(s) in content_engagement_default",
        metadata={"default_rows": report.default_rows},
    )


@dg.asset(group_name="maintenance")
def engagement_buckets(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """The hourly scoring buckets, kept for as long as a score reads them (8 days)."""
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        pruned = prune_buckets(conn)
    return dg.MaterializeResult(metadata={"buckets_pruned": pruned})
