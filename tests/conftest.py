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
