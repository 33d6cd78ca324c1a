"""Demo letters: an acknowledgement, and for some an informal enquiry, already sent to the
families of a few children with an open EHE case (docs/rules/ehe.md §10), through the same
service as an officer's letter, so the record, the timeline and the parent portal show them.
Families with a demo parent sign-in come first (the same order as ``demo.parents``)."""

from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from registry import letter_defaults
from registry.access import Capability, roles_with
from registry.models import EHE_OPEN_STATUSES, Carer, LetterKind, User
from registry.services import letters as letter_services

DEMO_LETTER_FAMILIES = 6
# The acknowledgement goes a week after the case opens; the enquiry a fortnight after that.
ACKNOWLEDGEMENT_AFTER = timedelta(days=7)
ENQUIRY_AFTER = timedelta(days=21)
ENQUIRY_TEXT = (
    "It would help to hear from you within the next four weeks. If you need more time, please "
    "let us know."
)


def _officer(episode) -> User | None:
    if episode.assigned_officer_id:
        return episode.assigned_officer
    return (
        User.objects.filter(role__in=roles_with(Capability.EHE_CASEWORK), is_active=True)
        .order_by("username")
        .first()
    )


def demo_letters_send(*, families: int = DEMO_LETTER_FAMILIES) -> int:
    """Send the demo letters; returns how many were sent. The default templates are loaded
    first when missing (``seed_demo --reset`` empties every register table, theirs too)."""
    letter_defaults.seed(apps, None)
    today = timezone.localdate()
    carers = (
        Carer.objects.filter(
            child__ehe_episodes__status__in=EHE_OPEN_STATUSES,
            child__merged_into__isnull=True,
        )
        .select_related("child")
        .order_by("child__legal_surname", "child__legal_forenames", "full_name")
        .distinct()
    )
    sent, seen = 0, set()
    for carer in carers:
        if carer.child_id in seen:
            continue
        seen.add(carer.child_id)
        child = carer.child
        episode = child.ehe_episodes.filter(end_date__isnull=True).first()
        officer = _officer(episode)
        if officer is None:
            break
        recipient = next(
            each
            for each in letter_services.letter_recipients(child=child, on=today)
            if each.carer == carer
        )
        kinds = [(LetterKind.EHE_ACKNOWLEDGEMENT, ACKNOWLEDGEMENT_AFTER, {})]
        if len(seen) % 2:
            kinds.append(
                (LetterKind.EHE_INFORMAL_ENQUIRY, ENQUIRY_AFTER, {"request": ENQUIRY_TEXT})
            )
        for kind, after, paragraphs in kinds:
            letter_services.letter_send(
                child=child,
                kind=kind,
                by=officer,
                recipient=recipient,
                method="post" if recipient.address else "email",
                sent_on=min(today, episode.start_date + after),
                paragraphs=paragraphs or _default_paragraphs(child, kind, recipient, officer),
            )
            sent += 1
        if len(seen) == families:
            break
    return sent


def _default_paragraphs(child, kind, recipient, officer) -> dict[str, str]:
    template = letter_services.letter_template_in_use(kind)
    context = letter_services.letter_context(
        child=child, kind=kind, recipient=recipient, by=officer, on=timezone.localdate()
    )
    return letter_services.letter_paragraphs_default(template=template, context=context)
