"""Letters and notices (docs/rules/ehe.md §10): publishing a template, and sending a letter from
a child's record.

- ``letter_template_publish`` refuses a template whose text claims a power the LA does not have
  (an active ``ForbiddenPhrase``), quoting the phrase and its line, or that the sandbox cannot
  render (``registry/letters.py``); the version it replaces is kept, superseded.
- ``letter_send`` stores the exact document sent (PDF, and DOCX, with their SHA-256) with the
  template version, who, when, to whom and how. A notice (s.437(1), notice of intention, order,
  revocation, and the 2026 procedure's notices) records its enforcement step in the same
  transaction through ``enforcement_step_record``, so that step's gates apply (the procedure in
  force, the parent's response date) and the date in the letter is the step's.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry import letters
from registry.access import Capability, user_can
from registry.cnis.selectors import cnis_in_force, open_registration, request_respond_by
from registry.cnis.services import cnis_request_send
from registry.dates import date_words
from registry.models import (
    Carer,
    Child,
    CNISRequestKind,
    DeliveryMethod,
    EHEEpisode,
    EnforcementStep,
    EnforcementStepType,
    EnquiryType,
    ForbiddenPhrase,
    LetterKind,
    LetterTemplate,
    School,
    SentLetter,
    TemplateStatus,
    User,
)
from registry.models.episodes import NOTICES_TO_SATISFY
from registry.rulebook import rules
from registry.selectors import carers_once
from registry.services.episodes import (
    cme_enquiry_record,
    enforcement_respond_by,
    enforcement_step_choices,
    enforcement_step_record,
)
from registry.services.history import ChangeReason, save_with_history

# The enforcement step a notice records when it is sent (docs/rules/ehe.md §4).
NOTICE_STEPS = {
    LetterKind.S437_NOTICE: EnforcementStepType.S437_NOTICE,
    LetterKind.NOTICE_OF_INTENTION: EnforcementStepType.NOTICE_OF_INTENTION,
    LetterKind.SAO: EnforcementStepType.SAO_ISSUED,
    LetterKind.SAO_REVOCATION: EnforcementStepType.SAO_REVOKED,
    LetterKind.PRELIMINARY_NOTICE: EnforcementStepType.PRELIMINARY_NOTICE,
    LetterKind.SCHOOL_NOMINATION_NOTICE: EnforcementStepType.SCHOOL_NOMINATION_NOTICE,
}
NOTICES_TO_SATISFY_KINDS = frozenset({LetterKind.S437_NOTICE, LetterKind.PRELIMINARY_NOTICE})
NAMES_A_SCHOOL = frozenset(
    {LetterKind.NOTICE_OF_INTENTION, LetterKind.SAO, LetterKind.SCHOOL_NOMINATION_NOTICE}
)
# A register letter is its request (ADR 0016): sending one sends the request.
REGISTER_REQUESTS = {
    LetterKind.CNIS_UPDATE: CNISRequestKind.UPDATE,
    LetterKind.CNIS_HOME_VISIT: CNISRequestKind.HOME_VISIT,
}
CME_KINDS = frozenset({LetterKind.CME_WHEREABOUTS, LetterKind.CME_OTHER_LA})
# Written to another LA, not to a parent: the officer gives the name and address.
TO_ANOTHER_LA = frozenset({LetterKind.CME_OTHER_LA})
# A CME letter is one of the case's enquiries (docs/rules/cme.md §4): recorded with it.
CME_ENQUIRY_TYPES = {
    LetterKind.CME_WHEREABOUTS: EnquiryType.LETTER,
    LetterKind.CME_OTHER_LA: EnquiryType.OTHER_LA,
}
CME_ENQUIRY_OUTCOME = "Letter sent to {recipient} ({method}); awaiting a reply"


class LetterErrors:
    NOT_ON_THE_REGISTER = (
        "The child is not on the register of children not in school: put them on it first"
    )
    FORBIDDEN = 'Line {line} says "{phrase}": {why}. Reword it before publishing'
    FORBIDDEN_IN_PARAGRAPH = 'The paragraph "{paragraph}" says "{phrase}": {why}'
    NOT_A_DRAFT = "Only a draft can be published; make a new version to change the wording"
    PUBLISHED_TEXT_FIXED = "A published version's text does not change: make a new version"
    NO_TEMPLATE = "No published template for this kind of letter"
    NOT_OFFERED = "This letter is not one you can send for this child today"
    NO_EPISODE = "This letter needs an open {kind} episode for the child"
    SCHOOL_NEEDED = "Enter the URN of the school the notice names"
    RECIPIENT_NEEDED = "Choose who the letter is to"
    RECIPIENT_ADDRESS_NEEDED = "Enter the address the letter is sent to"
    PLACEHOLDER_LEFT = (
        'The paragraph "{paragraph}" still has text in square brackets for you to replace'
    )
    NO_SAO = "No school attendance order is recorded to revoke"
    REVIEW_IN_FUTURE = "The legal review cannot be dated after today"


def _forbidden_phrases() -> list[tuple[str, str]]:
    return list(ForbiddenPhrase.objects.filter(active=True).values_list("phrase", "why"))


def letter_template_problems(template: LetterTemplate) -> list[str]:
    """Why the template cannot be published: each forbidden phrase with its line, and each tag,
    filter or placeholder the sandbox refuses (the title and the body)."""
    problems = [
        LetterErrors.FORBIDDEN.format(line=found.line, phrase=found.phrase, why=found.why)
        for found in letters.phrases_found(template.body, _forbidden_phrases())
    ]
    problems += letters.template_problems(template.title)
    problems += letters.template_problems(template.body)
    return problems


@transaction.atomic
def letter_template_publish(*, template: LetterTemplate, by: User) -> LetterTemplate:
    """Publish a draft: refused with every problem found; the kind's published version, if any,
    becomes superseded."""
    template = LetterTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != TemplateStatus.DRAFT:
        raise ValidationError(LetterErrors.NOT_A_DRAFT)
    problems = letter_template_problems(template)
    if problems:
        raise ValidationError(problems)
    for current in LetterTemplate.objects.select_for_update().filter(
        kind=template.kind, status=TemplateStatus.PUBLISHED
    ):
        current.status = TemplateStatus.SUPERSEDED
        save_with_history(current, by=by, reason=ChangeReason.MANUAL_EDIT, detail="superseded")
    template.status = TemplateStatus.PUBLISHED
    template.published_at = timezone.now()
    template.published_by = by
    save_with_history(template, by=by, reason=ChangeReason.MANUAL_EDIT, detail="published")
    return template


@transaction.atomic
def letter_template_new_version(*, template: LetterTemplate, by: User) -> LetterTemplate:
    """A draft copy of ``template`` with the next version number, to change and publish."""
    latest = LetterTemplate.objects.filter(kind=template.kind).order_by("-version").first()
    draft = LetterTemplate(
        kind=template.kind,
        version=latest.version + 1,
        title=template.title,
        body=template.body,
        statutory_basis=template.statutory_basis,
    )
    save_with_history(draft, by=by, reason=ChangeReason.MANUAL_EDIT, detail="new version")
    return draft


def letter_template_review_record(
    *, template: LetterTemplate, by: User, on: date, note: str = ""
) -> LetterTemplate:
    """An administrator records the date of the template's last legal review."""
    if on > timezone.localdate():
        raise ValidationError({"legal_review_on": [LetterErrors.REVIEW_IN_FUTURE]})
    template.legal_review_on = on
    template.legal_reviewed_by = by
    template.legal_review_note = note.strip()[:300]
    save_with_history(template, by=by, reason=ChangeReason.MANUAL_EDIT, detail="legal review")
    return template


