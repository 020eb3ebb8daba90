import dagster as dg

EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}


@dg.definitions
def execution() -> dg.Definitions:
    """Every job here, and every materialization launched from the asset graph, runs its
    steps one after another in the run's own process. The steps are SQL statements of a
    second or less on one database, and they depend on each other: a process per step
    (Dagster's default) added 8-10 s of Python start-up between steps for no isolation
    worth having, since each step's writes are already one transaction.
    CARNIVORE_EXECUTOR=multiprocess brings Dagster's default back (the bench's baseline)."""
    name = (dg.EnvVar("CARNIVORE_EXECUTOR").get_value("in_process") or "in_process").strip()
    if name not in EXECUTORS:
        raise ValueError(f"CARNIVORE_EXECUTOR is {name!r}; expected one of {', '.join(EXECUTORS)}")
    return dg.Definitions(executor=EXECUTORS[name])
