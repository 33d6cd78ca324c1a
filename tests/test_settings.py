"""The one settings module: loud failure without a secret outside DEBUG, secure defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _settings_in_subprocess(env: dict, expression: str) -> subprocess.CompletedProcess:
    ours = {"DEBUG", "SECRET_KEY", "CELERY_BROKER_URL", "REDIS_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in ours} | env
    code = f"import ehe_register.settings as s; print(repr(({expression})))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_fails_loudly_without_a_secret_key_outside_debug():
    result = _settings_in_subprocess({"DEBUG": "false"}, "s.SECRET_KEY")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_turn_on_secure_cookies_and_hsts():
    result = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50},
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.CELERY_TASK_ALWAYS_EAGER",
    )

    assert result.stdout.strip() == "(True, True, 31536000, True)"


def test_a_broker_url_turns_off_eager_celery_and_time_zone_is_london():
    result = _settings_in_subprocess(
        {"DEBUG": "true", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"},
        "s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.LANGUAGE_CODE",
    )

    assert result.stdout.strip() == "(False, 'Europe/London', 'en-gb')"


def test_postgresql_connections_plan_for_ssd_storage_and_sqlite_is_left_alone():
    """ADR 0017: random_page_cost 1.1 on each PostgreSQL connection, from the environment."""
    debug = {"DEBUG": "true"}
    postgres = {**debug, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/anything"}
    options = "s.DATABASES['default'].get('OPTIONS', {}).get('options')"

    default = _settings_in_subprocess(postgres, options)
    chosen = _settings_in_subprocess({**postgres, "DATABASE_RANDOM_PAGE_COST": "2"}, options)
    sqlite = _settings_in_subprocess({**debug, "DATABASE_URL": "sqlite:///x.db"}, options)

    assert default.stdout.strip() == "'-c random_page_cost=1.1'"
    assert chosen.stdout.strip() == "'-c random_page_cost=2.0'"
    assert sqlite.stdout.strip() == "None"