# --- Which letters, for whom -----------------------------------------------------------------


def letter_capability(kind: str) -> Capability:
    """The casework a letter belongs to: CME letters to the CME team, the rest to EHE."""
    return Capability.CME_CASEWORK if kind in CME_KINDS else Capability.EHE_CASEWORK


def letters_user_may_send(user) -> bool:
    return user_can(user, Capability.CHANGE_CHILD) and (
        user_can(user, Capability.EHE_CASEWORK) or user_can(user, Capability.CME_CASEWORK)
    )


def _kind_in_force(kind: str, on: date) -> bool:
    """A notice is offered only while its step belongs to the procedure in force: the 2026
    preliminary and school nomination notices from ``sao_2026_procedure_commenced_on``, the
    s.437(1) notice and notice of intention until then (docs/rules/ehe.md §4)."""
    if kind in REGISTER_REQUESTS:
        return cnis_in_force(on)
    step = NOTICE_STEPS.get(kind)
    return step is None or step in {value for value, _ in enforcement_step_choices(on=on)}


def letter_kinds_offered(*, user, on: date) -> list[tuple[str, str]]:
    """(kind, label) of the letters the user may send today: a published template, the user's
    casework, and the procedure in force."""
    published = set(
        LetterTemplate.objects.filter(status=TemplateStatus.PUBLISHED).values_list(
            "kind", flat=True
        )
    )
    return [
        (kind.value, kind.label)
        for kind in LetterKind
        if kind.value in published
        and user_can(user, letter_capability(kind))
        and _kind_in_force(kind, on)
    ]


