import dagster as dg

from carnivore_orchestration.resources import resources_from_environment


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=resources_from_environment())
