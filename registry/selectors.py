"""Reads. The access gates live here: every view, export, API endpoint and admin queryset that
shows a kind of object gets it through that kind's ``*_queryset_for_user`` function.

Who sees what (product.md, domain.md §7.4):

- administrator: every record;
- EHE officer: children with an EHE episode, and children with no episode yet (so duplicates can
  be found and a first episode opened);
- CME officer: the same for CME;
- inclusion lead: children named in a school's notifications, each view logged with a reason;
- DCS: aggregates only, never a child;
- school user: no child records; only their own schools' notifications (schools_feed.selectors).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from registry.models import (
    Action,
    Address,
    Child,
    ChildAccessLog,
    ChildFlag,
    ChildMerge,
    CMEEnquiry,
    CMEEpisode,
    Contact,
    Decision,
    EHEEpisode,
    EpisodeStatusChange,
    Role,
    SocialCareReferral,
    User,
)
from registry.reporting import asat
from registry.school_age import academic_year_start, date_of_birth_range_for_nc_year
from registry.services.children import normalise_postcode, normalise_search_text
from schools_feed.models import Notification, NotificationEvent


def _has_ehe():
    return Exists(EHEEpisode.objects.filter(child=OuterRef("pk")))


def _has_cme():
    return Exists(CMEEpisode.objects.filter(child=OuterRef("pk")))


def child_queryset_for_user(*, user: User) -> QuerySet[Child]:
    """The one gate for children."""
    children = Child.objects.active()
    if not user.is_authenticated or not user.is_active:
        return children.none()
    match user.role:
        case Role.ADMINISTRATOR:
            return children
        case Role.EHE_OFFICER:
            return children.filter(_has_ehe() | (~_has_ehe() & ~_has_cme()))
        case Role.CME_OFFICER:
            return children.filter(_has_cme() | (~_has_ehe() & ~_has_cme()))
        case Role.INCLUSION_LEAD:
            return children.filter(Exists(Notification.objects.filter(child=OuterRef("pk"))))
        case _:
            return children.none()


def ehe_episode_queryset_for_user(*, user: User) -> QuerySet[EHEEpisode]:
    if user.is_authenticated and user.role in {Role.ADMINISTRATOR, Role.EHE_OFFICER}:
        return EHEEpisode.objects.filter(child__merged_into__isnull=True)
    if user.is_authenticated and user.role == Role.INCLUSION_LEAD:
        return EHEEpisode.objects.filter(child__in=child_queryset_for_user(user=user))
    return EHEEpisode.objects.none()


def cme_episode_queryset_for_user(*, user: User) -> QuerySet[CMEEpisode]:
    if user.is_authenticated and user.role in {Role.ADMINISTRATOR, Role.CME_OFFICER}:
        return CMEEpisode.objects.filter(child__merged_into__isnull=True)
    if user.is_authenticated and user.role == Role.INCLUSION_LEAD:
        return CMEEpisode.objects.filter(child__in=child_queryset_for_user(user=user))
    return CMEEpisode.objects.none()


def action_queryset_for_user(*, user: User) -> QuerySet[Action]:
    return Action.objects.filter(child__in=child_queryset_for_user(user=user))


def contact_queryset_for_user(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(child__in=child_queryset_for_user(user=user))


def decision_queryset_for_user(*, user: User) -> QuerySet[Decision]:
    return Decision.objects.filter(child__in=child_queryset_for_user(user=user))


def user_can_change_child(*, user: User, child: Child) -> bool:
    """Casework roles may change a record they can see; inclusion leads and others only read."""
    return user.is_caseworker and child_queryset_for_user(user=user).filter(pk=child.pk).exists()


def child_record_get(*, user: User, child_id) -> Child:
    """The child with everything the record page shows, in a fixed number of queries whatever the
    length of the child's history. Raises Child.DoesNotExist outside the user's gate."""
    return (
        child_queryset_for_user(user=user)
        .prefetch_related(
            "addresses",
            "carers",
            Prefetch("flags", queryset=ChildFlag.objects.order_by("flag_type", "-valid_from")),
            Prefetch(
                "ehe_episodes",
                queryset=EHEEpisode.objects.select_related(
                    "assigned_officer", "previous_school", "opening_notification"
                ).prefetch_related("providers", "enforcement_steps"),
            ),
            Prefetch(
                "cme_episodes",
                queryset=CMEEpisode.objects.select_related(
                    "assigned_officer", "located_school", "opening_notification"
                ).prefetch_related(
                    Prefetch("enquiries", queryset=CMEEnquiry.objects.select_related("officer")),
                    Prefetch(
                        "referrals",
                        queryset=SocialCareReferral.objects.select_related("referred_by"),
                    ),
                ),
            ),
            Prefetch("contacts", queryset=Contact.objects.select_related("recorded_by")),
            Prefetch("actions", queryset=Action.objects.select_related("owner")),
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
            Prefetch(
                "status_changes", queryset=EpisodeStatusChange.objects.select_related("changed_by")
            ),
            Prefetch(
                "notifications",
                queryset=Notification.objects.select_related("school", "destination_school"),
            ),
            Prefetch(
                "feed_events",
                queryset=NotificationEvent.objects.exclude(event_type="received").select_related(
                    "by", "notification__school"
                ),
            ),
        )
        .get(pk=child_id)
    )


def _referrals_with_officer():
    return SocialCareReferral.objects.select_related("referred_by")


def child_search(
    *,
    user: User,
    text: str = "",
    upn: str = "",
    date_of_birth: date | None = None,
    postcode: str = "",
    school_urn: str = "",
    episode_type: str = "",
    status: str = "",
    officer_id: int | None = None,
    nc_year: str = "",
    flag: str = "",
    on: date,
) -> QuerySet[Child]:
    """Register search over the user's gate. Name text is partial, case- and accent-insensitive."""

    children = child_queryset_for_user(user=user)
    for word in normalise_search_text(text).split():
        children = children.filter(search_name__contains=word)
    if upn:
        children = children.filter(Q(upn__iexact=upn.strip()) | Q(former_upn__iexact=upn.strip()))
    if date_of_birth:
        children = children.filter(date_of_birth=date_of_birth)
    if postcode:
        children = children.filter(
            Exists(
                Address.objects.filter(child=OuterRef("pk"), postcode=normalise_postcode(postcode))
            )
        )
    if school_urn:
        children = children.filter(
            Exists(Notification.objects.filter(child=OuterRef("pk"), school__urn=school_urn))
        )
    children = _filter_by_episode(children, episode_type, status, officer_id)
    if nc_year:
        earliest, latest = date_of_birth_range_for_nc_year(nc_year, on)
        children = children.filter(date_of_birth__range=(earliest, latest))
    if flag:
        children = children.filter(
            Exists(ChildFlag.objects.current_on(on).filter(child=OuterRef("pk"), flag_type=flag))
        )
    # Every filter is an EXISTS, so no row is repeated and no DISTINCT (a sort of every match) is
    # needed: that keeps search fast on a county's 500,000 children.
    return children


