import dagster as dg

from carnivore_orchestration.resources import PostgresResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"postgres": PostgresResource()})
