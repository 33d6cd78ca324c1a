"""The retention schedule applied: legal holds, and anonymising the children whose records have
passed their period (docs/rules/data-protection.md §4; ADR 0011).

- A child's EHE and CME case records are kept to the child's birthday
  ``retention_case_years_after_birth`` years on (default 25). A child past it, with no open
  episode and nothing holding the records, is anonymised; nobody is deleted, so the statistics as
  at any past date count the same children.
- Held: a legal hold an administrator placed and has not lifted (``legal_hold_place``), and a
  child with a child protection plan or child in need flag (a link-driven hold): while the flag is
  recorded as current, and then until ``retention_safeguarding_years_after_last_contact`` years
  (default 35) after the last contact, the flag's end or a case's end, whichever is latest.
- Anonymising keeps what the statistics count (the child's row and id, sex, the month and year of
  birth, the date of death, episodes with their dates, statuses and coded reasons, the flags'
  types and dates, every event row) and removes the rest: names, identifiers, ethnicity,
  addresses, carers and the letters sent (deleted), and every free-text note. History rows of
  those fields are rewritten or deleted too, and the access log's rows stay, pointing at a
  record with no name.
- Idempotent by the data (``Child.anonymised_at``); on PostgreSQL a run holds an advisory lock so
  two never overlap (ADR 0009). A run writes a ``RetentionRun`` with counts, never a name.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from registry.locks import try_lock
from registry.models import (
    Action,
    Address,
    Carer,
    Child,
    ChildAccessLog,
    ChildFlag,
    ChildMerge,
    CMEEnquiry,
    CMEEpisode,
    CNISRegistration,
    CNISRequest,
    Contact,
    Decision,
    EHEEpisode,
    EHEProvider,
    EnforcementStep,
    EpisodeReasonChange,
    EpisodeStatusChange,
    FlagType,
    LegalHold,
    PortalLinkRequest,
    RetentionRun,
    SentLetter,
    SocialCareReferral,
    User,
)
from registry.portal.services import portal_rows_anonymise
from registry.rulebook import rules
from registry.services.children import child_refresh_search_fields
from registry.services.history import ChangeReason, save_with_history

LOCK_NAME = "registry.retention"
BATCH = 200
# What an anonymised child is called on every page that still lists the record.
ANONYMISED_NAME = "Anonymised"

# The rules a child can be anonymised under (RetentionRun.by_rule keys).
RULE_CASE_RECORDS = "ehe_cme_case_records"
# Why a child past the period was kept (RetentionRun.kept keys; a child may count under several).
KEPT_LEGAL_HOLD = "legal_hold"
KEPT_SAFEGUARDING_HOLD = "safeguarding_hold"
KEPT_OPEN_EPISODE = "open_episode"

# Flags that put the children's social care schedule in charge (a link-driven hold).
SAFEGUARDING_HOLD_FLAGS = (FlagType.CHILD_PROTECTION_PLAN, FlagType.CHILD_IN_NEED)

# Free text removed, by model: (model, the lookup to the child, fields set to "").
FREE_TEXT = (
    (ChildFlag, "child_id", ("note",)),
    (Contact, "child_id", ("with_whom", "summary", "follow_up")),
    (Action, "child_id", ("description", "completion_note")),
    (Decision, "child_id", ("decision", "reason")),
    (EHEEpisode, "child_id", ("parent_reason_text",)),
    (EHEProvider, "episode__child_id", ("name", "address", "website_or_email")),
    (EHEProvider, "registration__child_id", ("name", "address", "website_or_email")),
    (CNISRegistration, "child_id", ("arrangement", "reason_for_eligibility")),
    (CNISRequest, "registration__child_id", ("outcome",)),
    (EnforcementStep, "episode__child_id", ("note",)),
    (CMEEpisode, "child_id", ("safeguarding_concerns", "abroad_evidence")),
    (CMEEnquiry, "episode__child_id", ("outcome",)),
    (SocialCareReferral, "episode__child_id", ("reason", "outcome_note")),
)
# Rows that are themselves identifying: deleted with their history.
DELETED = ((Address, "child_id"), (Carer, "child_id"))
# Event rows without history whose own words may name the family: kept, their text removed.
EVENT_TEXT = (
    (EpisodeStatusChange, "child_id", ("reason",)),
    (EpisodeReasonChange, "child_id", ("why",)),
    (ChildAccessLog, "child_id", ("reason",)),
)
CHILD_CLEARED = (
    "legal_forenames",
    "middle_names",
    "preferred_forename",
    "preferred_surname",
    "former_surnames",
    "ethnicity",
    "upn",
    "former_upn",
    "uln",
    "nhs_number",
    "consistent_child_identifier_source",
    "death_recorded_from",
)


class HoldError(ValidationError):
    pass


# --- Legal holds ---------------------------------------------------------------------------------


def legal_hold_place(
    *, child: Child, by: User, reason: str, until: date | None = None
) -> LegalHold:
    """Hold a child's records: the retention job leaves them alone until the hold is lifted or
    ``until`` has passed (blank: indefinite)."""
    if not reason.strip():
        raise HoldError("Say why the records are held")
    if until is not None and until < timezone.localdate():
        raise HoldError("A hold cannot end before today")
    hold = LegalHold(child=child, placed_by=by, reason=reason.strip(), until=until)
    save_with_history(hold, by=by, reason=ChangeReason.LEGAL_HOLD)
    return hold


def legal_hold_lift(*, hold: LegalHold, by: User, reason: str) -> LegalHold:
    if hold.lifted_at is not None:
        raise HoldError("This hold has already been lifted")
    if not reason.strip():
        raise HoldError("Say why the hold is lifted")
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), by, reason.strip()
    save_with_history(hold, by=by, reason=ChangeReason.LEGAL_HOLD)
    return hold


# --- Who is past the period ----------------------------------------------------------------------


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _open_episode() -> Q:
    return Q(Exists(EHEEpisode.objects.filter(child=OuterRef("pk"), end_date__isnull=True))) | Q(
        Exists(CMEEpisode.objects.filter(child=OuterRef("pk"), end_date__isnull=True))
    )


def _legal_hold(on: date) -> Q:
    return Q(Exists(LegalHold.objects.in_force(on).filter(child=OuterRef("pk"))))


def _safeguarding_hold(on: date) -> Q:
    """A child protection plan or child in need flag still recorded as current, or one whose
    child was in contact with the register (a contact, the flag's end, a case's end) within
    ``retention_safeguarding_years_after_last_contact`` years."""
    cutoff = years_before(on, rules().retention_safeguarding_years_after_last_contact)
    flags = ChildFlag.objects.filter(child=OuterRef("pk"), flag_type__in=SAFEGUARDING_HOLD_FLAGS)
    recent = (
        Q(Exists(Contact.objects.filter(child=OuterRef("pk"), contact_date__gt=cutoff)))
        | Q(Exists(EHEEpisode.objects.filter(child=OuterRef("pk"), end_date__gt=cutoff)))
        | Q(Exists(CMEEpisode.objects.filter(child=OuterRef("pk"), end_date__gt=cutoff)))
    )
    current = flags.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=cutoff) | Q(valid_from__gt=cutoff)
    )
    return Q(Exists(current)) | (Q(Exists(flags)) & recent)


def children_past_retention(*, on: date) -> QuerySet:
    """Children not yet anonymised whose case records have passed their period on ``on``."""
    born_by = years_before(on, rules().retention_case_years_after_birth)
    return Child.objects.filter(anonymised_at__isnull=True, date_of_birth__lte=born_by)


def children_due_anonymising(*, on: date) -> QuerySet:
    """Past the period, with no open episode and nothing holding the records. A record merged
    into another (a duplicate, kept so the merge can be undone) waits for the record it was
    merged into: its episodes and holds are there."""
    return _unheld_past_retention(on).exclude(
        merged_into__isnull=False, merged_into__anonymised_at__isnull=True
    )


def _unheld_past_retention(on: date) -> QuerySet:
    return (
        children_past_retention(on=on)
        .exclude(_open_episode())
        .exclude(_legal_hold(on))
        .exclude(_safeguarding_hold(on))
    )


def child_is_held(*, child: Child, on: date | None = None) -> bool:
    """Whether a legal hold or a link-driven hold keeps this child's records (for pages)."""
    on = on or timezone.localdate()
    held = _legal_hold(on) | _safeguarding_hold(on)
    return Child.objects.filter(pk=child.pk).filter(held).exists()


