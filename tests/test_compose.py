"""docker-compose.yml for users: parsed (no Docker engine needed) and checked for what coopwatch relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from ingest.settings import Settings
from search.elastic import ConnectionSettings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?::?([-?])([^}]*))?\}")
AIRFLOW_SERVICES = {"airflow-init": None, "airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                    "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer"}
LONG_RUNNING = [name for name, command in AIRFLOW_SERVICES.items() if command]
DOTENV = {"ELASTIC_PASSWORD": "es-secret", "POSTGRES_PASSWORD": "pg-secret", "AIRFLOW_ADMIN_PASSWORD": "ui-secret",
          "AIRFLOW_FERNET_KEY": "fernet-secret", "AIRFLOW_JWT_SECRET": "jwt-secret",
          "AIRFLOW_API_SECRET_KEY": "api-secret"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Substitute ${NAME}, ${NAME:-default} and ${NAME:?error} the way Compose does (``$$`` stays literal)."""
    def one(match: re.Match[str]) -> str:
        name, kind, arg = match.groups()
        if name in env:
            return env[name]
        if kind == "?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""
    return VARIABLE.sub(one, value).replace("$$", "$")


def environment(service: dict) -> dict[str, str]:
    """Return a service's environment as a dict, whichever form the file uses."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {k: str(v) for k, v in env.items()}
    return dict(item.split("=", 1) for item in env)


def mounts(service: dict) -> dict[str, str]:
    """Return {target path: source volume} of a service's short-form volume entries."""
    return {entry.split(":")[1]: entry.split(":")[0] for entry in service.get("volumes", [])}


def resolved_environment(service: dict, dotenv: dict[str, str] | None = None) -> dict[str, str]:
    """Return a service's environment as Compose would pass it, with ``dotenv`` as the .env file."""
    return {k: interpolate(v, DOTENV if dotenv is None else dotenv) for k, v in environment(service).items()}


def is_bind_mount(source: str) -> bool:
    return source.startswith((".", "/"))


def test_services_are_elasticsearch_coopwatch_postgres_and_airflow(compose):
    assert set(compose["services"]) == {"setup", "es01", "coopwatch", "postgres", *AIRFLOW_SERVICES}
    assert set(compose["volumes"]) == {"certs", "esdata", "coopwatch-var", "postgres-db", "airflow-logs"}
    for name, service in compose["services"].items():
        for source in mounts(service).values():
            if is_bind_mount(source):
                assert (REPO / source).exists(), f"{name} mounts {source}, which is not in the repository"
            else:
                assert source in compose["volumes"], f"{source} is not declared under volumes"


def test_elasticsearch_is_a_secured_single_node_8(compose):
    es = compose["services"]["es01"]
    image = interpolate(es["image"], {})
    assert re.fullmatch(r"docker\.elastic\.co/elasticsearch/elasticsearch:8\.\d+\.\d+", image)
    env = environment(es)
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert env["xpack.security.http.ssl.enabled"] == "true"
    assert env["xpack.security.transport.ssl.enabled"] == "true"
    assert env["xpack.security.http.ssl.certificate_authorities"] == "certs/ca/ca.crt"
    assert env["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?"), "the password must come from .env"
    with pytest.raises(KeyError, match="ELASTIC_PASSWORD"):
        interpolate(env["ELASTIC_PASSWORD"], {})


def test_elasticsearch_ports_volumes_and_healthcheck(compose):
    es = compose["services"]["es01"]
    assert [interpolate(p, {}) for p in es["ports"]] == ["127.0.0.1:9200:9200"]
    assert mounts(es) == {"/usr/share/elasticsearch/config/certs": "certs", "/usr/share/elasticsearch/data": "esdata"}
    assert es["depends_on"]["setup"]["condition"] == "service_healthy"
    probe = " ".join(es["healthcheck"]["test"])
    assert "--cacert config/certs/ca/ca.crt" in probe and "https://localhost:9200" in probe
    assert "$${ELASTIC_PASSWORD}" in probe  # read inside the container, not baked into the file
    assert es["ulimits"]["memlock"] == {"soft": -1, "hard": -1}


