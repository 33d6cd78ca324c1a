"""Reading the children-not-in-school register (docs/rules/ehe.md §6, ADR 0016)."""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from registry.models import (
    CNIS_NON_COMPLIANCE,
    SENSITIVE_FLAGS,
    Address,
    Carer,
    CNISCondition,
    CNISRegistration,
    CNISRequest,
    CNISRequestKind,
    CNISRequestStatus,
    EHEProvider,
    FlagType,
    ParentLink,
    Sex,
    User,
)
from registry.rulebook import rules
from registry.selectors import carers_once, child_queryset_for_user

# The optional information of s.436C(2) the LA can record from its own records: the flags on the
# child's record that answer each item.
OPTIONAL_INFORMATION_FLAGS = {
    "Special educational needs": (FlagType.SEN_SUPPORT, FlagType.EHCP),
    "Child protection enquiries": (FlagType.SECTION_47_ENQUIRY, FlagType.CHILD_PROTECTION_PLAN),
    "Child in need": (FlagType.CHILD_IN_NEED,),
    "Looked after": (FlagType.LOOKED_AFTER,),
}


def cnis_in_force(on: date) -> bool:
    """Whether the register is kept on ``on`` (``cnis_register_commenced_on``)."""
    return rules().commenced("cnis_register_commenced_on", on)


def update_due_on(registration: CNISRegistration) -> date:
    """When the next update request is due: the longest interval the LA allows itself after
    the information was last given (or the child registered)."""
    since = registration.information_confirmed_on or registration.registered_on
    return since + relativedelta(months=rules().cnis_update_max_months)


def respond_by_for(kind: str, on: date) -> date:
    """The date to answer a request sent on ``on``: the visit window for a home visit, the
    response period otherwise (the rulebook)."""
    days = rules().cnis_home_visit_days if kind == CNISRequestKind.HOME_VISIT else 0
    return on + timedelta(days=days or rules().cnis_response_days)


def request_respond_by(*, child, kind: str, on: date) -> date:
    """The date a request about the child would have to be answered by: the one already
    waiting, if there is one (sending again changes nothing), else one sent on ``on``."""
    waiting = CNISRequest.objects.filter(
        registration__child=child,
        registration__ended_on__isnull=True,
        kind=kind,
        status=CNISRequestStatus.OPEN,
    ).first()
    return waiting.respond_by if waiting else respond_by_for(kind, on)


def provider_is_listed(provider: EHEProvider) -> bool:
    """A provider belongs on the register above the prescribed amount of time a week; one
    whose hours are not known yet is listed until they are."""
    hours = provider.estimated_hours_per_week
    prescribed = rules().cnis_provider_prescribed_hours
    return prescribed == 0 or hours is None or hours > prescribed


def registration_parents_with_accounts(registration: CNISRegistration) -> list[str]:
    """Email addresses of the child's parents who sign in to the portal."""
    carers = Carer.objects.filter(child_id=registration.child_id)
    links = ParentLink.objects.filter(carer__in=carers, user__is_active=True)
    return sorted({email for email in links.values_list("user__email", flat=True) if email})


def registration_queryset_for_user(*, user: User) -> QuerySet[CNISRegistration]:
    """Registrations of the children the user's gate reaches."""
    return CNISRegistration.objects.filter(child__in=child_queryset_for_user(user=user))


def _open_requests(kind: str):
    return CNISRequest.objects.filter(
        registration=OuterRef("pk"), kind=kind, status=CNISRequestStatus.OPEN
    )


def cnis_register_list(*, user: User, on: date, view: str = "") -> QuerySet[CNISRegistration]:
    """The open registrations the user may see, with what waits on each. ``view``: "" (all),
    "update_due" (no update request waiting and the schedule's date reached) or "overdue" (a
    request past its date to answer)."""
    registrations = (
        registration_queryset_for_user(user=user)
        .filter(ended_on__isnull=True)
        .select_related("child", "school", "ehe_episode__assigned_officer")
        .annotate(
            update_waiting=Exists(_open_requests(CNISRequestKind.UPDATE)),
            overdue_requests=Count(
                "requests",
                filter=Q(requests__status=CNISRequestStatus.OPEN, requests__respond_by__lt=on),
            ),
        )
        .order_by("child__legal_surname", "child__legal_forenames")
    )
    if view == "overdue":
        return registrations.filter(overdue_requests__gt=0)
    if view == "update_due":
        return registrations.filter(_update_due(on), update_waiting=False)
    return registrations


def _update_due(on: date) -> Q:
    """Registrations whose next update is due by ``on`` (``update_due_on`` in SQL)."""
    due_since = on - relativedelta(months=rules().cnis_update_max_months)
    return Q(information_confirmed_on__lte=due_since) | Q(
        information_confirmed_on__isnull=True, registered_on__lte=due_since
    )


def registrations_update_due(*, on: date) -> QuerySet[CNISRegistration]:
    """Every open registration whose update request the schedule sends on ``on``: due, and no
    update request already waiting."""
    return (
        CNISRegistration.objects.filter(_update_due(on), ended_on__isnull=True)
        .exclude(Exists(_open_requests(CNISRequestKind.UPDATE)))
        .select_related("child")
    )


