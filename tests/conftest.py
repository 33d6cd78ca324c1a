"""Small, explicit fixtures: no autouse data."""

import pytest

from registry.models import Role
from tests.factories import TEST_PASSWORD, UserFactory


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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """A fast hasher for tests: PBKDF2's deliberate slowness would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