def letter_user_may_read(user, kind: str) -> bool:
    """A sent letter belongs to its team's casework, as writing it does: a CME officer who may
    open a child does not read the EHE team's notices about them, nor the reverse."""
    return user_can(user, letter_capability(kind))


def letters_sent_about(*, child: Child, user):
    """The letters sent about ``child`` (to its family or another LA) that ``user``'s team
    wrote, without their documents."""
    readable = [kind for kind in LetterKind.values if letter_user_may_read(user, kind)]
    return (
        SentLetter.objects.filter(child=child, kind__in=readable)
        .select_related("sent_by")
        .defer("pdf", "docx", "body_text")
    )


def letter_template_in_use(kind: str) -> LetterTemplate:
    template = LetterTemplate.objects.filter(kind=kind, status=TemplateStatus.PUBLISHED).first()
    if template is None:
        raise ValidationError(LetterErrors.NO_TEMPLATE)
    return template


def _carer_address(carer: Carer, child: Child, on: date) -> str:
    if carer.address:
        return "\n".join(part for part in (carer.address, carer.postcode) if part)
    if carer.lives_with_child:
        return _child_address(child, on)
    return ""


def _child_address(child: Child, on: date) -> str:
    current = [address for address in child.addresses.all() if address.applies_on(on)]
    address = current[0] if current else next(iter(child.addresses.all()), None)
    if address is None:
        return ""
    return "\n".join(
        part for part in (address.line_1, address.line_2, address.town, address.postcode) if part
    )


HOUSEHOLD = "household"


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str
    carer: Carer | None = None
    relationship: str = ""

    @property
    def key(self) -> str:
        """How a form names this recipient: the carer's id, or the household."""
        return str(self.carer.pk) if self.carer else HOUSEHOLD


def letter_recipients(*, child: Child, on: date) -> list[Recipient]:
    """Each parent or carer of the child, with the address a letter to them goes to; and, where
    the record holds an address for the child, "the parent or carer" there (a CME letter to a
    family whose names are not known)."""
    recipients = [
        Recipient(
            carer.full_name,
            _carer_address(carer, child, on),
            carer,
            carer.get_relationship_display(),
        )
        for carer in carers_once(child=child)
    ]
    address = _child_address(child, on)
    if address:
        household = f"Parent or carer of {child.full_name}"
        recipients.append(Recipient(household, address, None, "at the child's address"))
    return recipients


def _school_history(child: Child) -> list[str]:
    """The schools the register knows the child at, from the schools' returns and the EHE
    episodes, oldest first."""
    lines = []
    for notification in sorted(child.notifications.all(), key=lambda each: each.received_at):
        school = notification.school.name
        if notification.kind == "new_pupil" and notification.starting_date:
            lines.append(f"{school}: joined {date_words(notification.starting_date)}")
        elif notification.kind == "deletion" and notification.deletion_date:
            lines.append(f"{school}: left {date_words(notification.deletion_date)}")
    for episode in child.ehe_episodes.all():
        if episode.previous_school_id:
            line = f"{episode.previous_school.name}: left for home education"
            lines.append(f"{line} {date_words(episode.start_date)}")
    return list(dict.fromkeys(lines))