@dataclass(frozen=True)
class RegisterEntry:
    """The s.436C content of one registration, assembled from the child's record."""

    registration: CNISRegistration
    home_address: Address | None
    previous_address: Address | None  # only when at the home address under 12 months
    other_addresses: list[Address]
    parents: list[Carer]
    providers: list[EHEProvider]
    optional_information: list[tuple[str, str]]
    requests: list[CNISRequest]
    update_due_on: date


def _current_addresses(addresses: list[Address], on: date) -> list[Address]:
    return [a for a in addresses if a.valid_from <= on and (a.valid_to is None or a.valid_to >= on)]


def _previous_address(addresses: list[Address], home: Address | None, on: date):
    """s.436C(1)(a) as amended: the previous address if at the current one under 12 months."""
    if home is None or home.valid_from <= on - relativedelta(months=12):
        return None
    earlier = [a for a in addresses if a.valid_to is not None and a.valid_to <= home.valid_from]
    return max(earlier, key=lambda a: a.valid_to, default=None)


def _optional_information(child, on: date, sensitive: bool) -> list[tuple[str, str]]:
    """The optional items the record answers. Social care items are sensitive flags: shown only
    when the officer asked to see sensitive information (and that viewing was logged)."""
    flags = list(child.flags.all())
    # Protected characteristics the record holds (sex, ethnicity), as recorded.
    held = [child.get_sex_display() if child.sex != Sex.UNKNOWN else "", child.ethnicity]
    rows = [("Protected characteristics", ", ".join(v for v in held if v))] if any(held) else []
    for label, types in OPTIONAL_INFORMATION_FLAGS.items():
        if not sensitive and set(types) & SENSITIVE_FLAGS:
            continue
        held = [f for f in flags if f.flag_type in types]
        current = [f for f in held if f.valid_to is None or f.valid_to >= on]
        if current:
            rows.append((label, ", ".join(sorted({f.get_flag_type_display() for f in current}))))
        elif held:
            rows.append((label, "In the past"))
    return rows


def register_entry(
    registration: CNISRegistration, *, on: date, sensitive: bool = False
) -> RegisterEntry:
    """What the register holds about the child (s.436C(1), and (2) where held)."""
    child = registration.child
    addresses = sorted(child.addresses.all(), key=lambda a: a.valid_from, reverse=True)
    current = _current_addresses(addresses, on)
    home = current[0] if current else None
    providers = list(registration.providers.all())
    if registration.ehe_episode_id:
        providers += list(EHEProvider.objects.filter(episode_id=registration.ehe_episode_id))
    return RegisterEntry(
        registration=registration,
        home_address=home,
        previous_address=_previous_address(addresses, home, on),
        other_addresses=current[1:],
        parents=[c for c in carers_once(child=child) if c.has_parental_responsibility],
        providers=[p for p in providers if provider_is_listed(p)],
        optional_information=_optional_information(child, on, sensitive),
        requests=list(registration.requests.select_related("provider", "sent_by", "closed_by")),
        update_due_on=update_due_on(registration),
    )


def non_compliance_of(child) -> QuerySet[CNISRequest]:
    """The child's register requests that were refused or not complied with: the grounds a
    notice to satisfy the LA may follow from (docs/rules/ehe.md §6)."""
    return CNISRequest.objects.filter(
        registration__child=child, status__in=CNIS_NON_COMPLIANCE
    ).order_by("-closed_on")


def open_registration(child) -> CNISRegistration | None:
    return child.cnis_registrations.filter(ended_on__isnull=True).first()


def requests_for_parent(*, child, on: date) -> QuerySet[CNISRequest]:
    """The requests a parent answers through the portal: updates and home visits still open."""
    return CNISRequest.objects.filter(
        registration__child=child,
        registration__ended_on__isnull=True,
        status=CNISRequestStatus.OPEN,
        kind__in=[CNISRequestKind.UPDATE, CNISRequestKind.HOME_VISIT],
    ).order_by("respond_by")


# --- Counts for the DfE return and the DCS pack --------------------------------------------------


def registered_on_day(day: date) -> dict[str, int]:
    """Children on the register on ``day``, by Condition C (and "total")."""
    rows = (
        CNISRegistration.objects.filter(
            Q(registered_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day)),
            child__merged_into__isnull=True,
        )
        .values("condition")
        .annotate(children=Count("child", distinct=True))
        .order_by()
    )
    counts = {condition: 0 for condition in CNISCondition.values}
    for row in rows:
        counts[row["condition"]] = row["children"]
    counts["total"] = sum(counts.values())
    return counts


def requests_between(first: date, last: date) -> dict[str, int]:
    """Requests sent in the period by kind, and how many ended in non-compliance."""
    requests = CNISRequest.objects.filter(
        sent_on__gte=first, sent_on__lte=last, registration__child__merged_into__isnull=True
    )
    counts = {kind: 0 for kind in CNISRequestKind.values}
    for row in requests.values("kind").annotate(n=Count("pk")).order_by():
        counts[row["kind"]] = row["n"]
    counts["visits_refused"] = requests.filter(
        kind=CNISRequestKind.HOME_VISIT, status=CNISRequestStatus.REFUSED
    ).count()
    counts["not_complied"] = requests.filter(status=CNISRequestStatus.NOT_COMPLIED).count()
    return counts
