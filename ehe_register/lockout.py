"""Sign-in lockout (django-axes): whose address a request comes from, and when it is locked out.

Two rules, both counted over the cool-off period:

- one account from one address: locked after ``LOCKOUT_ACCOUNT_FAILURE_LIMIT`` failures (someone
  guessing one person's password);
- one address, whatever the accounts: locked after ``LOCKOUT_ADDRESS_FAILURE_LIMIT`` failures
  (password spraying: a few guesses at each of many accounts).

Axes counts each group of ``AXES_LOCKOUT_PARAMETERS`` and compares the largest count (the
address's, which includes the account's) with one limit, so the limit it is given depends on the
account's own count: the account's limit once that is reached, the address's otherwise.
"""

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address. With no trusted proxy, REMOTE_ADDR: X-Forwarded-For is whatever
    the client chose to send. Behind N trusted proxies, each appends the address it saw, so the
    client is the Nth entry from the right; anything left of it the client could have forged."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """The limit axes compares with the address's failure count (see the module docstring)."""
    account_limit = settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_ip_address(request)
    if username and address:
        account_failures = (
            AccessAttempt.objects.filter(
                username=username,
                ip_address=address,
                attempt_time__gte=get_cool_off_threshold(request),
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        if account_failures >= account_limit:
            return account_limit
    return settings.LOCKOUT_ADDRESS_FAILURE_LIMIT