def _open_episode(child: Child, kind: str):
    if kind in CME_KINDS:
        return child.cme_episodes.filter(end_date__isnull=True).first()
    return child.ehe_episodes.filter(end_date__isnull=True).first()


def _latest_step(episode, step_types) -> EnforcementStep | None:
    if episode is None:
        return None
    return (
        EnforcementStep.objects.filter(episode=episode, step_type__in=step_types)
        .order_by("-served_on")
        .first()
    )


def _named_contact(episode, by: User) -> User:
    return getattr(episode, "assigned_officer", None) or by


def letter_context(
    *,
    child: Child,
    kind: str,
    recipient: Recipient,
    by: User,
    on: date,
    school: School | None = None,
) -> dict:
    """Everything a template may use, as plain data (the sandbox sees nothing else)."""
    episode = _open_episode(child, kind)
    contact = _named_contact(episode, by)
    notice = {}
    step = NOTICE_STEPS.get(kind)
    if step is not None:
        respond_by = enforcement_respond_by(step_type=step, served_on=on)
        previous = _latest_step(episode, NOTICES_TO_SATISFY)
        sao = _latest_step(episode, {EnforcementStepType.SAO_ISSUED})
        notice = {
            "served_on": date_words(on),
            "respond_by": date_words(respond_by) if respond_by else "",
            "response_days": rules().s437_response_days,
            "nomination_days": rules().sao_school_nomination_days,
            "school": school.name if school else "",
            "previous_served_on": date_words(previous.served_on) if previous else "",
            "previous_respond_by": (
                date_words(previous.respond_by) if previous and previous.respond_by else ""
            ),
            "sao_on": date_words(sao.served_on) if sao else "",
        }
    register_request = {}
    if kind in REGISTER_REQUESTS:
        respond_by = request_respond_by(child=child, kind=REGISTER_REQUESTS[kind], on=on)
        register_request = {"respond_by": date_words(respond_by)}
    return {
        "request": register_request,
        "la": {
            "name": settings.LOCAL_AUTHORITY_NAME or "The local authority",
            "contact_name": contact.get_full_name() or contact.get_username(),
            "contact_email": contact.email,
        },
        "officer": {"name": by.get_full_name() or by.get_username(), "email": by.email},
        "letter": {"date": date_words(on)},
        "child": {
            "full_name": child.full_name,
            "forenames": child.preferred_forename or child.legal_forenames,
            "surname": child.legal_surname,
            "date_of_birth": date_words(child.date_of_birth),
            "address": _child_address(child, on).replace("\n", ", "),
        },
        "recipient": {
            "name": recipient.name,
            "address": recipient.address,
            "relationship": recipient.relationship,
        },
        "parents": [
            {"name": each.name, "address": each.address.replace("\n", ", ")}
            for each in letter_recipients(child=child, on=on)
            if each.carer
        ],
        "schools": _school_history(child),
        "notice": notice,
    }


def letter_paragraphs_default(*, template: LetterTemplate, context: dict) -> dict[str, str]:
    """The editable paragraphs as the template words them, filled from the record."""
    return {
        name: letters.render_text(text, context)
        for name, text in letters.editable_paragraphs(template.body).items()
    }


@dataclass(frozen=True)
class LetterDraft:
    template: LetterTemplate
    title: str
    text: str
    document: letters.LetterDocument


def letter_draft(
    *,
    template: LetterTemplate,
    context: dict,
    paragraphs: dict[str, str],
    recipient: Recipient,
    on: date,
) -> LetterDraft:
    """The letter as it would be sent (the preview shows this)."""
    wanted = letters.editable_paragraphs(template.body)
    chosen = {name: (paragraphs.get(name) or "").strip() for name in wanted}
    title = letters.render_text(template.title, context)
    text = letters.letter_render(template.body, context, chosen)
    document = letters.LetterDocument(
        sender=context["la"]["name"],
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        date_text=date_words(on),
        title=title,
        text=text,
    )
    return LetterDraft(template, title, text, document)


