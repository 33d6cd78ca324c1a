"""Small, explicit fixtures: no autouse data."""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from registry.models import Role
from tests.factories import TEST_PASSWORD, UserFactory, sign_in


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def user_with_role():
    """Make a signed-in-able user for a role: ``user_with_role(Role.CME_OFFICER)``."""

    def make(role: str, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def ehe_officer(user_with_role):
    return user_with_role(Role.EHE_OFFICER, username="ehe-officer")


@pytest.fixture
def cme_officer(user_with_role):
    return user_with_role(Role.CME_OFFICER, username="cme-officer")


@pytest.fixture
def administrator(user_with_role):
    return user_with_role(Role.ADMINISTRATOR, username="administrator")


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's signed-in superuser, with the second factor every administrator confirms."""
    sign_in(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """A fast hasher for tests: PBKDF2's deliberate slowness would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _chromium() -> str:
    path = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is needed for the browser tests: run scripts/ensure-chromium")
    return path


@pytest.fixture
def browser_page():
    """A page in Debian's headless Chromium (never a browser downloaded by a test tool), for the
    browser and accessibility tests (marked ``browser``)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser.new_page(accept_downloads=True)
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def database_left_free_at_the_end(django_db_setup, django_db_blocker):
    """At the end of a PostgreSQL run, end the sessions still on the test database, so it can be
    dropped: a live server's request thread can still hold its connection, idle, when the
    browser's keep-alive socket closes after the last browser test (the database was left
    behind with a warning)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
