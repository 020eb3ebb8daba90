"""The database itself, checked every day: `carnivore db check` as asset checks.

`database` is an external asset (the schema the migrations create; nothing in Dagster
materializes it), so the checks have a home in the asset graph and their history is on
its page in the UI. A check that fails (schema drift, an advisor finding) fails the run
after every result is recorded, so that on-call is paged through the same path as any
failed run; monitoring that only warns stays in the UI.
"""

import dagster as dg

from carnivore_orchestration.db import health
from carnivore_orchestration.resources import PostgresResource

database = dg.AssetSpec(
    "database", group_name="database", kinds={"postgres"},
    description="The PostgreSQL schema the migrations in sql/ create, checked daily (`carnivore db check`).",
)

SEVERITY = {"fail": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset="database", description=description)
           for name, (_, description) in health.CHECKS.items()],
    can_subset=False,
)
def database_health(context: dg.AssetCheckExecutionContext, postgres: PostgresResource):
    with postgres.step_connection(context.op_execution_context.retry_number, autocommit=True) as conn:
        checks = health.run_all(conn)
    for check in checks:
        yield dg.AssetCheckResult(
            check_name=check.name, asset_key="database",
            passed=check.status in ("ok", "note"),
            severity=SEVERITY.get(check.status, dg.AssetCheckSeverity.WARN),
            description=check.summary,
            metadata={"status": check.status,
                      "details": dg.MetadataValue.md("\n".join(f"- {line}" for line in check.details) or "(none)")},
        )
    failed = [check for check in checks if check.failed()]
    if failed:
        raise dg.Failure(
            description="; ".join(f"{check.name}: {check.summary}"
                                  + (f" ({'; '.join(check.details[:3])})" if check.details else "")
                                  for check in failed),
            allow_retries=False,
        )


database_checks_job = dg.define_asset_job(
    "database_checks_job",
    selection=dg.AssetSelection.checks_for_assets("database"),
    description="`carnivore db check` in Dagster: schema drift, Supabase's advisor lints, growth, unused indexes,"
                " the DEFAULT partition, dead rows.",
)
