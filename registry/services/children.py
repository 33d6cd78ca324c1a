"""Writes about the child: identity, addresses, carers, flags, merges, and logging who looked."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from unidecode import unidecode

from registry import identifiers
from registry.models import (
    Address,
    Carer,
    Child,
    ChildFlag,
    ChildMerge,
    CMEEpisode,
    CNISRegistration,
    EHEEpisode,
    User,
)
from registry.names import name_key, sound_key
from registry.services import safeguarding
from registry.services.history import ChangeReason, save_with_history

IDENTITY_FIELDS = (
    "legal_forenames",
    "middle_names",
    "legal_surname",
    "preferred_forename",
    "preferred_surname",
    "former_surnames",
    "date_of_birth",
    "sex",
    "ethnicity",
    "upn",
    "former_upn",
    "uln",
    "nhs_number",
    "consistent_child_identifier",
    "consistent_child_identifier_source",
)


def normalise_search_text(text: str) -> str:
    """Lower-case ASCII words, so 'Zoë O'Brien-Smith' is found by 'zoe obrien' or 'smith'."""
    ascii_text = unidecode(text or "").lower()
    kept = "".join(ch if ch.isalnum() or ch.isspace() or ch in "-" else "" for ch in ascii_text)
    return " ".join(kept.replace("-", " ").split())


def child_search_name(child: Child) -> str:
    names = (
        child.legal_forenames,
        child.middle_names,
        child.legal_surname,
        child.preferred_forename,
        child.preferred_surname,
        child.former_surnames.replace(",", " "),
    )
    # Also keep hyphenated and apostrophe surnames whole, so "obrien" and "obrien smith" match.
    joined = " ".join(name for name in names if name)
    compact = unidecode(joined).lower().replace("'", "").replace("’", "")
    return normalise_search_text(compact)[:500]


def child_refresh_search_fields(child: Child) -> None:
    """Keep the derived search columns in step with the names (call before every save)."""
    child.search_name = child_search_name(child)
    child.name_key = name_key(child.legal_surname, child.legal_forenames)
    child.sound_key = sound_key(child.legal_surname, child.legal_forenames, child.date_of_birth)


def _validate_identifiers(child: Child) -> None:
    errors: dict[str, list[str]] = {}
    child.upn = identifiers.normalise_upn(child.upn) if child.upn else ""
    if identifiers.is_unknown_upn_placeholder(child.upn):
        # UN1-UN5 say "UPN not known" (docs/rules/formats.md §1.3): the child has no UPN, as the
        # intake records it, so unrelated children never share one.
        child.upn = ""
    if child.upn:
        errors["upn"] = identifiers.upn_errors(child.upn)
    if child.uln:
        errors["uln"] = identifiers.uln_errors(child.uln)
    if child.nhs_number:
        child.nhs_number = identifiers.normalise_nhs_number(child.nhs_number)
        errors["nhs_number"] = identifiers.nhs_number_errors(child.nhs_number)
    if child.date_of_birth and child.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["Date of birth must be in the past"]
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)


def child_build(**identity) -> Child:
    """The one way a child record is made, on every path (officers, school returns one at a
    time or in bulk, the legacy migration, the demo and the benchmarks): identifiers normalised
    and validated (UPN, ULN, NHS number), derived search columns filled. Not saved: one child is
    saved by ``child_create``; bulk paths write many with history."""
    child = Child(**identity)
    if child.consistent_child_identifier == "":
        child.consistent_child_identifier = None
    _validate_identifiers(child)
    child_refresh_search_fields(child)
    return child


@transaction.atomic
def child_create(*, by: User | None, reason: str = ChangeReason.MANUAL_EDIT, **identity) -> Child:
    child = child_build(**identity)
    save_with_history(child, by=by, reason=reason)
    return child


@transaction.atomic
def child_identity_correct(*, child: Child, by: User, why: str, **changes) -> Child:
    """Correct identity fields. A reason is required: identity changes are what merges and
    matches rest on."""
    if not why.strip():
        raise ValidationError({"why": ["Enter why the identity is being corrected"]})
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise ValueError(f"Not identity fields: {sorted(unknown)}")
    child = Child.objects.select_for_update().get(pk=child.pk)
    for field, value in changes.items():
        setattr(child, field, value)
    if child.consistent_child_identifier == "":
        child.consistent_child_identifier = None
    _validate_identifiers(child)
    child_refresh_search_fields(child)
    save_with_history(child, by=by, reason=ChangeReason.MANUAL_EDIT, detail=why)
    return child


