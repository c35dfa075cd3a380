"""The production compose file holds together: every service it depends on exists, ports do not clash,
every variable it gives the app is a setting the app reads, every ${VARIABLE} is documented, and the
commands, health check and image it runs point at code and files that exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

from api.app import create_app
from domain.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict = COMPOSE["services"]
APP_SERVICES = ("migrate", "api", "worker")


def test_every_dependency_and_volume_exists_and_ports_do_not_clash() -> None:
    assert {"postgresql", "temporal", "temporal-ui", "mailpit", "migrate", "api", "worker"} <= set(SERVICES)
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("/", ".")) or source in COMPOSE.get("volumes", {}), f"{name}: {volume}"
    published = [str(p).split(":")[0] for s in SERVICES.values() for p in s.get("ports", [])]
    assert len(published) == len(set(published)), f"host ports clash: {published}"


def test_app_variables_are_settings_and_point_at_real_services() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        unknown = set(env) - fields
        assert not unknown, f"{name} sets variables the app never reads: {unknown}"
        host = env["TEMPORAL_ADDRESS"].split(":")[0]
        assert host in SERVICES and "7233:7233" in SERVICES[host]["ports"]
        assert env["SMTP_HOST"] in SERVICES and any(str(p).endswith(f":{env['SMTP_PORT']}")
                                                    for p in SERVICES[env["SMTP_HOST"]]["ports"])
        assert "@postgresql:5432/" in env["DATABASE_URL"] and env["DATABASE_URL"].startswith("postgresql+psycopg")
        assert SERVICES[name]["image"] == "chengxin:latest" and SERVICES[name]["build"] == "."
    ui = SERVICES["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"]
    assert ui.split(":")[0] == "temporal"


def test_every_interpolated_variable_is_documented_in_the_readme() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in set(re.findall(r"\$\{([A-Z_]+)", text)):
        assert f"`{variable}`" in readme, f"{variable} is used by docker-compose.yml but not documented"


def test_commands_health_check_and_image_use_code_that_exists() -> None:
    api = SERVICES["api"]["command"]
    module, attribute = api[1].split(":")
    assert getattr(importlib.import_module(module), attribute) is not None
    port = api[api.index("--port") + 1]
    assert f"{port}:{port}" in SERVICES["api"]["ports"]
    paths = set(create_app().openapi()["paths"])
    check = " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/healthz" in check and "/healthz" in paths
    worker = SERVICES["worker"]["command"]
    assert worker[:2] == ["python", "-m"] and hasattr(importlib.import_module(worker[2]), "_main")
    assert "from store.db import migrate" in SERVICES["migrate"]["command"][-1]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for copied in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE):
        assert (ROOT / copied).exists(), f"Dockerfile copies missing {copied}"
