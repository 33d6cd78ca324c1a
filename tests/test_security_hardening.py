"""The security review's infrastructure findings, each tried again as the attack it was.

Oversized bodies, API tokens, the second factor, lockout, session lifetime, the Content Security
Policy, seed_demo and password hashing.
"""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from ehe_register import settings as project_settings
from ehe_register.limits import (
    UPLOAD_LIMIT_SETTINGS,
    BodyLimitUploadHandler,
    LimitMessages,
    RequestBodyLimitMiddleware,
)
from ehe_register.lockout import client_ip_address
from ehe_register.management.commands.seed_demo import SeedDemoMessages, demo_backup_codes
from ehe_register.sessions import SIGNED_IN_AT_KEY
from registry.models import Child, Role, User
from registry.second_factor import SecondFactorMessages
from registry.services.second_factor import second_factor_backup_codes_replace
from registry.views.second_factor import SecondFactorFormMessages
from schools_feed.models import Submission
from schools_feed.services.api_clients import (
    api_client_create,
    api_client_revoke,
    api_client_token_renew,
)
from tests.factories import TEST_PASSWORD, SchoolFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
API_LIST = "/api/v1/notifications/"


def _sign_in_with_password(client, username, password=TEST_PASSWORD, address="192.0.2.10", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


# Request body limits -----------------------------------------------------------------------


class _UnreadableStream:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_declared_larger_than_the_limit_is_refused_with_413_without_being_read(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    request = RequestFactory().post(reverse("login"), {"username": "x"})
    request.META["CONTENT_LENGTH"] = str(10**9)
    request._stream = _UnreadableStream()
    reached = []

    response = RequestBodyLimitMiddleware(lambda r: reached.append(r) or HttpResponse())(request)

    assert response.status_code == 413
    assert not reached
    assert LimitMessages.REQUEST_TOO_LARGE.format(limit=filesizeformat(1000)) in (
        response.content.decode()
    )


def test_a_body_of_undeclared_length_is_never_read(settings):
    """A chunked request has no Content-Length: Django reads none of it, so it cannot be spooled."""
    request = RequestFactory().post(reverse("login"), {"username": "x"})
    del request.META["CONTENT_LENGTH"]
    request._stream = _UnreadableStream()

    response = RequestBodyLimitMiddleware(lambda r: HttpResponse(str(dict(r.POST))))(request)

    assert response.status_code == 200
    assert response.content == b"{}"


def test_an_upload_larger_than_the_upload_limit_is_refused_with_413_and_nothing_is_stored(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.FEED_MAX_UPLOAD_BYTES = 10_000
    school = SchoolFactory()
    user = UserFactory(role=Role.SCHOOL_USER)
    user.schools.add(school)
    sign_in(client, user)
    huge = b"Surname,Forename\n" + b"Smith,Ann\n" * 20_000

    response = client.post(
        reverse("schools_feed:upload"),
        {"file": SimpleUploadedFile("returns.csv", huge, content_type="text/csv")},
    )

    assert response.status_code == 413
    assert LimitMessages.FILE_TOO_LARGE.format(limit=filesizeformat(10_000)) in (
        response.content.decode()
    )
    assert not Submission.objects.exists()
    assert "Content-Security-Policy" in response


def test_the_upload_page_takes_files_larger_than_other_pages_bodies(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REQUEST_MAX_BODY_BYTES = 1000
    school = SchoolFactory()
    user = UserFactory(role=Role.SCHOOL_USER)
    user.schools.add(school)
    sign_in(client, user)
    data = b"Surname,Forename\n" + b"Smith,Ann\n" * 500  # 5 kB: over the default, under uploads

    upload = client.post(
        reverse("schools_feed:upload"),
        {"file": SimpleUploadedFile("returns.csv", data, content_type="text/csv")},
    )
    elsewhere = client.post(reverse("home"), {"padding": "x" * 5000})

    assert upload.status_code != 413
    assert elsewhere.status_code == 413


# Upload pages whose URL names an object (any id will do: the limit applies before the view).
UPLOAD_URL_ARGS = {"portal:evidence": ["00000000-0000-0000-0000-000000000000"]}


@pytest.mark.parametrize(("url_name", "setting"), sorted(UPLOAD_LIMIT_SETTINGS.items()))
def test_every_upload_page_named_in_the_limits_exists_and_takes_its_forms_limit(
    client, settings, url_name, setting
):
    """A renamed upload page would silently fall back to the small default limit."""
    settings.REQUEST_MAX_BODY_BYTES = 1000
    setattr(settings, setting, 20_000)
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    data = b"x" * 10_000

    url = reverse(url_name, args=UPLOAD_URL_ARGS.get(url_name, []))
    response = client.post(url, {"file": SimpleUploadedFile("f.csv", data)})

    assert response.status_code != 413


def test_the_upload_handler_stops_reading_an_upload_once_it_passes_the_limit():
    """The second guard, which counts what actually arrives whatever the header says."""
    body = b"x" * (5 * 1024 * 1024)
    request = RequestFactory().post(
        "/school/send/upload/", {"file": SimpleUploadedFile("big.csv", body)}
    )
    read = []
    stream = request._stream
    original_read = stream.read

    def counting_read(*args):
        chunk = original_read(*args)
        read.append(len(chunk))
        return chunk

    stream.read = counting_read
    request.upload_handlers.insert(0, BodyLimitUploadHandler(request, 100_000))

    files = request.FILES

    assert "file" not in files
    assert request.body_limit_exceeded
    assert sum(read) < len(body) / 2


# XLSX limits are tested with the file readers: tests/schools_feed/test_files_and_rows.py.

# API tokens --------------------------------------------------------------------------------


def test_an_api_token_is_stored_only_as_a_hash_and_expires(settings):
    school = SchoolFactory()

    user, key = api_client_create(school=school, name="Example MIS", by=None)

    token = AuthToken.objects.get(user=user)
    stored = {str(getattr(token, field.attname)) for field in AuthToken._meta.concrete_fields}
    assert key not in stored
    assert len(token.token_key) < len(key)
    expected_expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    assert abs(token.expiry - expected_expiry) < timedelta(minutes=1)


def test_an_expired_api_token_is_refused():
    user, key = api_client_create(school=SchoolFactory(), name="Example MIS", by=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(API_LIST).status_code == 200

    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))

    assert api.get(API_LIST).status_code == 401


def test_a_renewed_api_token_replaces_the_old_one():
    user, old_key = api_client_create(school=SchoolFactory(), name="Example MIS", by=None)

    new_key = api_client_token_renew(user=user)

    old, new = APIClient(), APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
    new.credentials(HTTP_AUTHORIZATION=f"Token {new_key}")
    assert old.get(API_LIST).status_code == 401
    assert new.get(API_LIST).status_code == 200
    api_client_revoke(user=user)
    assert new.get(API_LIST).status_code == 401


def test_the_create_api_client_command_says_the_token_expires():
    school = SchoolFactory()
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_client", school.urn, "Example MIS", stdout=out, stderr=err)

    assert "expires" in err.getvalue()
    assert out.getvalue().strip() not in err.getvalue()


# Second factor -----------------------------------------------------------------------------


@pytest.fixture
def admin_user():
    return UserFactory(username="admin-2fa", role=Role.ADMINISTRATOR, is_staff=True)


def _with_backup_code(user, code="abcd2345"):
    second_factor_backup_codes_replace(user=user, codes=[code])
    return code


def test_an_administrator_signed_in_with_only_a_password_is_sent_to_enter_a_code(
    client, admin_user
):
    _with_backup_code(admin_user)
    _sign_in_with_password(client, admin_user.username)

    response = client.get(reverse("registry:child-list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-verify"))
    assert "next=" in response.url


def test_an_administrator_with_no_second_factor_yet_is_sent_to_set_one_up(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-enrol"))


def test_an_unverified_administrator_is_refused_the_django_admin(client, admin_user):
    _with_backup_code(admin_user)
    client.force_login(admin_user)

    response = client.get("/admin/registry/child/")
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    admin_user.is_verified = lambda: False

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-verify"))
    assert not admin.site.has_permission(request)  # the admin site checks it too


def test_unverified_staff_without_the_administrator_role_also_need_a_second_factor(client):
    staff = UserFactory(role=Role.EHE_OFFICER, is_staff=True)
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-enrol"))


def test_an_unverified_administrator_is_refused_by_the_api(client, admin_user):
    client.force_login(admin_user)

    response = client.get(API_LIST)

    assert response.status_code == 403


def test_an_administrators_api_token_is_refused_because_a_token_carries_no_second_factor(
    admin_user,
):
    _, key = AuthToken.objects.create(user=admin_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.get(API_LIST)

    assert response.status_code == 403
    assert response.json()["detail"] == SecondFactorMessages.API_REFUSED


def test_setting_up_shows_the_secret_as_text_and_a_code_from_the_app_confirms_it(
    client, admin_user
):
    client.force_login(admin_user)
    page = client.get(reverse("second-factor-enrol"), {"next": "/children/"})
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    text = page.content.decode()
    assert "otpauth://totp/" in text
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', text).group(1).replace(" ", "")
    assert len(secret) >= 32
    code = f"{totp(device.bin_key):06d}"

    response = client.post(reverse("second-factor-enrol"), {"code": code, "next": "/children/"})

    device.refresh_from_db()
    assert device.confirmed
    assert response.status_code == 200
    assert StaticToken.objects.filter(device__user=admin_user).count() == 10
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_leaves_the_administrator_unverified_with_an_error(client, admin_user):
    _with_backup_code(admin_user)
    client.force_login(admin_user)

    response = client.post(reverse("second-factor-verify"), {"code": "000000"})

    assert response.status_code == 200
    assert SecondFactorFormMessages.WRONG_CODE in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_backup_code_signs_in_once_only(client, admin_user):
    code = _with_backup_code(admin_user)
    _sign_in_with_password(client, admin_user.username)

    response = client.post(reverse("second-factor-verify"), {"code": code, "next": reverse("home")})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    other = type(client)()
    _sign_in_with_password(other, admin_user.username)
    assert other.post(reverse("second-factor-verify"), {"code": code}).status_code == 200
    assert DEVICE_ID_SESSION_KEY not in other.session


def test_a_stolen_password_cannot_set_up_another_device_on_an_account_that_has_one(
    client, admin_user
):
    _with_backup_code(admin_user)
    client.force_login(admin_user)

    response = client.get(reverse("second-factor-enrol"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-verify"))
    assert not TOTPDevice.objects.filter(user=admin_user).exists()


def test_the_verify_page_never_sends_anyone_to_another_site(client, admin_user):
    code = _with_backup_code(admin_user)
    client.force_login(admin_user)

    response = client.post(
        reverse("second-factor-verify"), {"code": code, "next": "https://evil.example/"}
    )

    assert response.url == reverse("home")


def test_officers_need_no_second_factor(client, ehe_officer):
    client.force_login(ehe_officer)

    assert client.get(reverse("home")).status_code == 200


# Lockout -----------------------------------------------------------------------------------


def test_password_spraying_twenty_usernames_from_one_address_is_locked_out(client):
    victim = UserFactory(username="sprayed-officer")
    for number in range(20):
        _sign_in_with_password(client, f"guess-{number}", "Winter2026!", address="203.0.113.5")

    response = _sign_in_with_password(client, victim.username, address="203.0.113.5")

    assert b"Your account is locked" in response.content
    assert "_auth_user_id" not in client.session
    assert settings.LOCKOUT_ADDRESS_FAILURE_LIMIT < 20


def test_a_few_mistakes_from_a_shared_address_do_not_lock_out_its_other_users(client):
    colleague = UserFactory(username="colleague")
    for number in range(settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT - 1):
        _sign_in_with_password(client, f"typo-{number}", "wrong", address="203.0.113.6")

    response = _sign_in_with_password(client, colleague.username, address="203.0.113.6")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_a_spoofed_x_forwarded_for_does_not_lock_out_the_address_it_names(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    victim = UserFactory(username="victim")
    for _ in range(20):
        _sign_in_with_password(
            client,
            victim.username,
            "wrong",
            address="198.51.100.7",
            HTTP_X_FORWARDED_FOR="192.0.2.44",
        )

    response = _sign_in_with_password(type(client)(), victim.username, address="192.0.2.44")

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(ip_address="192.0.2.44").exists()
    assert AccessAttempt.objects.filter(ip_address="198.51.100.7").exists()


def test_behind_trusted_proxies_the_client_is_the_address_the_nearest_proxy_appended(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1"
    )

    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip_address(request) == "203.0.113.9"  # what the client forged is skipped


# Session lifetime --------------------------------------------------------------------------


def _age_session(client, hours):
    session = client.session
    session[SIGNED_IN_AT_KEY] = (timezone.now() - timedelta(hours=hours)).timestamp()
    session.save()


def test_a_busy_session_older_than_the_absolute_lifetime_is_signed_out(client, ehe_officer):
    client.force_login(ehe_officer)
    assert client.get(reverse("home")).status_code == 200
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() / 3600
    _age_session(client, lifetime + 0.1)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_session_within_the_absolute_lifetime_continues(client, ehe_officer):
    client.force_login(ehe_officer)
    client.get(reverse("home"))
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() / 3600
    _age_session(client, lifetime - 0.1)

    assert client.get(reverse("home")).status_code == 200


# Content Security Policy -------------------------------------------------------------------


def test_every_kind_of_page_carries_a_content_security_policy_without_unsafe_inline(
    client, ehe_officer, admin_user
):
    anonymous = [client.get(reverse("login")), client.get("/admin/login/"), client.get("/nope/")]
    sign_in(client, ehe_officer)
    officer = [client.get(reverse("home")), client.get(reverse("registry:child-list"))]
    staff = type(client)()
    sign_in(staff, admin_user)
    administrator = [staff.get("/admin/"), staff.get(reverse("home"))]

    for response in anonymous + officer + administrator:
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy


def test_no_template_holds_inline_script_event_handlers_or_style_attributes():
    inline_script = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    style = re.compile(r"\sstyle\s*=", re.IGNORECASE)
    found = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text()
        for pattern in (inline_script, handler, style):
            found += [
                f"{path.relative_to(TEMPLATES_DIR)}: {m.group(0)}" for m in pattern.finditer(text)
            ]

    assert found == []


# seed_demo ---------------------------------------------------------------------------------


def test_seed_demo_refuses_to_run_with_debug_off_unless_told_explicitly(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as error:
        call_command("seed_demo", "--scale", "tiny", stdout=io.StringIO())

    assert str(error.value) == SeedDemoMessages.NOT_DEBUG
    assert not User.objects.exists()
    assert not Child.objects.exists()


def test_seed_demo_makes_no_superuser_and_its_administrator_signs_in_with_a_printed_code(client):
    out = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", "--seed", "7", "--allow-without-debug", stdout=out)

    assert not User.objects.filter(is_superuser=True).exists()
    administrator = User.objects.get(username="administrator")
    assert administrator.is_staff
    assert administrator.has_perm("registry.view_child")
    codes = demo_backup_codes(7)
    assert all(code in out.getvalue() for code in codes)
    password = re.search(r"administrator\s+(\S+)", out.getvalue()).group(1)
    _sign_in_with_password(client, "administrator", password)
    verified = client.post(reverse("second-factor-verify"), {"code": codes[0], "next": "/admin/"})
    assert verified.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert StaticDevice.objects.get(user=administrator).token_set.count() == len(codes) - 1


# Password hashing --------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2_and_a_sign_in_upgrades_an_older_hash(client, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the real ones, not the tests'
    user = UserFactory(username="older-hash")
    user.password = make_password(TEST_PASSWORD, hasher="pbkdf2_sha256")
    user.save()

    response = _sign_in_with_password(client, user.username)

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.password.startswith("argon2$argon2id$")
