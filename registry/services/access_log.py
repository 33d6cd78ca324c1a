"""Opening a child's record, and listing children, attributably (ADR 0002).

- ``child_record_open`` is the one way any page (the record, its history, the identity, merge and
  casework forms, the admin) opens one child: it applies the child gate, asks for a reason where
  the role must give one (the inclusion lead), and writes one ``ChildAccessLog`` row.
- ``children_list_log`` writes one ``ChildListAccessLog`` row for a page, export or API response
  that lists children, naming every child shown.
- A reason given is kept for the session under one key, ``ACCESS_REASONS_SESSION_KEY``, whatever
  it unlocks: one child's record, the deletions behind a school's figures, or names in lists.
"""

from collections.abc import Iterable

from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode

from registry.access import Capability, user_can
from registry.models import AccessPurpose, Child, ChildAccessLog, ChildListAccessLog, User
from registry.selectors import child_queryset_for_user

ACCESS_REASONS_SESSION_KEY = "access_reasons"
# The scope of a reason that shows children's names in lists (search, notifications, returns).
LISTS_SCOPE = "lists"


class ReasonRequired(Exception):  # noqa: N818 - a request to be redirected, not an error
    """The user must give a reason before this is shown: redirect them to ``url``."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def child_scope(child_id) -> str:
    return f"child:{child_id}"


def access_reason_give(*, session, scope: str, purpose: str, reason: str) -> None:
    reasons = session.get(ACCESS_REASONS_SESSION_KEY, {})
    reasons[scope] = {"purpose": str(purpose), "reason": reason.strip()[:300]}
    session[ACCESS_REASONS_SESSION_KEY] = reasons


def access_reason_given(*, session, scope: str) -> dict | None:
    return session.get(ACCESS_REASONS_SESSION_KEY, {}).get(scope)


def reason_needed(*, user: User, session, scope: str) -> bool:
    """Whether the user must still give a reason before what ``scope`` covers is shown."""
    return (
        user_can(user, Capability.VIEW_WITH_REASON)
        and access_reason_given(session=session, scope=scope) is None
    )


def list_names_shown(request) -> bool:
    """Whether lists show children's names to this user now (always, except for a role that must
    first give a reason: then only once it has been given in this session)."""
    return not reason_needed(user=request.user, session=request.session, scope=LISTS_SCOPE)


def list_reason_url(request) -> str:
    next_url = urlencode({"next": request.get_full_path()})
    return f"{reverse('registry:list-access-reason')}?{next_url}"


def child_record_open(
    *, request, child_id, queryset=None, sensitive: bool = False, purpose: str | None = None
) -> Child:
    """The child, through the gate, with the opening logged. ``queryset`` narrows or prefetches
    (it is intersected with the gate, never widens it). Raises Http404 outside the gate (nothing
    says the record exists) and ``ReasonRequired`` while a reason is owed."""
    user = request.user
    if not user_can(user, Capability.VIEW_CHILD_RECORD):
        raise Http404
    gate = child_queryset_for_user(user=user)
    children = gate if queryset is None else queryset.filter(pk__in=gate.values("pk"))
    try:
        child = children.get(pk=child_id)
    except (Child.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
    logged_purpose, reason = purpose or AccessPurpose.CASEWORK, ""
    if user_can(user, Capability.VIEW_WITH_REASON):
        given = access_reason_given(session=request.session, scope=child_scope(child.pk))
        if given is None:
            url = reverse("registry:child-access-reason", kwargs={"child_id": child.pk})
            raise ReasonRequired(f"{url}?{urlencode({'next': request.get_full_path()})}")
        logged_purpose, reason = given["purpose"], given["reason"]
    purpose = AccessPurpose.SENSITIVE_FIELDS if sensitive else logged_purpose
    child_opening_log(request=request, child=child, purpose=purpose, reason=reason)
    return child


def child_opening_log(*, request, child: Child, purpose: str, reason: str = "") -> None:
    """One access-log row: who opened the child's record, from which page, why."""
    ChildAccessLog.objects.create(
        child=child,
        user=request.user,
        path=request.get_full_path()[:300],
        purpose=purpose,
        reason=reason[:300],
    )


def children_list_log(
    *,
    user: User,
    children: Iterable,
    path: str,
    purpose: str,
    reason: str = "",
    shown: int | None = None,
) -> ChildListAccessLog | None:
    """One row for a list that showed ``children`` (Child objects or ids); none when it showed
    nobody. ``shown`` counts every pupil the page named when some are not yet linked to a record
    (a return waiting to be matched names a pupil too): the row is written for them, listing the
    linked children. The log is append-only and has no history, so the M2M's bulk insert hides
    nothing."""
    ids = list(dict.fromkeys(getattr(child, "pk", child) for child in children if child))
    shown = len(ids) if shown is None else max(shown, len(ids))
    if not shown:
        return None
    row = ChildListAccessLog.objects.create(
        user=user, path=path[:300], purpose=purpose, reason=reason[:300], shown=shown
    )
    row.children.set(ids)
    return row


def children_list_log_for_request(
    request, children: Iterable, *, purpose: str, reason: str = "", shown: int | None = None
) -> ChildListAccessLog | None:
    """``children_list_log`` for a web request, with the reason given for lists (if any)."""
    if not reason:
        given = access_reason_given(session=request.session, scope=LISTS_SCOPE)
        reason = given["reason"] if given else ""
    return children_list_log(
        user=request.user,
        children=children,
        path=request.get_full_path(),
        purpose=purpose,
        reason=reason,
        shown=shown,
    )
