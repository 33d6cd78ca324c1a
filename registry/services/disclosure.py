"""The disclosure log: one row each time children's data leaves the register
(docs/rules/data-protection.md §5; the last golden rule of the *Information sharing* advice:
record what was shared, with whom, why and when).

``disclosure_record`` is the one writer; every download, file and email that carries children's
details calls it after the content is built and before it is handed over, so a refused export
(no capability, outside the gate, no reason) writes nothing. The access log (§3) says who saw a
child on screen; this log says what left. Aggregate outputs (the DfE return's tables, the pack's
published figures, the off-rolling indicators and the school briefing, which names no child) are
not disclosures of children's data and are not logged here.
"""

from collections.abc import Iterable

from registry.models import Disclosure, DisclosureChannel, User
from registry.services.access_log import LISTS_SCOPE, access_reason_given


def disclosure_record(
    *,
    kind: str,
    channel: str,
    user: User | None,
    recipient: str,
    path: str,
    children: Iterable = (),
    children_count: int | None = None,
    reason: str = "",
) -> Disclosure:
    """Record one disclosure. ``children`` are Child objects or ids (the children named);
    ``children_count`` defaults to how many there are, and is given where the content holds
    pupils the register has not linked to a child (a school's rejected rows)."""
    ids = list(dict.fromkeys(getattr(child, "pk", child) for child in children if child))
    row = Disclosure.objects.create(
        kind=kind,
        channel=channel,
        user=user,
        recipient=recipient[:300],
        path=path[:300],
        reason=reason[:300],
        children_count=len(ids) if children_count is None else children_count,
    )
    if ids:
        row.children.set(ids)
    return row


def disclosure_record_for_download(
    request, *, kind: str, children: Iterable = (), children_count: int | None = None
) -> Disclosure:
    """``disclosure_record`` for a file downloaded from a page: the recipient is the person
    signed in, and the reason the one given for lists in this session (if any)."""
    user = request.user
    given = access_reason_given(session=request.session, scope=LISTS_SCOPE)
    return disclosure_record(
        kind=kind,
        channel=DisclosureChannel.DOWNLOAD,
        user=user,
        recipient=f"Downloaded by {user.get_full_name() or user.get_username()}",
        path=request.get_full_path(),
        children=children,
        children_count=children_count,
        reason=given["reason"] if given else "",
    )