def test_setup_creates_certificates_the_documented_way(compose):
    setup = compose["services"]["setup"]
    assert setup["image"] == compose["services"]["es01"]["image"]
    assert mounts(setup) == {"/usr/share/elasticsearch/config/certs": "certs"}
    script = setup["command"]
    assert "elasticsearch-certutil ca" in script and "elasticsearch-certutil cert" in script
    assert "name: es01" in script and "dns: [es01, localhost]" in script
    assert "es01/es01.crt" in " ".join(setup["healthcheck"]["test"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_setup_script_is_valid_bash(compose):
    command = compose["services"]["setup"]["command"].strip()
    assert command.startswith("bash -c '") and command.endswith("'")
    check = subprocess.run(["bash", "-n", "-c", command[len("bash -c '"):-1]], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_coopwatch_is_built_here_and_waits_for_a_healthy_node(compose):
    app = compose["services"]["coopwatch"]
    assert app["build"] == {"context": ".", "target": "coopwatch"}
    assert "pip install '.[es]'" in dockerfile_stages()["coopwatch"]
    assert app["depends_on"]["es01"]["condition"] == "service_healthy"
    assert mounts(app) == {"/certs": "certs", "/app/var": "coopwatch-var"}
    assert app["command"] == ["crawl"]


def test_coopwatch_environment_configures_the_elasticsearch_backend(compose):
    resolved = resolved_environment(compose["services"]["coopwatch"], DOTENV | {"ELASTIC_PASSWORD": "pw-from-dotenv"})
    assert resolved["COOPWATCH_STORE"] == "https://es01:9200"
    assert resolved["COOPWATCH_ES_PASSWORD"] == "pw-from-dotenv"  # only ever from the environment
    assert resolved["COOPWATCH_ES_CA_CERTS"].startswith("/certs/")  # inside the mounted certs volume
    settings = ConnectionSettings.from_env(resolved["COOPWATCH_STORE"], resolved)
    assert (settings.username, settings.verify, settings.ca_certs) == ("elastic", True, "/certs/ca/ca.crt")
    assert "pw-from-dotenv" not in repr(settings)


def test_no_secret_is_written_into_the_file():
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if re.search(r"(PASSWORD|API_KEY|SECRET|FERNET_KEY|TOKEN)\w*\s*[=:]", line):
            assert "${" in line, f"literal secret in docker-compose.yml: {line.strip()}"
        for user_info in re.findall(r"://([^/@\s]+)@", line):
            assert ":" not in user_info or "${" in user_info, f"literal password in a URL: {line.strip()}"


def test_every_required_variable_is_created_by_the_documented_dotenv_recipe():
    text = COMPOSE.read_text(encoding="utf-8")
    required = {name for name, kind, _ in VARIABLE.findall(text) if kind == "?"}
    documented = set(re.findall(r'^#\s+echo "(\w+)=', text, flags=re.MULTILINE))
    assert required == documented == set(DOTENV)


# --------------------------------------------------------------------------------------------------------
# Postgres and Airflow


def dockerfile_stages() -> dict[str, str]:
    """Return {stage name: its instructions} of the multi-stage Dockerfile, in file order."""
    stages: dict[str, str] = {}
    name = None
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        start = re.match(r"FROM\s+\S+\s+AS\s+(\w+)", line, flags=re.IGNORECASE)
        if start:
            name = start.group(1)
            stages[name] = ""
        elif name:
            stages[name] += line + "\n"
    return stages


def airflow_pin() -> str:
    """Return the Airflow version pinned by the project's `airflow` extra."""
    extra = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    [requirement] = [r for r in extra["airflow"] if r.startswith("apache-airflow")]
    return requirement.split("==", 1)[1]


def test_postgres_is_the_metadata_database_with_a_volume_and_healthcheck(compose):
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+", postgres["image"])
    assert mounts(postgres) == {"/var/lib/postgresql/data": "postgres-db"}
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    env = environment(postgres)
    assert env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert resolved_environment(postgres) == {"POSTGRES_USER": "airflow", "POSTGRES_PASSWORD": "pg-secret",
                                              "POSTGRES_DB": "airflow"}
    assert "ports" not in postgres  # reachable from the Airflow services only


def test_airflow_services_share_one_image_environment_and_volumes_through_the_anchor(compose):
    common = compose["x-airflow-common"]
    assert common["build"] == {"context": ".", "target": "airflow"}
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert (service["build"], service["image"], service["volumes"]) == (
            common["build"], common["image"], common["volumes"]), name
        assert environment(service).items() >= environment(common).items(), name
    node = yaml.compose(COMPOSE.read_text(encoding="utf-8"))
    top = {key.value: value for key, value in node.value}
    services = {key.value: value for key, value in top["services"].value}
    for name in AIRFLOW_SERVICES:
        merged = [value for key, value in services[name].value if key.value == "<<"]
        assert merged == [top["x-airflow-common"]], f"{name} does not merge <<: *airflow-common"


def test_airflow_services_run_the_airflow_3_components(compose):
    for name, command in AIRFLOW_SERVICES.items():
        if command:
            assert compose["services"][name]["command"] == [command], name
    init = compose["services"]["airflow-init"]
    assert init["entrypoint"] == "/bin/bash" and init["command"][0] == "-c"
    script = init["command"][1]
    assert script.index("airflow db migrate") < script.index("airflow users create --role Admin")
    for name in LONG_RUNNING:
        assert compose["services"][name]["restart"] == "unless-stopped", name


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_airflow_init_script_is_valid_bash_and_reads_the_password_inside_the_container(compose):
    script = compose["services"]["airflow-init"]["command"][1]
    assert '--password "$${AIRFLOW_ADMIN_PASSWORD}"' in script  # expanded by bash, not written by Compose
    check = subprocess.run(["bash", "-n", "-c", script.replace("$$", "$")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    env = resolved_environment(compose["services"]["airflow-init"])
    assert (env["AIRFLOW_ADMIN_USERNAME"], env["AIRFLOW_ADMIN_PASSWORD"]) == ("admin", "ui-secret")
    with pytest.raises(KeyError, match="AIRFLOW_ADMIN_PASSWORD"):
        interpolate(environment(compose["services"]["airflow-init"])["AIRFLOW_ADMIN_PASSWORD"], {})


def test_airflow_environment_configures_postgres_dags_and_the_execution_api(compose):
    env = resolved_environment(compose["services"]["airflow-scheduler"])
    dags = {target for target, source in mounts(compose["x-airflow-common"]).items() if source == "./dags"}
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://airflow:pg-secret@postgres/airflow"
    assert {env["AIRFLOW__CORE__DAGS_FOLDER"]} == dags == {"/app/dags"}
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (api.hostname, api.port, api.path) == ("airflow-apiserver", 8080, "/execution/")
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager")
    for name, value in (("AIRFLOW__CORE__FERNET_KEY", "fernet-secret"), ("AIRFLOW__API_AUTH__JWT_SECRET", "jwt-secret"),
                        ("AIRFLOW__API__SECRET_KEY", "api-secret")):
        assert env[name] == value, name  # one value for every component, from .env
    with pytest.raises(KeyError, match="AIRFLOW_JWT_SECRET"):
        interpolate(environment(compose["x-airflow-common"])["AIRFLOW__API_AUTH__JWT_SECRET"], {})


def test_environment_values_are_strings(compose):
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, dict):
            assert all(isinstance(v, str) for v in env.values()), f"{name}: quote booleans and numbers"


def test_airflow_tasks_see_the_same_coopwatch_settings_and_shared_state(compose):
    app = resolved_environment(compose["services"]["coopwatch"])
    scheduler = resolved_environment(compose["services"]["airflow-scheduler"])
    assert {k: v for k, v in scheduler.items() if k.startswith("COOPWATCH_")} == app
    volumes = mounts(compose["x-airflow-common"])
    var = next(target for target, source in volumes.items() if source == "coopwatch-var")
    certs = next(target for target, source in volumes.items() if source == "certs")
    assert mounts(compose["services"]["coopwatch"]) == {certs: "certs", var: "coopwatch-var"}
    settings = Settings.load(config_path=None, env=scheduler)
    for path in (settings.state_path, settings.archive_dir, scheduler["COOPWATCH_ES_DEADLETTER"], settings.lock_dir):
        assert path.startswith(var + "/"), path
    assert settings.store == "https://es01:9200" and settings.retention_days == 90
    assert settings.sources.startswith("/app/sources/") and (REPO / "sources" / Path(settings.sources).name).exists()
    assert scheduler["COOPWATCH_ES_CA_CERTS"].startswith(certs + "/")
    connection = ConnectionSettings.from_env(settings.store, scheduler)
    assert (connection.username, connection.verify, connection.ca_certs) == ("elastic", True, "/certs/ca/ca.crt")


def test_airflow_depends_on_a_healthy_database_a_finished_init_and_a_healthy_node(compose):
    services = compose["services"]
    assert services["airflow-init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
    scheduler = services["airflow-scheduler"]["depends_on"]
    assert scheduler["airflow-apiserver"] == scheduler["es01"] == {"condition": "service_healthy"}
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck for {name}"


def test_airflow_healthchecks_probe_each_component(compose):
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["start_period"], name
    api = services["airflow-apiserver"]["healthcheck"]["test"]
    scheduler = services["airflow-scheduler"]["healthcheck"]["test"]
    assert "http://localhost:8080/api/v2/version" in api[-1]
    assert "http://localhost:8974/health" in scheduler[-1]
    assert environment(compose["x-airflow-common"])["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    for probe in (api, scheduler):  # python, because the slim image has no curl
        assert probe[:3] == ["CMD", "python", "-c"]
        compile(probe[3], "healthcheck", "exec")
    for name, job in (("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")):
        assert services[name]["healthcheck"]["test"] == ["CMD", "airflow", "jobs", "check", "--job-type", job,
                                                         "--local"], name


def test_only_elasticsearch_and_the_airflow_ui_publish_ports_on_localhost(compose):
    published = {name: [interpolate(p, {}) for p in s["ports"]] for name, s in compose["services"].items()
                 if "ports" in s}
    assert published == {"es01": ["127.0.0.1:9200:9200"], "airflow-apiserver": ["127.0.0.1:8080:8080"]}


def test_dockerfile_builds_the_airflow_image_with_the_pinned_version_and_both_extras(compose):
    stages = dockerfile_stages()
    assert list(stages) == ["base", "airflow", "coopwatch"]  # the last stage is the default target
    airflow = stages["airflow"]
    assert f"ARG AIRFLOW_VERSION={airflow_pin()}" in airflow
    assert "pip install '.[airflow,es]'" in airflow
    assert '"apache-airflow[postgres,fab]==${AIRFLOW_VERSION}"' in airflow  # psycopg2 and the FAB auth manager
    home = re.search(r"ENV AIRFLOW_HOME=(\S+)", airflow).group(1)
    logs = {target for target, source in mounts(compose["x-airflow-common"]).items() if source == "airflow-logs"}
    assert logs == {f"{home}/logs"}
    assert 'ENTRYPOINT ["airflow"]' in airflow and "USER coopwatch" in airflow
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".venv" in ignored  # secrets and the local venv stay out of the image