def _check_paragraphs(paragraphs: dict[str, str]) -> None:
    errors = []
    phrases = _forbidden_phrases()
    for name, text in paragraphs.items():
        if "[" in text and "]" in text:
            errors.append(LetterErrors.PLACEHOLDER_LEFT.format(paragraph=name))
        for found in letters.phrases_found(text, phrases):
            errors.append(
                LetterErrors.FORBIDDEN_IN_PARAGRAPH.format(
                    paragraph=name, phrase=found.phrase, why=found.why
                )
            )
    if errors:
        raise ValidationError({"paragraphs": errors})


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def letter_send(
    *,
    child: Child,
    kind: str,
    by: User,
    recipient: Recipient,
    method: str,
    sent_on: date,
    paragraphs: dict[str, str],
    school: School | None = None,
    before_response_date_reason: str = "",
) -> SentLetter:
    """Send a letter: the document is built, stored with its hash, and (for a notice) the
    enforcement step recorded, all or nothing. The step's gates (the procedure in force, the
    parent's response date) refuse the letter as they refuse the step."""
    if not user_can(by, letter_capability(kind)) or not _kind_in_force(kind, sent_on):
        raise ValidationError({"kind": [LetterErrors.NOT_OFFERED]})
    if not recipient.name.strip():
        raise ValidationError({"recipient": [LetterErrors.RECIPIENT_NEEDED]})
    if method == "post" and not recipient.address.strip():
        raise ValidationError({"recipient_address": [LetterErrors.RECIPIENT_ADDRESS_NEEDED]})
    if kind in NAMES_A_SCHOOL and school is None:
        raise ValidationError({"school_urn": [LetterErrors.SCHOOL_NEEDED]})
    template = letter_template_in_use(kind)
    episode = _open_episode(child, kind)
    if episode is None and (kind in NOTICE_STEPS or kind in CME_KINDS):
        register = "CME" if kind in CME_KINDS else "EHE"
        raise ValidationError({"kind": [LetterErrors.NO_EPISODE.format(kind=register)]})
    if kind == LetterKind.SAO_REVOCATION and not _latest_step(
        episode, {EnforcementStepType.SAO_ISSUED}
    ):
        raise ValidationError({"kind": [LetterErrors.NO_SAO]})
    _check_paragraphs(paragraphs)
    context = letter_context(
        child=child, kind=kind, recipient=recipient, by=by, on=sent_on, school=school
    )
    draft = letter_draft(
        template=template, context=context, paragraphs=paragraphs, recipient=recipient, on=sent_on
    )
    if kind in REGISTER_REQUESTS:
        registration = open_registration(child)
        if registration is None:
            raise ValidationError({"kind": [LetterErrors.NOT_ON_THE_REGISTER]})
        cnis_request_send(
            registration=registration, kind=REGISTER_REQUESTS[kind], by=by, on=sent_on
        )
    step = None
    if kind in NOTICE_STEPS:
        step = enforcement_step_record(
            episode=episode,
            by=by,
            step_type=NOTICE_STEPS[kind],
            served_on=sent_on,
            school_named=school,
            note=f"{draft.title}, sent to {recipient.name}",
            before_response_date_reason=before_response_date_reason,
        )
    if kind in CME_ENQUIRY_TYPES:
        cme_enquiry_record(
            episode=episode,
            by=by,
            enquiry_type=CME_ENQUIRY_TYPES[kind],
            made_on=sent_on,
            outcome=CME_ENQUIRY_OUTCOME.format(
                recipient=recipient.name.strip(), method=dict(DeliveryMethod.choices)[method]
            ),
        )
    pdf = letters.letter_pdf(draft.document)
    docx = letters.letter_docx(draft.document)
    return SentLetter.objects.create(
        child=child,
        template=template,
        template_version=template.version,
        kind=kind,
        title=draft.title,
        recipient_name=recipient.name.strip(),
        recipient_address=recipient.address.strip(),
        recipient_carer=recipient.carer,
        method=method,
        sent_on=sent_on,
        sent_by=by,
        body_text=draft.text,
        pdf=pdf,
        pdf_sha256=_sha256(pdf),
        docx=docx,
        docx_sha256=_sha256(docx),
        ehe_episode=episode if isinstance(episode, EHEEpisode) else None,
        cme_episode=None if isinstance(episode, EHEEpisode) else episode,
        enforcement_step=step,
    )
