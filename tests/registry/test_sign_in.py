"""Sign-in: GOV.UK errors, lockout after repeated failures, and identifiers nobody can guess."""

import pytest
from django.conf import settings
from django.urls import reverse

from registry.forms import SignInForm
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_wrong_password_shows_the_error_summary(client, ehe_officer):
    response = _sign_in(client, ehe_officer.username, "wrong")

    assert SignInForm.error_messages["invalid_login"] in response.content.decode()
    assert b"There is a problem" in response.content


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, ehe_officer, password
):
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT):
        _sign_in(client, ehe_officer.username, "wrong")

    response = _sign_in(client, ehe_officer.username, password)

    assert b"Your account is locked" in response.content
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_lands_on_the_home_page(client, ehe_officer, password):
    response = _sign_in(client, ehe_officer.username, password)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_pages_need_sign_in_and_child_urls_use_uuids(client):
    child = ChildFactory()

    response = client.get(reverse("registry:child-detail", args=[child.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert len(str(child.pk)) == 36
