"""deploy/: values for Dagster's Helm chart, the instance configuration it renders, and
the code location image, checked as far as can be done without a cluster."""

import re
from importlib import import_module

import dagster as dg
import pytest
import yaml

from carnivore_orchestration.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def _values():
    return yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())


def _grpc_module(args: list[str]) -> str:
    return args[args.index("--module-name") + 1]


def test_the_helm_values_run_the_project_on_kubernetes():
    values = _values()
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["port"] == 3030 and deployment["image"]["repository"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False and values["postgresql"]["postgresqlHost"]
    assert values["global"]["postgresqlSecretName"]
    # The module the chart serves is the one that holds the project's definitions.
    module = import_module(_grpc_module(deployment["dagsterApiGrpcArgs"]))
    assert isinstance(module.defs(), dg.Definitions)


def test_the_grid_writers_never_overlap_locally_or_on_the_cluster():
    local = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    cluster = _values()["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert cluster["tagConcurrencyLimits"] == local["run_coordinator"]["config"]["tag_concurrency_limits"]
    rendered = yaml.safe_load((DEPLOY / "dagster-instance.yaml").read_text())
    assert rendered["run_coordinator"]["config"]["tag_concurrency_limits"] == cluster["tagConcurrencyLimits"]


def _validate(schema, config) -> None:
    """Check `config` against a config schema with Dagster's public validation: as the
    config of a resource in a one-op job (raises DagsterInvalidConfigError)."""

    @dg.resource(config_schema=schema)
    def section(_):
        return None

    @dg.op(required_resource_keys={"section"})
    def noop(_):
        return None

    job = dg.GraphDefinition(name="instance_config", node_defs=[noop]).to_job(resource_defs={"section": section})
    dg.validate_run_config(job, {"resources": {"section": {"config": config}}})


def _rendered():
    return yaml.safe_load((DEPLOY / "dagster-instance.yaml").read_text())


@pytest.mark.parametrize("key", ["run_launcher", "run_coordinator"])
def test_every_class_the_instance_names_exists_and_takes_its_config(key, monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "set-by-the-chart-from-its-secret")
    section = _rendered()[key]
    cls = getattr(import_module(section["module"]), section["class"])  # the strings the chart writes
    _validate(cls.config_type(), section["config"])


def test_the_storage_config_is_valid_for_dagster_postgres(monkeypatch):
    from dagster_postgres import DagsterPostgresStorage

    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "set-by-the-chart-from-its-secret")
    _validate(DagsterPostgresStorage.config_type(), _rendered()["storage"]["postgres"])


def test_a_wrong_config_is_caught():
    from dagster_k8s import K8sRunLauncher

    with pytest.raises(dg.DagsterInvalidConfigError):
        _validate(K8sRunLauncher.config_type(), {"job_namespace": 7})


def test_the_image_installs_the_locked_project_and_serves_its_definitions():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "uv sync --locked --no-dev" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    args = yaml.safe_load(cmd.group(1))
    assert args[:3] == ["dagster", "api", "grpc"]
    assert _grpc_module(args) == _grpc_module(_values()["dagster-user-deployments"]["deployments"][0]
                                              ["dagsterApiGrpcArgs"])
    for source in ("carnivore_orchestration", "sql", "pyproject.toml", "uv.lock"):
        assert re.search(rf"^COPY .*\b{re.escape(source)}\b", dockerfile, re.MULTILINE), source