# --- Anonymising ---------------------------------------------------------------------------------


@dataclass
class Counts:
    children: int = 0
    records: dict = field(default_factory=dict)

    def add(self, kind: str, number: int) -> None:
        if number:
            self.records[kind] = self.records.get(kind, 0) + number


def _anonymise_child(child: Child, *, now: datetime) -> None:
    for name in CHILD_CLEARED:
        setattr(child, name, "")
    child.legal_surname = ANONYMISED_NAME
    child.consistent_child_identifier = None
    # The month and year of birth stay: the expected year group (and so every as-at count) turns
    # on the 1 September before the birthday, which the month keeps.
    child.date_of_birth = child.date_of_birth.replace(day=1)
    child.anonymised_at = now
    child_refresh_search_fields(child)
    child._history_user = None
    child._change_reason = ChangeReason.RETENTION
    child.save()
    # Earlier versions of the record held the names too: they now say what the record says.
    values = {name: getattr(child, name) for name in CHILD_CLEARED}
    child.history.update(
        **values,
        legal_surname=child.legal_surname,
        consistent_child_identifier=None,
        date_of_birth=child.date_of_birth,
        search_name=child.search_name,
        name_key=child.name_key,
        sound_key=child.sound_key,
    )


def _anonymise_batch(ids: list, *, now: datetime, counts: Counts) -> None:
    """Anonymise these children (each re-checked under a row lock: a second run skips them)."""
    with transaction.atomic():
        children = list(
            Child.objects.select_for_update().filter(pk__in=ids, anonymised_at__isnull=True)
        )
        ids = [child.pk for child in children]
        for child in children:
            _anonymise_child(child, now=now)
        counts.children += len(children)
        # The letters sent about the child, exactly as sent (never changed, so deleted): the
        # enforcement steps they served stay, as events.
        letters = SentLetter.objects.filter(child_id__in=ids)
        counts.add("sent letters deleted", letters.delete()[1].get(SentLetter._meta.label, 0))
        # What parents sent through the portal (ADR 0014): files deleted, words cleared.
        for name, count in portal_rows_anonymise(child_ids=ids).items():
            counts.add(name, count)
        for model, lookup in DELETED:
            deleted = 0
            for row in model.objects.filter(**{f"{lookup}__in": ids}):
                row._change_reason = ChangeReason.RETENTION
                row.delete()
                deleted += 1
            model.history.model.objects.filter(**{f"{lookup}__in": ids}).delete()
            counts.add(f"{model._meta.verbose_name_plural} deleted", deleted)
        # The content is being destroyed, so history is rewritten with it (not a change made
        # behind history's back: the change reason is on the child's own history row).
        for model, lookup, names in FREE_TEXT:
            blank = dict.fromkeys(names, "")
            live = model.objects.filter(**{f"{lookup}__in": ids})
            counts.add(f"{model._meta.verbose_name_plural} cleared", live.update(**blank))
            model.history.model.objects.filter(**{f"{lookup}__in": ids}).update(**blank)
        for model, lookup, names in EVENT_TEXT:
            blank = dict.fromkeys(names, "")
            rows = model.objects.filter(**{f"{lookup}__in": ids}).exclude(**blank)
            counts.add(f"{model._meta.verbose_name_plural} cleared", rows.update(**blank))
        merges = ChildMerge.objects.filter(Q(kept_id__in=ids) | Q(merged_id__in=ids))
        counts.add("merges cleared", merges.update(reason="", undo_reason=""))


