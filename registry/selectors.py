"""Reads. The access gates live here: every view, export, API endpoint and admin queryset that
shows a kind of object gets it through that kind's ``*_queryset_for_user`` function.

Who sees what (docs/rules/data-protection.md §2); which scope each role holds is read from the
capability table in registry/access.py:

- administrator: every record;
- EHE officer: children with an EHE episode, and children with no episode yet (so duplicates can
  be found and a first episode opened);
- CME officer: the same for CME;
- inclusion lead: children named in a school's notifications, each view logged with a reason;
- DCS: aggregates only, never a child;
- school user: no child records; only their own schools' notifications (schools_feed.selectors).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerChoices,
    Lookup,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.access import Capability, capabilities_of, user_can
from registry.models import (
    Action,
    Address,
    Child,
    ChildAccessLog,
    ChildFlag,
    ChildMerge,
    CMEEnquiry,
    CMEEpisode,
    CNISRegistration,
    CNISRequest,
    Complaint,
    Contact,
    Decision,
    EHEEpisode,
    EnforcementStep,
    EpisodeStatusChange,
    ParentSubmission,
    SafeguardingAlert,
    School,
    SentLetter,
    SocialCareReferral,
    User,
)
from registry.postcodes import postcode_search_parse
from registry.reporting import asat
from registry.school_age import academic_year_start, date_of_birth_range_for_nc_year
from registry.services.children import normalise_search_text


def _has_ehe():
    return Exists(EHEEpisode.objects.filter(child=OuterRef("pk")))


def _has_cme():
    return Exists(CMEEpisode.objects.filter(child=OuterRef("pk")))


def _on_cnis_register():
    # A child on the CNIS register under C(b) or C(c) may have no EHE case: the EHE team keeps
    # the register (ADR 0016), so its gate reaches them.
    return Exists(CNISRegistration.objects.filter(child=OuterRef("pk")))


def _named_in_a_school_return(**return_filters):
    # Read through the relation the schools feed declares to the child ("notifications"): the
    # register imports no module of the app built on it (docs/adr/0010-app-layers.md).
    returns = {f"notifications__{field}": value for field, value in return_filters.items()}
    return Exists(Child.objects.filter(pk=OuterRef("pk"), notifications__isnull=False, **returns))


def child_queryset_for_user(*, user: User) -> QuerySet[Child]:
    """The one gate for children. Which children a role reaches is read from the capability
    table (registry/access.py); each scope it holds adds its children."""
    children = Child.objects.active()
    held = capabilities_of(user)
    if Capability.SEE_EVERY_CHILD in held:
        return children
    reach = Q(pk__in=[])
    if Capability.EHE_CASEWORK in held:
        reach |= Q(_has_ehe()) | Q(_on_cnis_register())
    if Capability.CME_CASEWORK in held:
        reach |= Q(_has_cme())
    if Capability.SEE_CHILDREN_WITHOUT_EPISODE in held:
        reach |= ~_has_ehe() & ~_has_cme()
    if Capability.SEE_NOTIFIED_CHILDREN in held:
        reach |= Q(_named_in_a_school_return())
    return children.filter(reach) if reach != Q(pk__in=[]) else children.none()


def _episode_queryset_for_user(model, casework: Capability, user: User):
    """Every episode of its kind for the team that works that kind; an officer of the other team
    does not reach them (nor change them) even on a child both teams see."""
    held = capabilities_of(user)
    if Capability.SEE_EVERY_CHILD in held or casework in held:
        return model.objects.filter(child__merged_into__isnull=True)
    if Capability.SEE_NOTIFIED_CHILDREN in held:
        return model.objects.filter(child__in=child_queryset_for_user(user=user))
    return model.objects.none()


def ehe_episode_queryset_for_user(*, user: User) -> QuerySet[EHEEpisode]:
    return _episode_queryset_for_user(EHEEpisode, Capability.EHE_CASEWORK, user)


def cme_episode_queryset_for_user(*, user: User) -> QuerySet[CMEEpisode]:
    return _episode_queryset_for_user(CMEEpisode, Capability.CME_CASEWORK, user)


def action_queryset_for_user(*, user: User) -> QuerySet[Action]:
    return Action.objects.filter(child__in=child_queryset_for_user(user=user))


def contact_queryset_for_user(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(child__in=child_queryset_for_user(user=user))


def decision_queryset_for_user(*, user: User) -> QuerySet[Decision]:
    return Decision.objects.filter(child__in=child_queryset_for_user(user=user))


def user_can_change_child(*, user: User, child: Child) -> bool:
    """Casework roles may change a record they can see; inclusion leads and others only read."""
    return (
        user_can(user, Capability.CHANGE_CHILD)
        and child_queryset_for_user(user=user).filter(pk=child.pk).exists()
    )


def child_record_get(*, user: User, child_id) -> Child:
    """The child with everything the record page shows. Raises Child.DoesNotExist outside the
    user's gate. Pages open a child through ``services.access_log.child_record_open``, which
    gates and logs; this is for code that reads a record without a person looking at it."""
    gate = child_queryset_for_user(user=user)
    return child_record_queryset().filter(pk__in=gate.values("pk")).get(pk=child_id)


def child_record_queryset() -> QuerySet[Child]:
    """Children with everything the record page shows, in a fixed number of queries whatever the
    length of the child's history. Not a gate: ``child_record_open`` intersects it with one."""
    return Child.objects.active().prefetch_related(
        "addresses",
        "carers",
        Prefetch("flags", queryset=ChildFlag.objects.order_by("flag_type", "-valid_from")),
        Prefetch(
            "ehe_episodes",
            queryset=EHEEpisode.objects.select_related(
                "assigned_officer", "previous_school"
            ).prefetch_related("providers", _enforcement_steps()),
        ),
        Prefetch(
            "cme_episodes",
            queryset=CMEEpisode.objects.select_related(
                "assigned_officer", "located_school"
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
        # What parents sent through the portal (ADR 0014), for the timeline.
        Prefetch(
            "parent_submissions",
            queryset=ParentSubmission.objects.select_related(
                "submitted_by", "enforcement_step"
            ).prefetch_related("files"),
        ),
        Prefetch("complaints", queryset=Complaint.objects.select_related("made_by", "handler")),
        Prefetch(
            "cnis_registrations",
            queryset=CNISRegistration.objects.select_related("created_by").prefetch_related(
                Prefetch(
                    "requests", queryset=CNISRequest.objects.select_related("sent_by", "closed_by")
                )
            ),
        ),
        # The letters sent, without their documents (docs/rules/ehe.md §10).
        Prefetch(
            "sent_letters",
            queryset=SentLetter.objects.select_related("sent_by").defer("pdf", "docx", "body_text"),
        ),
        *_school_return_prefetches(),
    )


def _enforcement_steps() -> Prefetch:
    # A step shows the register request it follows from, if any (its __str__).
    return Prefetch(
        "enforcement_steps", queryset=EnforcementStep.objects.select_related("grounds_request")
    )


def _school_return_prefetches() -> list[Prefetch]:
    """The schools feed's returns and routing events about the child, read through the relations
    the feed declares to ``Child`` (the register imports no feed module; ADR 0010)."""
    notifications = Child._meta.get_field("notifications").related_model
    events = Child._meta.get_field("feed_events").related_model
    return [
        Prefetch(
            "notifications",
            queryset=notifications.objects.select_related("school", "destination_school"),
        ),
        Prefetch(
            "feed_events",
            queryset=events.objects.select_related("by", "notification__school"),
        ),
    ]


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
    """Register search over the user's gate. Name text is partial, case- and accent-insensitive,
    and forgives a one-letter slip in a word of four letters or more: with a name typed, each child
    carries ``name_match`` (a ``NameMatch``), to rank those found as typed first. The postcode may
    be whole, a district or a sector (``registry.postcodes``), on any address the child has had.
    ``status`` is "ehe:closed", "cme:closed" and so on: the kinds share some status names."""

    children = child_queryset_for_user(user=user)
    words = normalise_search_text(text).split()
    if words:
        children = children.filter(
            _all_words(words, lambda word: _name_contains(word) | _name_similar(word))
        ).annotate(
            name_match=Case(
                When(_all_words(words, _name_starts_with), then=Value(NameMatch.STARTS)),
                When(_all_words(words, _name_contains), then=Value(NameMatch.CONTAINS)),
                default=Value(NameMatch.SIMILAR),
            )
        )
    if upn:
        children = children.filter(Q(upn__iexact=upn.strip()) | Q(former_upn__iexact=upn.strip()))
    if date_of_birth:
        children = children.filter(date_of_birth=date_of_birth)
    if where := postcode_search_parse(postcode):
        at = (
            Q(postcode=where.exact)
            if where.exact
            else Q(postcode__startswith=where.prefix) | Q(postcode=where.prefix.rstrip())
        )
        children = children.filter(Exists(Address.objects.filter(at, child=OuterRef("pk"))))
    if school_urn:
        children = children.filter(_named_in_a_school_return(school__urn=school_urn))
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


class NameMatch(IntegerChoices):
    """How a child found by name matches what was typed, best first."""

    STARTS = 0, "Names start with what was typed"
    CONTAINS = 1, "Names contain what was typed"
    SIMILAR = 2, "Similar name"


# A slip in a shorter word ("smt") would find far too many names to be of help.
SIMILAR_NAME_MIN_LENGTH = 4


class _Like(Lookup):
    """``search_name LIKE pattern``, the pattern's ``_`` a wildcard. The words are letters and
    digits only (``normalise_search_text``), so nothing in them needs escaping."""

    lookup_name = "like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def _all_words(words: list[str], condition) -> Q:
    every = Q()
    for word in words:
        every &= condition(word)
    return every


def _name_contains(word: str) -> Q:
    return Q(search_name__contains=word)


def _name_starts_with(word: str) -> Q:
    return Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")


def one_letter_slips(word: str) -> set[str]:
    """LIKE patterns for the names one slip away from ``word``: a letter wrong, missing, extra,
    or two letters swapped ("ainsworh" finds "ainsworth" by "ainswor_h")."""
    slips = set()
    for i in range(len(word)):
        slips.add(word[:i] + "_" + word[i + 1 :])
        slips.add(word[:i] + word[i + 1 :])
        if i:
            slips.add(word[:i] + "_" + word[i:])
        if i + 1 < len(word):
            slips.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return slips - {word}


def _name_similar(word: str) -> Q:
    """Names a slip away from ``word``. On PostgreSQL this is pg_trgm's word similarity
    (``search_name %> word``), which the trigram index answers at county scale; patterns with a
    wildcard among so few letters would give that index nothing to go on. SQLite, the zero-setup
    default, tries each one-letter slip; the two agree on an ordinary slip in a name of six
    letters or more, and on a shorter word PostgreSQL is the stricter."""
    if len(word) < SIMILAR_NAME_MIN_LENGTH:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        return Q(TrigramWordSimilar(F("search_name"), Value(word)))
    slips = Q(pk__in=[])
    for pattern in sorted(one_letter_slips(word)):
        slips |= Q(_Like(F("search_name"), Value(f"%{pattern}%")))
    return slips


def _filter_by_episode(children, episode_type: str, status: str, officer_id: int | None):
    episode_models = {"ehe": EHEEpisode, "cme": CMEEpisode}
    status_kind, _, status = status.rpartition(":")
    episode_type = episode_type or status_kind
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
    """The officer's open episodes, EHE and CME together, oldest first, on children inside their
    gate (an episode assigned before a change of team names no child the officer may not see)."""
    gate = child_queryset_for_user(user=officer).values("pk")
    open_ = {"assigned_officer": officer, "end_date__isnull": True, "child__in": gate}
    episodes = [
        *EHEEpisode.objects.filter(**open_).select_related("child"),
        *CMEEpisode.objects.filter(**open_).select_related("child"),
    ]
    return sorted(episodes, key=lambda episode: episode.start_date)


@dataclass(frozen=True)
class OfficerHomeWork:
    caseload: list
    overdue_actions: list
    due_soon_actions: list

    @property
    def children_named(self) -> list:
        """The children whose names the page shows, for the list access log."""
        actions = [*self.overdue_actions, *self.due_soon_actions]
        return [e.child_id for e in self.caseload] + [a.child_id for a in actions if a.child_shown]


def officer_home_work(*, user: User, today: date, soon_days: int = 14) -> OfficerHomeWork:
    """The officer's caseload and open actions. An action they own on a child outside their gate
    is still theirs to do, so it is listed, with ``child_shown`` False: the page names nobody the
    gate would hide."""
    actions = list(
        Action.objects.open().filter(owner=user).select_related("child").order_by("due_date")
    )
    inside = set(
        child_queryset_for_user(user=user)
        .filter(pk__in={a.child_id for a in actions})
        .values_list("pk", flat=True)
    )
    for action in actions:
        action.child_shown = action.child_id in inside
    return OfficerHomeWork(
        caseload=caseload_for_officer(officer=user),
        overdue_actions=[a for a in actions if a.due_date < today],
        due_soon_actions=[
            a for a in actions if today <= a.due_date <= today + timedelta(days=soon_days)
        ],
    )


def safeguarding_alerts_for_user(*, user: User) -> list[SafeguardingAlert]:
    """The safeguarding alerts addressed to this user or their team that nobody has acknowledged
    yet, newest first (docs/rules/cme.md §6). As with actions, an alert on a child outside the
    user's gate is listed with ``child_shown`` False."""
    alerts = list(
        SafeguardingAlert.objects.unacknowledged()
        .addressed_to(user)
        .select_related("child", "addressed_to")
        .order_by("-raised_on", "-created_at")
    )
    inside = set(
        child_queryset_for_user(user=user)
        .filter(pk__in={alert.child_id for alert in alerts})
        .values_list("pk", flat=True)
    )
    for alert in alerts:
        alert.child_shown = alert.child_id in inside
    return alerts


def attach_open_episodes(*, children) -> None:
    """Give each child on a page its open episodes, in two queries for the whole page."""
    by_child: dict = {child.pk: [] for child in children}
    for model in (EHEEpisode, CMEEpisode):
        for episode in model.objects.filter(child__in=list(by_child), end_date__isnull=True):
            by_child[episode.child_id].append(episode)
    for child in children:
        child.open_episodes = by_child[child.pk]


def attach_postcode_and_latest_school(*, children) -> None:
    """Give each child on a results page ``current_postcode`` and ``latest_school`` (the school of
    the latest school return about them, the school an EHE episode says they left, or the school
    a CME case found them on, whichever is latest), so that two children of the same name can be
    told apart. Five small queries for the whole page, reading only the columns shown."""
    ids = [child.pk for child in children]
    postcodes = dict(
        Address.objects.filter(child__in=ids, valid_to__isnull=True)
        .order_by("valid_from", "pk")
        .values_list("child_id", "postcode")
    )
    # The schools feed's returns, read through the relation it declares to the child (ADR 0010).
    notifications = Child._meta.get_field("notifications").related_model
    dated_schools = [
        (child_id, timezone.localdate(received_at), school_id)
        for child_id, received_at, school_id in notifications.objects.filter(
            child__in=ids
        ).values_list("child_id", "received_at", "school_id")
    ]
    dated_schools += EHEEpisode.objects.filter(
        child__in=ids, previous_school__isnull=False
    ).values_list("child_id", "start_date", "previous_school_id")
    dated_schools += CMEEpisode.objects.filter(
        child__in=ids, located_school__isnull=False
    ).values_list("child_id", Coalesce("end_date", "start_date"), "located_school_id")
    latest: dict = {}  # child id -> (date, school id); the later date wins
    for child_id, on, school_id in dated_schools:
        if child_id not in latest or on >= latest[child_id][0]:
            latest[child_id] = (on, school_id)
    schools = School.objects.in_bulk([school_id for _, school_id in latest.values()])
    for child in children:
        child.current_postcode = postcodes.get(child.pk, "")
        child.latest_school = schools.get(latest.get(child.pk, (None, None))[1])


def register_overview(*, on: date) -> dict:
    """Aggregate counts only (for the DCS): never a child's name. Counted as the DfE return and
    the quarterly pack count (registry/reporting/asat.py), so the three agree."""
    year_start = date(academic_year_start(on), 9, 1)
    return {
        "on": on,
        "ehe_now": asat.children_on_count(EHEEpisode, on),
        "cme_now": asat.children_on_count(CMEEpisode, on),
        "ehe_starts": asat.children_starting(EHEEpisode, year_start, on),
        "cme_starts": asat.children_starting(CMEEpisode, year_start, on),
        "year_start": year_start,
    }


@dataclass(frozen=True)
class Shown:
    record: object
    times: int  # rows alike in all the record shows: two merged records each held it


def shown_once(rows, alike: Callable[[object], tuple]) -> list[Shown]:
    """Rows alike in all the record shows are shown once, with how many times they are recorded.
    A merge moves every row of the merged record (so it can be undone), and both records usually
    held the same home, the same parents and the same flags."""
    shown: dict[tuple, list] = {}
    for row in rows:
        shown.setdefault(alike(row), []).append(row)
    return [Shown(same[0], len(same)) for same in shown.values()]


def addresses_shown(*, child: Child) -> list[Shown]:
    return shown_once(
        child.addresses.all(),
        lambda address: (str(address).casefold(), address.valid_from, address.valid_to),
    )


def carers_shown(*, child: Child) -> list[Shown]:
    return shown_once(
        child.carers.all(),
        lambda carer: (
            carer.full_name.casefold(),
            carer.relationship,
            carer.has_parental_responsibility,
            carer.lives_with_child,
            carer.phone,
            carer.emergency_phone,
            carer.address.casefold(),
            carer.email.casefold(),
        ),
    )


def carers_once(*, child: Child) -> list:
    """The child's parents and carers, one each: a carer both merged records held is one person
    (one letter, one parent on the register entry)."""
    return [shown.record for shown in carers_shown(child=child)]


def flags_shown(flags) -> list[Shown]:
    return shown_once(
        flags, lambda flag: (flag.flag_type, flag.valid_from, flag.valid_to, flag.source)
    )


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


def merge_candidates(*, user: User, child: Child, also: str = "") -> QuerySet[Child]:
    """Records that may be the same child: same date of birth, or same UPN, inside the gate;
    and ``also``, a child the duplicates list proposed (its id), whatever its details."""
    same = Q(date_of_birth=child.date_of_birth)
    if child.upn:
        same |= Q(upn=child.upn)
    try:
        same |= Q(pk=uuid.UUID(also)) if also else Q()
    except ValueError:
        pass
    return (
        child_queryset_for_user(user=user)
        .filter(same)
        .exclude(pk=child.pk)
        .order_by("legal_surname", "legal_forenames")
    )
