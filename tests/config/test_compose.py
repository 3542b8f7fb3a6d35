"""docker-compose.yml and the Dockerfile, checked by reading them (Docker is not needed to run this).

What can go wrong without anyone noticing until a deploy: a service without a health check, a
command naming a module, app or management command that does not exist, an environment variable
that settings never read (a typo) or a required one that is missing, a value that settings reject,
and a Dockerfile that forgets to copy an app.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = (*APP_SERVICES, "postgres", "redis")
# What a production start cannot do without (the rest have defaults in settings).
REQUIRED_ENV = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "PUBLIC_BASE_URL", "DEBUG"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _services() -> dict:
    return _compose()["services"]


def _env_vars_settings_read() -> set[str]:
    """Every NAME in env_str/env_bool/env_int("NAME", …) or os.environ[...] in config/settings.py."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("env_"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        if isinstance(node, ast.Call) and ast.unparse(node.func) in {"os.environ.get", "os.getenv"}:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        is_environ_item = isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
        if is_environ_item and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            names.add(node.slice.value)
    return names


_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Docker Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and $$."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        unset_or_empty = current is None or (op is not None and op.startswith(":") and current == "")
        if op in {":-", "-"}:
            return arg if unset_or_empty else current
        if op in {":?", "?"}:
            if unset_or_empty:
                raise LookupError(f"{name}: {arg}")
            return current
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def _app_environment(service: str = "web", **given: str) -> dict[str, str]:
    raw = _services()[service]["environment"]
    return {key: _interpolate(str(value), given) for key, value in raw.items()}


def _command_steps(command) -> list[list[str]]:
    """Split a compose command (list or string, possibly `sh -c "a && exec b"`) into argv lists."""
    argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if argv[:2] == ["sh", "-c"]:
        steps = [shlex.split(part) for part in re.split(r"&&|;", argv[2]) if part.strip()]
        return [step[1:] if step[0] == "exec" else step for step in steps]
    return [argv]


# --- shape ---------------------------------------------------------------------------------------


def test_compose_defines_web_worker_beat_postgres_and_redis():
    assert set(ALL_SERVICES) <= set(_services())


@pytest.mark.parametrize("service", ALL_SERVICES)
def test_every_service_has_a_health_check(service):
    check = _services()[service].get("healthcheck")

    assert check, f"{service} has no healthcheck"
    assert not check.get("disable")
    test = check["test"]
    assert test and (isinstance(test, str) or test[0] in {"CMD", "CMD-SHELL"}), test
    assert all(str(part).strip() for part in (test if isinstance(test, list) else [test]))