def retention_run_record(
    *, on: date, dry_run: bool, triggered_by: str, rule: str, count: int, records: dict
) -> RetentionRun:
    """A run's summary written by another part of the retention job (the schools feed's rows of
    returns), so every run of the schedule is recorded the same way."""
    now = timezone.now()
    return RetentionRun.objects.create(
        started_at=now,
        finished_at=now,
        as_at=on,
        dry_run=dry_run,
        triggered_by=triggered_by,
        by_rule={rule: count} if count else {},
        records=records,
    )


def _old_link_requests_delete(now: datetime) -> int:
    """Portal sign-in requests past their keeping period (a hashed email address and an IP
    address each; docs/rules/data-protection.md §4)."""
    cutoff = now - timedelta(days=settings.PORTAL_LINK_REQUEST_RETENTION_DAYS)
    return PortalLinkRequest.objects.filter(requested_at__lt=cutoff).delete()[0]


def retention_apply(
    *, on: date | None = None, dry_run: bool = False, triggered_by: str = "beat"
) -> RetentionRun | None:
    """Anonymise every child due on ``on`` (today) and record the run. A dry run records what it
    would do and changes nothing. None when another run holds the lock."""
    on = on or timezone.localdate()
    with try_lock(LOCK_NAME) as held:
        if held is False:
            return None
        now = timezone.now()
        past = children_past_retention(on=on)
        run = RetentionRun(started_at=now, as_at=on, dry_run=dry_run, triggered_by=triggered_by)
        run.kept = {
            key: count
            for key, count in (
                (KEPT_LEGAL_HOLD, past.filter(_legal_hold(on)).count()),
                (KEPT_SAFEGUARDING_HOLD, past.filter(_safeguarding_hold(on)).count()),
                (KEPT_OPEN_EPISODE, past.filter(_open_episode()).count()),
            )
            if count
        }
        due = list(children_due_anonymising(on=on).order_by("pk").values_list("pk", flat=True))
        counts = Counts()
        if dry_run:
            merged = _unheld_past_retention(on).filter(merged_into__in=due).count()
            counts.children = len(due) + merged
        # Twice at most: the records merged into a child anonymised now are due in the same run.
        while due and not dry_run:
            for start in range(0, len(due), BATCH):
                _anonymise_batch(due[start : start + BATCH], now=now, counts=counts)
            due = list(
                children_due_anonymising(on=on)
                .filter(merged_into__anonymised_at__isnull=False)
                .values_list("pk", flat=True)
            )
        if not dry_run:
            counts.add("portal sign-in requests deleted", _old_link_requests_delete(now))
        run.children_anonymised = counts.children
        run.by_rule = {RULE_CASE_RECORDS: counts.children} if counts.children else {}
        run.records = counts.records
        run.finished_at = timezone.now()
        run.save()
        return run