def _filter_by_episode(children, episode_type: str, status: str, officer_id: int | None):
    episode_models = {"ehe": EHEEpisode, "cme": CMEEpisode}
    chosen = [episode_models[episode_type]] if episode_type in episode_models else []
    if not chosen and (status or officer_id):
        chosen = list(episode_models.values())
    conditions = Q()
    for model in chosen:
        episodes = model.objects.filter(child=OuterRef("pk"))
        if status:
            episodes = episodes.filter(status=status)
        if officer_id:
            episodes = episodes.filter(assigned_officer_id=officer_id)
        conditions |= Q(Exists(episodes))
    return children.filter(conditions) if chosen else children


def child_access_log_for_child(*, child: Child) -> QuerySet[ChildAccessLog]:
    return child.access_log.select_related("user")


def caseload_for_officer(*, officer: User) -> list:
    """The officer's open episodes, EHE and CME together, oldest first."""
    ehe = EHEEpisode.objects.filter(assigned_officer=officer, end_date__isnull=True)
    cme = CMEEpisode.objects.filter(assigned_officer=officer, end_date__isnull=True)
    episodes = [*ehe.select_related("child"), *cme.select_related("child")]
    return sorted(episodes, key=lambda episode: episode.start_date)


def attach_open_episodes(*, children) -> None:
    """Give each child on a page its open episodes, in two queries for the whole page."""
    by_child: dict = {child.pk: [] for child in children}
    for model in (EHEEpisode, CMEEpisode):
        for episode in model.objects.filter(child__in=list(by_child), end_date__isnull=True):
            by_child[episode.child_id].append(episode)
    for child in children:
        child.open_episodes = by_child[child.pk]