def test_databases_use_the_pinned_major_versions_and_keep_data_in_volumes():
    services = _services()
    volumes = set(_compose().get("volumes") or {})

    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis"):
        mounted = {str(v).split(":")[0] for v in services[name].get("volumes", [])}
        assert mounted & volumes, f"{name} keeps its data in no named volume"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_are_built_from_the_dockerfile_and_wait_for_healthy_databases(service):
    spec = _services()[service]

    build = spec["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).is_file()
    depends = spec["depends_on"]
    assert depends["redis"]["condition"] == "service_healthy"
    if service != "beat":
        assert depends["postgres"]["condition"] == "service_healthy"


def test_web_and_worker_share_the_media_volume():
    services = _services()

    def data_volume(name: str) -> str:
        data_dir = services[name]["environment"]["PARLEY_DATA_DIR"]
        return next(str(v).split(":")[0] for v in services[name]["volumes"] if str(v).split(":")[1] == data_dir)

    assert data_volume("web") == data_volume("worker")
    assert data_volume("web") in (_compose().get("volumes") or {})


# --- commands refer to things that exist ----------------------------------------------------------


def test_web_runs_migrate_before_the_asgi_server():
    steps = _command_steps(_services()["web"]["command"])

    assert steps[0][:3] == ["python", "manage.py", "migrate"]
    assert steps[-1][0] == "uvicorn"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_commands_refer_to_things_that_exist(service):
    from django.core.management import get_commands

    spec = _services()[service]
    commands = [_command_steps(spec["command"])]
    if spec["healthcheck"]["test"][0] == "CMD-SHELL":
        commands.append(_command_steps(_interpolate(spec["healthcheck"]["test"][1], {"HOSTNAME": "host"})))
    for steps in commands:
        for argv in steps:
            program = argv[0]
            if program == "python" and argv[1] == "manage.py":
                assert (ROOT / "manage.py").is_file()
                assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
            elif program == "uvicorn":
                _assert_asgi_target_imports(argv[1])
                assert "--lifespan" in argv and argv[argv.index("--lifespan") + 1] == "off"
                _assert_known_options(_uvicorn_command(), argv[2:])
            elif program == "celery":
                assert argv[1:3] == ["-A", "config"], argv
                _assert_celery_app(argv[2])
                assert argv[3] in {"worker", "beat", "inspect"}
                _assert_known_options(_celery_subcommand(argv[3]), argv[4:])
            else:
                pytest.fail(f"{service}: unexpected program {program!r} in {argv}")


def _uvicorn_command():
    import importlib

    return importlib.import_module("uvicorn.main").main


def _celery_subcommand(name: str):
    from celery.bin.celery import celery

    return celery.commands[name]


def _assert_known_options(command, args: list[str]) -> None:
    """Every --option given is one the installed program accepts (a typo or a newer flag fails here)."""
    known = {opt for param in command.params for opt in param.opts}
    for arg in args:
        if arg.startswith("-"):
            assert arg.split("=")[0] in known, f"{command.name} has no option {arg}"


def _assert_asgi_target_imports(target: str) -> None:
    """What uvicorn does with "module:attribute", in a fresh interpreter in the embedded mode."""
    assert target == settings.ASGI_APPLICATION.replace(".application", ":application")
    code = (
        "from uvicorn.importer import import_from_string; "
        f"app = import_from_string({target!r}); assert callable(app); print('ok')"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.setdefault("DEBUG", "1")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def _assert_celery_app(name: str) -> None:
    """What `celery -A config` resolves to: the app in config/celery.py."""
    from celery import Celery
    from celery.app.utils import find_app

    import config.celery

    app = find_app(name)
    assert isinstance(app, Celery)
    assert app is config.celery.app
    assert (ROOT / "config" / "celery.py").is_file()


def test_server_programs_are_project_dependencies():
    pyproject = (ROOT / "pyproject.toml").read_text()

    for dependency in ("uvicorn", "celery", "channels-redis", "psycopg"):
        assert re.search(rf'"{dependency}[\[<>=~ ]', pyproject), f"{dependency} is not a dependency"


# --- environment -----------------------------------------------------------------------------------


def test_app_services_share_one_environment():
    services = _services()

    assert services["web"]["environment"] == services["worker"]["environment"] == services["beat"]["environment"]


def test_app_environment_sets_the_required_variables():
    assert set(_services()["web"]["environment"]) >= REQUIRED_ENV


def test_app_environment_holds_only_variables_that_settings_read():
    unknown = set(_services()["web"]["environment"]) - _env_vars_settings_read()

    assert not unknown, f"compose sets variables that settings never read: {sorted(unknown)}"


def test_app_environment_runs_with_debug_off_in_the_services_mode():
    env = _app_environment(SECRET_KEY="x" * 60)

    assert env["DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")


def test_compose_refuses_to_start_without_a_secret_key():
    with pytest.raises(LookupError, match="SECRET_KEY"):
        _app_environment()


def test_app_urls_point_at_the_compose_services_with_matching_credentials():
    from config.env import check_redis_url, database_from_url

    env = _app_environment(SECRET_KEY="x" * 60, POSTGRES_PASSWORD="s3cret")
    postgres_env = {k: _interpolate(str(v), {"POSTGRES_PASSWORD": "s3cret"})
                    for k, v in _services()["postgres"]["environment"].items()}

    db = database_from_url(env["DATABASE_URL"])
    assert db["HOST"] == "postgres" and db["PORT"] in {"", "5432"}
    assert db["NAME"] == postgres_env["POSTGRES_DB"]
    assert db["USER"] == postgres_env["POSTGRES_USER"]
    assert db["PASSWORD"] == postgres_env["POSTGRES_PASSWORD"] == "s3cret"
    check_redis_url(env["REDIS_URL"])
    assert env["REDIS_URL"].startswith("redis://redis:")


def test_settings_accept_the_compose_environment_and_pass_the_deploy_check(tmp_path):
    """Load settings with exactly compose's environment (defaults filled in) and run check --deploy.

    manage.py would first connect to the compose hosts "postgres" and "redis", which do not exist
    here, so the check runs through call_command instead.
    """
    env = _app_environment(SECRET_KEY=secrets.token_urlsafe(64))
    env["PARLEY_DATA_DIR"] = str(tmp_path)
    env.update({k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "assert s.PARLEY_MODE == 'services', s.PARLEY_MODE; "
        "from django.core.management import call_command; "
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )

    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_every_variable_settings_read_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()

    missing = sorted(name for name in _env_vars_settings_read() if f"`{name}`" not in readme)
    assert not missing, f"README.md does not document: {missing}"


# --- Dockerfile --------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_uses_python_312_slim_with_ffmpeg_and_installs_the_project():
    instructions = _dockerfile_instructions()

    assert instructions[0] == ("FROM", "python:3.12-slim")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "apt-get install" in runs and "ffmpeg" in runs
    assert re.search(r"pip install \.(\s|$)", runs)


def test_dockerfile_copies_every_local_app_and_the_files_the_commands_need():
    copied = set()
    for keyword, rest in _dockerfile_instructions():
        if keyword == "COPY":
            *sources, _destination = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
                copied.add(source.rstrip("/"))
    local_apps = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    # Plain packages (no app of their own) that the apps import.
    libraries = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "scripts"}
    needed = local_apps | libraries | {"manage.py", "pyproject.toml", "config", "templates", "static", "locale"}

    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"


def test_dockerfile_runs_as_an_unprivileged_user():
    users = [rest for keyword, rest in _dockerfile_instructions() if keyword == "USER"]

    assert users and users[-1] not in {"root", "0"}
