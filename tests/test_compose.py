"""docker-compose.yml for users: parsed (no Docker engine needed) and checked for what coopwatch relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from search.elastic import ConnectionSettings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?::?([-?])([^}]*))?\}")


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


def test_services_are_elasticsearch_its_setup_and_coopwatch(compose):
    assert set(compose["services"]) == {"setup", "es01", "coopwatch"}
    assert set(compose["volumes"]) == {"certs", "esdata", "coopwatch-var"}
    for service in compose["services"].values():
        for volume in mounts(service).values():
            assert volume in compose["volumes"], f"{volume} is not declared under volumes"


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
    assert app["build"] == "." and (REPO / "Dockerfile").exists()
    assert "'.[es]'" in (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert app["depends_on"]["es01"]["condition"] == "service_healthy"
    assert mounts(app) == {"/certs": "certs", "/app/var": "coopwatch-var"}
    assert app["command"] == ["crawl"]


def test_coopwatch_environment_configures_the_elasticsearch_backend(compose):
    env = environment(compose["services"]["coopwatch"])
    resolved = {k: interpolate(v, {"ELASTIC_PASSWORD": "pw-from-dotenv"}) for k, v in env.items()}
    assert resolved["COOPWATCH_STORE"] == "https://es01:9200"
    assert resolved["COOPWATCH_ES_PASSWORD"] == "pw-from-dotenv"  # only ever from the environment
    assert resolved["COOPWATCH_ES_CA_CERTS"].startswith("/certs/")  # inside the mounted certs volume
    settings = ConnectionSettings.from_env(resolved["COOPWATCH_STORE"], resolved)
    assert (settings.username, settings.verify, settings.ca_certs) == ("elastic", True, "/certs/ca/ca.crt")
    assert "pw-from-dotenv" not in repr(settings)


def test_no_secret_is_written_into_the_file():
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"(PASSWORD|API_KEY)\s*[=:]", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"literal secret in docker-compose.yml: {line.strip()}"
