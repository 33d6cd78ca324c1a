"""API clients: the credentials an MIS supplier uses to send one school's returns.

An API client is an ordinary school user (so every access gate already scopes it) linked to
exactly one school, with no password (it cannot sign in to the web pages) and one token
(django-rest-knox). Only a hash of the token is stored, and it expires after ``REST_KNOX
["TOKEN_TTL"]``: it is shown once, when the client is created (or its token renewed); revoking
deletes it and deactivates the user.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from knox.models import AuthToken

from registry.models import Role, User
from schools_feed.models import School

logger = logging.getLogger(__name__)

USERNAME_PREFIX = "api-"
USERNAME_MAX_LENGTH = 150


class ApiClientMessages:
    NAME_REQUIRED = "Enter a name for the API client, for example the MIS supplier"
    NOT_AN_API_CLIENT = "{username} is not an API client"


def api_client_username(*, school: School, name: str) -> str:
    prefix = f"{USERNAME_PREFIX}{school.urn}-"
    return prefix + slugify(name)[: USERNAME_MAX_LENGTH - len(prefix)].strip("-")


def is_api_client(user: User) -> bool:
    return user.username.startswith(USERNAME_PREFIX) and not user.has_usable_password()


def api_client_create(*, school: School, name: str, by: User | None) -> tuple[User, str]:
    """Create a school's API client and its token. Returns the user and the token key: the only
    time the key is shown. Raises ValidationError for an empty name or a name already used."""
    if not slugify(name):
        raise ValidationError({"name": ApiClientMessages.NAME_REQUIRED})
    user = User(
        username=api_client_username(school=school, name=name),
        first_name=name.strip()[:150],
        last_name="(API client)",
        role=Role.SCHOOL_USER,
        team=f"API client for {school.name}"[:100],
    )
    user.set_unusable_password()
    user.full_clean()  # a unique username: the same name twice for one school is refused
    with transaction.atomic():
        user.save()
        user.schools.set([school])
        _, key = AuthToken.objects.create(user=user)
    logger.info(
        "API client %s created for school %s by %s", user.username, school.urn, by or "command"
    )
    return user, key


def api_client_token_renew(*, user: User, by: User | None = None) -> str:
    """A new token for an API client (the old one expired or leaked): every earlier token stops
    working. Returns the key, shown only now."""
    if not is_api_client(user) or not user.is_active:
        raise ValidationError(ApiClientMessages.NOT_AN_API_CLIENT.format(username=user.username))
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        _, key = AuthToken.objects.create(user=user)
    logger.info("API client %s token renewed by %s", user.username, by or "command")
    return key


def api_client_revoke(*, user: User, by: User | None = None) -> None:
    """Stop an API client at once: its token is deleted and the user deactivated (kept, because
    its submissions name it)."""
    if not is_api_client(user):
        raise ValidationError(ApiClientMessages.NOT_AN_API_CLIENT.format(username=user.username))
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        user.is_active = False
        user.save(update_fields=["is_active"])
    logger.info("API client %s revoked by %s", user.username, by or "command")