def address_add(
    *,
    child: Child,
    by: User | None,
    line_1: str,
    valid_from: date,
    line_2: str = "",
    town: str = "",
    postcode: str = "",
    source: str = "",
    reason: str = ChangeReason.MANUAL_EDIT,
) -> Address:
    """Add the child's new address and end the one it replaces the day before."""
    with transaction.atomic():
        for current in child.addresses.filter(valid_to__isnull=True, valid_from__lt=valid_from):
            current.valid_to = valid_from - timezone.timedelta(days=1)
            save_with_history(current, by=by, reason=reason, detail="replaced by a new address")
        address = Address(
            child=child,
            line_1=line_1,
            line_2=line_2,
            town=town,
            postcode=normalise_postcode(postcode),
            valid_from=valid_from,
            source=source,
        )
        save_with_history(address, by=by, reason=reason)
    return address


def normalise_postcode(postcode: str) -> str:
    """Upper-case with one space before the inward code (docs/rules/formats.md §6.1).
    Format problems are warnings elsewhere, never a reason to lose the value."""
    compact = "".join((postcode or "").split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 4 else compact


def carer_add(
    *, child: Child, by: User | None, reason: str = ChangeReason.MANUAL_EDIT, **fields
) -> Carer:
    carer = Carer(child=child, **fields)
    save_with_history(carer, by=by, reason=reason)
    return carer


def flag_add(
    *,
    child: Child,
    by: User | None,
    flag_type: str,
    valid_from: date,
    source: str,
    valid_to: date | None = None,
    note: str = "",
    reason: str = ChangeReason.MANUAL_EDIT,
) -> ChildFlag:
    flag = ChildFlag(
        child=child,
        flag_type=flag_type,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        note=note,
    )
    save_with_history(flag, by=by, reason=reason)
    # A safeguarding flag on a child with an open case raises an alert (docs/rules/cme.md §6).
    safeguarding.escalate_on_flag(flag=flag, by=by, reason=reason)
    return flag


def flag_end(*, flag: ChildFlag, by: User, valid_to: date, why: str) -> ChildFlag:
    flag.valid_to = valid_to
    save_with_history(flag, by=by, reason=ChangeReason.MANUAL_EDIT, detail=why)
    return flag


# Who opened which record is the audit of that record: it stays where it was written.
NOT_MOVED_BY_A_MERGE = frozenset({"registry.ChildAccessLog"})


def _linked_models() -> tuple:
    """Every table, in either app, whose rows point at a child through a field named ``child``:
    a merge moves them to the kept record and an undo moves them back. Read from the models
    themselves, so a table added later (the schools feed's notifications, say) is never missed
    and the register needs no import of the apps built on it."""
    return tuple(
        sorted(
            {
                relation.related_model
                for relation in Child._meta.get_fields(include_hidden=True)
                if relation.one_to_many
                and relation.field.name == "child"
                and not _is_history_table(relation.related_model)
                and not relation.related_model._meta.auto_created  # a many-to-many's own table
                and relation.related_model._meta.label not in NOT_MOVED_BY_A_MERGE
            },
            key=lambda model: model._meta.label,
        )
    )


def _is_history_table(model) -> bool:
    # django-simple-history's tables keep the child a row had at each change: never repointed.
    return hasattr(model, "instance_type")


@dataclass(frozen=True)
class MergeErrors:
    SAME_CHILD = "A record cannot be merged with itself"
    ALREADY_MERGED = "One of these records has already been merged"
    NO_REASON = "Enter why these records are the same child"
    ALREADY_UNDONE = "This merge has already been undone"
    LATER_MERGE = "Undo the later merge into this record first"
    BOTH_OPEN = (
        "Both records have an open {what}, and a child has only one at a time. Close the one on "
        "{merged}'s record first (it was opened for the same child), then merge"
    )


def _check_one_open_each(kept: Child, merged: Child) -> None:
    """The database allows one open EHE episode, CME episode and register entry per child: two
    records that each hold one cannot become one child until an officer closes one, through its
    lifecycle (docs/rules/episode-lifecycle.md §3)."""
    for model, end_field, what in (
        (EHEEpisode, "end_date", "EHE episode"),
        (CMEEpisode, "end_date", "CME episode"),
        (CNISRegistration, "ended_on", "entry on the children not in school register"),
    ):
        open_rows = model.objects.filter(**{f"{end_field}__isnull": True})
        if all(open_rows.filter(child=child).exists() for child in (kept, merged)):
            message = MergeErrors.BOTH_OPEN.format(what=what, merged=merged.full_name)
            raise ValidationError(message)


def _move_children_rows(*, rows: dict[str, list[str]], to_child: Child, by: User, reason: str):
    """Repoint each listed row at ``to_child``, one save at a time so every move is in history."""
    models_by_label = {model._meta.label: model for model in _linked_models()}
    for label, ids in rows.items():
        for row in models_by_label[label].objects.filter(pk__in=ids):
            row.child = to_child
            row._history_user = by
            row._change_reason = reason
            row.save(update_fields=["child"])


@transaction.atomic
def child_merge(*, kept: Child, merged: Child, by: User, why: str) -> ChildMerge:
    """Merge ``merged`` into ``kept``: every linked row moves, the merged record stays (pointing at
    the kept one) so nothing is lost and the merge can be undone."""
    if kept.pk == merged.pk:
        raise ValidationError(MergeErrors.SAME_CHILD)
    if not why.strip():
        raise ValidationError({"why": [MergeErrors.NO_REASON]})
    kept, merged = (
        Child.objects.select_for_update().get(pk=kept.pk),
        Child.objects.select_for_update().get(pk=merged.pk),
    )
    if kept.merged_into_id or merged.merged_into_id:
        raise ValidationError(MergeErrors.ALREADY_MERGED)
    _check_one_open_each(kept, merged)
    moved = {
        model._meta.label: [
            str(pk) for pk in model.objects.filter(child=merged).values_list("pk", flat=True)
        ]
        for model in _linked_models()
    }
    moved = {label: ids for label, ids in moved.items() if ids}
    _move_children_rows(rows=moved, to_child=kept, by=by, reason=f"{ChangeReason.MERGE}: {why}")
    merged.merged_into = kept
    merged._history_user = by
    merged._change_reason = f"{ChangeReason.MERGE}: {why}"
    merged.save(update_fields=["merged_into"])
    return ChildMerge.objects.create(
        kept=kept, merged=merged, reason=why, merged_by=by, moved_rows=moved
    )


@transaction.atomic
def child_merge_undo(*, merge: ChildMerge, by: User, why: str) -> ChildMerge:
    merge = ChildMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.is_undone:
        raise ValidationError(MergeErrors.ALREADY_UNDONE)
    if not why.strip():
        raise ValidationError({"why": [MergeErrors.NO_REASON]})
    if ChildMerge.objects.filter(merged=merge.kept, undone_at__isnull=True).exists():
        raise ValidationError(MergeErrors.LATER_MERGE)
    reason = f"{ChangeReason.MERGE_UNDONE}: {why}"
    _move_children_rows(rows=merge.moved_rows, to_child=merge.merged, by=by, reason=reason)
    merged = merge.merged
    merged.merged_into = None
    merged._history_user = by
    merged._change_reason = reason
    merged.save(update_fields=["merged_into"])
    merge.undone_at = timezone.now()
    merge.undone_by = by
    merge.undo_reason = why
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return merge


def child_search_name_refresh(*, child: Child) -> bool:
    """Recompute the derived search columns (search name and matching's name and sound keys);
    saves (with history) only when one changed, so it is idempotent."""
    fields = ["search_name", "name_key", "sound_key"]
    before = [getattr(child, name) for name in fields]
    child_refresh_search_fields(child)
    if [getattr(child, name) for name in fields] == before:
        return False
    child._change_reason = ChangeReason.CSV_IMPORT
    child.save(update_fields=fields)
    return True