def register_overview(*, on: date) -> dict:
    """Aggregate counts only (for the DCS): never a child's name. Counted as the DfE return and
    the quarterly pack count (registry/reporting/asat.py), so the three agree."""
    year_start = date(academic_year_start(on), 9, 1)
    return {
        "on": on,
        "ehe_now": asat.children_on_count(EHEEpisode, on),
        "cme_now": asat.children_on_count(CMEEpisode, on),
        "ehe_starts": EHEEpisode.objects.filter(start_date__range=(year_start, on)).count(),
        "cme_starts": CMEEpisode.objects.filter(start_date__range=(year_start, on)).count(),
        "year_start": year_start,
    }


def merges_for_child(*, child: Child):
    return ChildMerge.objects.filter(Q(kept=child) | Q(merged=child)).select_related(
        "kept", "merged", "merged_by"
    )


@dataclass(frozen=True)
class FieldChange:
    when: object
    who: str
    record: str
    field: str
    old: str
    new: str
    reason: str


def child_field_history(*, child: Child) -> list[FieldChange]:
    """Field-level changes to the child and every record on their file, newest first. One query
    per kind of record, whatever the length of the history."""
    related = {
        "Identity": (Child, [child.pk]),
        "Address": (child.addresses.model, [a.pk for a in child.addresses.all()]),
        "Carer": (child.carers.model, [c.pk for c in child.carers.all()]),
        "Flag": (ChildFlag, [f.pk for f in child.flags.all()]),
        "EHE episode": (EHEEpisode, [e.pk for e in child.ehe_episodes.all()]),
        "CME episode": (CMEEpisode, [e.pk for e in child.cme_episodes.all()]),
        "Contact": (Contact, [c.pk for c in child.contacts.all()]),
        "Action": (Action, [a.pk for a in child.actions.all()]),
        "Decision": (Decision, [d.pk for d in child.decisions.all()]),
    }
    changes: list[FieldChange] = []
    for label, (model, ids) in related.items():
        if ids:
            changes += _changes_for(label, model, ids)
    return sorted(changes, key=lambda change: change.when, reverse=True)


def _changes_for(label: str, model, ids) -> list[FieldChange]:
    rows = list(
        model.history.filter(id__in=ids)
        .select_related("history_user")
        .order_by("id", "history_date")
    )
    changes = []
    previous_by_id: dict = {}
    for row in rows:
        who = str(row.history_user or "system")
        previous = previous_by_id.get(row.id)
        if previous is None:
            changes.append(
                FieldChange(
                    row.history_date,
                    who,
                    label,
                    "record",
                    "",
                    "created",
                    row.history_change_reason or "",
                )
            )
        else:
            for change in row.diff_against(previous).changes:
                changes.append(
                    FieldChange(
                        row.history_date,
                        who,
                        label,
                        _verbose(model, change.field),
                        str(change.old),
                        str(change.new),
                        row.history_change_reason or "",
                    )
                )
        previous_by_id[row.id] = row
    return changes


def _verbose(model, field_name: str) -> str:
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the change was made
        return field_name


def merge_candidates(*, user: User, child: Child) -> QuerySet[Child]:
    """Records that may be the same child: same date of birth, or same UPN, inside the gate."""
    same = Q(date_of_birth=child.date_of_birth)
    if child.upn:
        same |= Q(upn=child.upn)
    return (
        child_queryset_for_user(user=user)
        .filter(same)
        .exclude(pk=child.pk)
        .order_by("legal_surname", "legal_forenames")
    )
