"""Second-factor devices (django-otp): an authenticator app (TOTP) and a set of backup codes.

A person sets up an authenticator app once, confirming it with a code it shows; they then get
backup codes, each good for one sign-in, for when the phone is not to hand. Who needs a second
factor is ``registry.second_factor.second_factor_required``.
"""

import logging

from django.db import transaction
from django_otp import devices_for_user, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import User

logger = logging.getLogger(__name__)

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def second_factor_enrolment_device(*, user: User) -> TOTPDevice:
    """The authenticator device being set up: made once and kept unconfirmed until a code from
    the app proves the person holds the secret, so reloading the page shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def second_factor_enrolment_confirm(
    *, user: User, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm the authenticator with a code from it. Returns fresh backup codes (shown once),
    or None when the code is wrong."""
    with transaction.atomic():
        if device.user_id != user.pk or not device.verify_token(token.strip()):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = second_factor_backup_codes_replace(user=user)
    logger.info("Second factor set up by %s", user.username)
    return codes


def second_factor_backup_codes_replace(*, user: User, codes: list[str] | None = None) -> list[str]:
    """Replace the person's backup codes: new random ones, or the given ones (the demo's)."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        if codes is None:
            codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, user: User, token: str) -> Device | None:
    """The device that accepts this code, if any: the authenticator's current code or an unused
    backup code (used up by this). Each device counts failures and slows guessing down."""
    token = token.strip().replace(" ", "")
    if not token:
        return None
    for device in devices_for_user(user, confirmed=True):
        found = verify_token(user, device.persistent_id, token)
        if found is not None:
            return found
    return None
