import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "DATABASE_URL"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x7$kq!2vPz9-not-a-real-secret-but-long-and-random-enough-a8",
        DJANGO_ALLOWED_HOSTS="appeals.plan.example",
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_fails_with_a_clear_error():
    result = _manage(
        "check", DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="appeals.plan.example"
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_without_allowed_hosts_fails_with_a_clear_error():
    result = _manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="s" * 60)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list" in result.stderr


def test_a_misspelt_boolean_stops_start_up():
    result = _manage("check", DJANGO_DEBUG="ture")

    assert result.returncode != 0
    assert "DJANGO_DEBUG='ture' is not a boolean" in result.stderr
