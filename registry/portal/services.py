"""What parents do through the portal, and what staff do with it (ADR 0014). Every write keeps
history (the request's user through HistoryRequestMiddleware, or ``save_with_history``), and
each lands on the child's timeline (registry/timeline.py)."""

import hashlib
import hmac
from datetime import date, timedelta
from decimal import Decimal

import holidays
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_query_string

from registry.access import Capability, roles_with, user_can
from registry.cnis.selectors import requests_for_parent
from registry.cnis.services import cnis_information_record
from registry.models import (
    AccessPurpose,
    Carer,
    Child,
    CNISRequest,
    CNISRequestKind,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    EHESource,
    EnforcementStep,
    EvidenceFile,
    InformationSource,
    ParentLink,
    ParentSubmission,
    PortalLinkRequest,
    Relationship,
    Role,
    SubmissionKind,
    SubmissionStatus,
    User,
)
from registry.portal import files
from registry.portal.selectors import (
    notices_to_answer,
    open_ehe_episode,
    parent_children,
    portal_child_queryset,
)
from registry.rulebook import rules
from registry.selectors import child_queryset_for_user
from registry.services.access_log import child_opening_log
from registry.services.children import address_add, carer_add, child_create
from registry.services.episodes import ehe_episode_open
from registry.services.history import ChangeReason, save_with_history

SIGN_IN_SCOPE = "parent-portal"


class PortalMessages:
    NOTICE_NOT_OPEN = "Choose a notice whose date to reply by has not passed"
    NOT_YOUR_CHILD = "Choose one of your children"
    EVIDENCE_FILE_NEEDED = "Select a file to upload for a written report or samples of work"


# --- Signing in ----------------------------------------------------------------------------------


def address_hash(email: str) -> str:
    """A keyed hash of an email address: rate limits count requests without storing addresses."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def parent_account_for(email: str) -> User | None:
    return User.objects.filter(
        username=email.strip().lower(),
        role__in=roles_with(Capability.USE_PARENT_PORTAL),
        is_active=True,
    ).first()


def sign_in_link(*, user: User, base_url: str) -> str:
    """The one-time link (django-sesame: signed, expiring, invalid once used)."""
    return f"{base_url}{get_query_string(user, scope=SIGN_IN_SCOPE)}"


def _over_link_limits(hashed: str, ip_address: str | None, now) -> bool:
    """Whether another link for this address, or from this network address, is over the rate
    limits (the sign-in links and new accounts share them)."""
    since = now - timedelta(minutes=settings.PORTAL_LINK_REQUEST_WINDOW_MINUTES)
    recent = PortalLinkRequest.objects.filter(requested_at__gte=since)
    return recent.filter(
        address_hash=hashed
    ).count() >= settings.PORTAL_LINK_REQUESTS_PER_ADDRESS or (
        ip_address is not None
        and recent.filter(ip_address=ip_address).count() >= settings.PORTAL_LINK_REQUESTS_PER_IP
    )


@transaction.atomic
def parent_account_register(
    *, full_name: str, email: str, ip_address: str | None, base_url: str
) -> PortalLinkRequest:
    """A parent the council does not know yet makes their own account, to tell it about home
    education: an account with no child (it sees nothing until an officer links a child to it),
    and a sign-in link emailed. Whatever happens the page is the same: an address already in
    use (a parent's or staff's) gains nothing and reveals nothing; the rate limits apply."""
    username = email.strip().lower()
    if not _over_link_limits(address_hash(email), ip_address, timezone.now()):
        taken = User.objects.filter(Q(username=username) | Q(email__iexact=username))
        if not taken.exists():
            _parent_user_new(username, full_name, by=None, detail="Parent's own account")
    return portal_link_request(email=email, ip_address=ip_address, base_url=base_url)


def portal_link_request(*, email: str, ip_address: str | None, base_url: str) -> PortalLinkRequest:
    """Email a sign-in link if ``email`` is a parent's account, within the rate limits. Whatever
    happens, the caller shows the same page: nothing tells whether the address is known."""
    now = timezone.now()
    hashed = address_hash(email)
    refused = _over_link_limits(hashed, ip_address, now)
    account = None if refused else parent_account_for(email)
    row = PortalLinkRequest.objects.create(
        address_hash=hashed,
        ip_address=ip_address,
        requested_at=now,
        sent=account is not None,
        refused=refused,
    )
    if account is not None:
        link = sign_in_link(user=account, base_url=base_url)
        minutes = settings.PORTAL_SIGN_IN_LINK_MINUTES
        transaction.on_commit(
            lambda: send_mail(
                "Your link to sign in",
                f"Use this link to sign in to the home education service:\n\n{link}\n\n"
                f"It works once, for {minutes} minutes. If you did not ask for it, you can "
                "ignore this email.",
                settings.DEFAULT_FROM_EMAIL,
                [account.email],
            )
        )
    return row


def _parent_user_new(username: str, full_name: str, *, by: User | None, detail: str) -> User:
    """A parent's account: no usable password (they sign in by emailed link)."""
    first, _, last = full_name.strip().partition(" ")
    user = User(
        username=username,
        email=username,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.PARENT,
        password=make_password(None),
    )
    save_with_history(user, by=by, reason=ChangeReason.MANUAL_EDIT, detail=detail)
    return user


def parent_account_create(*, carer: Carer, email: str, by: User | None) -> User:
    """A parent's account (no password: they sign in by emailed link), linked to ``carer``.
    An existing account for the address gains the link (a parent of several children)."""
    username = email.strip().lower()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = _parent_user_new(username, carer.full_name, by=by, detail="Parent portal account")
    elif not user_can(user, Capability.USE_PARENT_PORTAL) and user.is_active:
        raise ValidationError("This address belongs to a staff account")
    if not ParentLink.objects.filter(user=user, carer=carer).exists():
        save_with_history(
            ParentLink(user=user, carer=carer),
            by=by,
            reason=ChangeReason.MANUAL_EDIT,
            detail="Linked",
        )
    return user


def carer_portal_account_give(*, carer: Carer, email: str, by: User) -> User:
    """Staff give a carer a sign-in: the carer record keeps the address the links go to."""
    with transaction.atomic():
        if carer.email.strip().lower() != email.strip().lower():
            carer.email = email.strip().lower()
            save_with_history(
                carer, by=by, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal email"
            )
        return parent_account_create(carer=carer, email=email, by=by)


# --- Reading --------------------------------------------------------------------------------------


def parent_child_open(*, request, child_id) -> Child:
    """One of the parent's own children, with the reading logged; 404 for any other child."""
    gate = parent_children(user=request.user)
    try:
        child = portal_child_queryset().filter(pk__in=gate.values("pk")).get(pk=child_id)
    except (Child.DoesNotExist, ValueError, ValidationError) as missing:
        raise Http404 from missing
    child_opening_log(request=request, child=child, purpose=AccessPurpose.PARENT_PORTAL)
    return child


# --- What parents send ---------------------------------------------------------------------------


def home_education_notice_submit(
    *, user: User, child: Child | None, details: dict
) -> ParentSubmission:
    """A parent tells the LA they are home educating (or will). About one of their own children
    it lands on that child's file; about a child the portal cannot place, it waits for an officer
    to match it (status "to match")."""
    if child is not None and not parent_children(user=user).filter(pk=child.pk).exists():
        raise ValidationError(PortalMessages.NOT_YOUR_CHILD)
    submission = ParentSubmission(
        kind=SubmissionKind.HOME_EDUCATION_NOTICE,
        status=SubmissionStatus.NEW if child else SubmissionStatus.TO_MATCH,
        child=child,
        ehe_episode=open_ehe_episode(child) if child else None,
        details=details,
        text=details.get("summary", ""),
        submitted_by=user,
    )
    save_with_history(submission, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    return submission


@transaction.atomic
def evidence_submit(
    *, user: User, child: Child, method: str, text: str, upload=None
) -> ParentSubmission:
    """How the parent chooses to show the education, with a file where they send one. The file
    is checked by content and scanned before anything is written (registry/portal/files.py)."""
    checked = files.upload_check(upload) if upload is not None else None
    submission = ParentSubmission(
        kind=SubmissionKind.EVIDENCE,
        child=child,
        ehe_episode=open_ehe_episode(child),
        evidence_method=method,
        text=text,
        submitted_by=user,
    )
    save_with_history(submission, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    if checked is not None:
        stored = files.upload_store(checked)
        save_with_history(
            EvidenceFile(
                submission=submission,
                stored_name=stored,
                original_name=(upload.name or "upload")[:200],
                content_type=checked.content_type,
                size=len(checked.content),
                sha256=checked.sha256,
                scan_result=checked.scan_result,
                scan_detail=checked.scan_detail,
            ),
            by=user,
            reason=ChangeReason.MANUAL_EDIT,
            detail="Parent portal",
        )
    return submission


def reply_submit(
    *, user: User, child: Child, text: str, enforcement_step: EnforcementStep | None = None
) -> ParentSubmission:
    """A reply to the LA's enquiry (the open case) or to a notice before its date."""
    if (
        enforcement_step is not None
        and not notices_to_answer(child=child).filter(pk=enforcement_step.pk).exists()
    ):
        raise ValidationError(PortalMessages.NOTICE_NOT_OPEN)
    submission = ParentSubmission(
        kind=SubmissionKind.REPLY,
        child=child,
        ehe_episode=enforcement_step.episode if enforcement_step else open_ehe_episode(child),
        enforcement_step=enforcement_step,
        text=text,
        submitted_by=user,
    )
    save_with_history(submission, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    return submission


# --- Complaints ----------------------------------------------------------------------------------


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start``: Monday to Friday, England's bank holidays
    (and their substitute days) skipped."""
    bank_holidays = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(start.year, start.year + 2)
    )
    day, left = start, count
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in bank_holidays:
            left -= 1
    return day


def case_officers(child: Child) -> set[int]:
    """Everyone who holds or held one of the child's EHE or CME cases."""
    return {
        officer
        for episodes in (child.ehe_episodes, child.cme_episodes)
        for officer in episodes.values_list("assigned_officer", flat=True)
        if officer
    }


def complaint_handler_choose(*, excluded: set[int]) -> User | None:
    """An active user who handles complaints, not one of ``excluded``; the one with fewest
    complaints still open, so the work is shared."""
    return (
        User.objects.filter(is_active=True, role__in=roles_with(Capability.HANDLE_COMPLAINTS))
        .exclude(pk__in=excluded)
        .annotate(
            open_complaints=Count(
                "complaints_handled",
                filter=~Q(complaints_handled__status=ComplaintStatus.RESPONDED),
            )
        )
        .order_by("open_complaints", "pk")
        .first()
    )


@transaction.atomic
def complaint_make(
    *, user: User, child: Child, text: str, about_case_officer: bool, about_text: str = ""
) -> Complaint:
    """A parent's complaint goes to a handler who is neither the officer complained about nor
    anyone holding the child's case (docs/rules/ehe.md §11), with the LA's clocks."""
    episode = open_ehe_episode(child)
    about = episode.assigned_officer if (about_case_officer and episode) else None
    excluded = case_officers(child) | ({about.pk} if about else set())
    handler = complaint_handler_choose(excluded=excluded)
    today = timezone.localdate()
    rulebook = rules()
    complaint = Complaint(
        child=child,
        made_by=user,
        about_officer=about,
        about_text=about_text,
        text=text,
        handler=handler,
        acknowledge_by=add_working_days(today, rulebook.complaint_acknowledge_working_days),
        respond_by=add_working_days(today, rulebook.complaint_respond_working_days),
    )
    save_with_history(complaint, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    ComplaintEvent.objects.create(complaint=complaint, by=user, event="Received")
    ComplaintEvent.objects.create(
        complaint=complaint,
        event=f"Handler: {handler}"
        if handler
        else "No eligible handler: an administrator "
        "must choose one who is not the officer complained about",
    )
    return complaint


def complaint_handler_eligible(*, complaint: Complaint) -> list[User]:
    """Who may handle this complaint (docs/rules/ehe.md §11)."""
    excluded = case_officers(complaint.child) | (
        {complaint.about_officer_id} if complaint.about_officer_id else set()
    )
    return list(
        User.objects.filter(is_active=True, role__in=roles_with(Capability.HANDLE_COMPLAINTS))
        .exclude(pk__in=excluded)
        .order_by("last_name", "first_name")
    )


def complaint_handler_assign(*, complaint: Complaint, handler: User, by: User) -> Complaint:
    """An administrator chooses the handler: never the officer complained about or one holding
    the child's cases."""
    if handler not in complaint_handler_eligible(complaint=complaint):
        raise ValidationError(
            {
                "handler": "Choose someone who handles complaints and is not the officer "
                "complained about or one holding the child's case"
            }
        )
    complaint.handler = handler
    save_with_history(complaint, by=by, reason=ChangeReason.MANUAL_EDIT, detail="Handler chosen")
    ComplaintEvent.objects.create(complaint=complaint, by=by, event=f"Handler: {handler}")
    return complaint


def complaint_queryset_for_user(*, user: User):
    if not user_can(user, Capability.HANDLE_COMPLAINTS):
        return Complaint.objects.none()
    complaints = Complaint.objects.select_related("child", "handler", "about_officer")
    if user_can(user, Capability.ADMINISTER):
        return complaints.exclude(about_officer=user)
    return complaints.filter(handler=user)


def complaint_progress(*, complaint: Complaint, by: User, to_status: str, note: str) -> Complaint:
    """The handler acknowledges the complaint, then answers it; each step is logged."""
    if complaint.about_officer_id == by.pk or complaint.pk not in set(
        complaint_queryset_for_user(user=by).values_list("pk", flat=True)
    ):
        raise Http404
    today = timezone.localdate()
    if to_status == ComplaintStatus.ACKNOWLEDGED:
        complaint.acknowledged_on = today
    elif to_status == ComplaintStatus.RESPONDED:
        complaint.acknowledged_on = complaint.acknowledged_on or today
        complaint.responded_on = today
    else:
        raise ValidationError("Choose acknowledged or responded")
    complaint.status = to_status
    if complaint.handler_id is None:
        complaint.handler = by
    save_with_history(complaint, by=by, reason=ChangeReason.MANUAL_EDIT, detail=note)
    ComplaintEvent.objects.create(
        complaint=complaint, by=by, event=complaint.get_status_display(), note=note
    )
    return complaint


# --- Retention ----------------------------------------------------------------------------------


def portal_rows_anonymise(*, child_ids: list) -> dict[str, int]:
    """With the children anonymised by the retention job (docs/rules/data-protection.md §4):
    parents' files deleted (their bytes too), what parents wrote and their notices' answers
    cleared, in history as well. The rows stay as events: something was sent, on a day."""
    kept = EvidenceFile.objects.filter(submission__child_id__in=child_ids)
    storage = files.private_storage()
    deleted = 0
    for evidence in kept:
        storage.delete(evidence.stored_name)
        evidence.delete()
        deleted += 1
    EvidenceFile.history.model.objects.filter(submission__child_id__in=child_ids).delete()
    cleared = {"text": "", "details": {}}
    sent = ParentSubmission.objects.filter(child_id__in=child_ids)
    submissions = sent.update(**cleared)
    ParentSubmission.history.model.objects.filter(child_id__in=child_ids).update(**cleared)
    blank = {"text": "", "about_text": ""}
    complaints = Complaint.objects.filter(child_id__in=child_ids).update(**blank)
    Complaint.history.model.objects.filter(child_id__in=child_ids).update(**blank)
    ComplaintEvent.objects.filter(complaint__child_id__in=child_ids).update(note="")
    return {
        "parents' files deleted": deleted,
        "parents' submissions cleared": submissions,
        "complaints cleared": complaints,
    }


# --- Staff: parents' notices ---------------------------------------------------------------------


def parent_submission_seen(
    *, submission: ParentSubmission, by: User, child: Child | None = None
) -> ParentSubmission:
    """An officer has read what a parent sent; a notice waiting to be matched is matched to
    ``child``."""
    if submission.child_id is None:
        if child is None:
            raise ValidationError({"child": "Enter the register record this notice is about"})
        submission.child = child
        submission.ehe_episode = open_ehe_episode(child)
    submission.status = SubmissionStatus.SEEN
    submission.seen_by, submission.seen_at = by, timezone.now()
    save_with_history(
        submission, by=by, reason=ChangeReason.MATCH_REVIEW, detail="Parent's notice seen"
    )
    return submission


@transaction.atomic
def parent_notice_new_child(*, submission: ParentSubmission, by: User) -> Child:
    """A notice about a child the register does not hold: the record is made from it (the
    child, their address, each parent named, the home education case if it has started) and the
    notice matched to it. Officers first look for the child among the records suggested; a
    parent is given a portal sign-in for the record only by an officer, from the record."""
    if submission.child_id is not None or submission.kind != SubmissionKind.HOME_EDUCATION_NOTICE:
        raise ValidationError("This notice is already matched to a record")
    details = submission.details
    given = details["child"]
    child = child_create(
        by=by,
        legal_forenames=given["legal_forenames"],
        legal_surname=given["legal_surname"],
        date_of_birth=date.fromisoformat(given["date_of_birth"]),
    )
    today = timezone.localdate()
    if given.get("address"):
        address_add(
            child=child,
            by=by,
            line_1=given["address"],
            postcode=given.get("postcode", ""),
            valid_from=today,
            source=InformationSource.PARENT,
        )
    for parent in details.get("parents", []):
        carer_add(
            child=child,
            by=by,
            full_name=parent["full_name"],
            relationship=Relationship.OTHER,
            address=parent.get("address", ""),
            is_educating=bool(parent.get("is_educating")),
        )
    starts_on = date.fromisoformat(details["starts_on"])
    if starts_on <= today:
        ehe_episode_open(
            child=child,
            by=by,
            start_date=starts_on,
            source=EHESource.PARENT,
            parent_reason_text=submission.text,
            estimated_hours_from_parents=_hours(details.get("hours_from_parents")),
            estimated_hours_from_others=_hours(details.get("hours_from_others")),
        )
    parent_submission_seen(submission=submission, by=by, child=child)
    return child


def _hours(value: str | None) -> Decimal | None:
    return Decimal(value) if value not in (None, "", "None") else None


def parent_notice_candidates(*, submission: ParentSubmission, user: User, limit: int = 5):
    """Records inside the officer's gate that the notice may be about: the same date of birth
    and a name that starts alike (forename or surname), for the officer to choose from."""
    given = submission.details.get("child", {})
    try:
        born = date.fromisoformat(given.get("date_of_birth", ""))
    except ValueError:
        return Child.objects.none()
    forename = given.get("legal_forenames", "").strip()[:3]
    surname = given.get("legal_surname", "").strip()[:3]
    names = Q(pk__in=[])
    if forename:
        names |= Q(legal_forenames__istartswith=forename)
    if surname:
        names |= Q(legal_surname__istartswith=surname) | Q(former_surnames__icontains=surname)
    return (
        child_queryset_for_user(user=user)
        .filter(names, date_of_birth=born)
        .prefetch_related("addresses")
        .order_by("legal_surname", "legal_forenames")[:limit]
    )


def parent_notices_for_user(*, user: User):
    if not user_can(user, Capability.TRIAGE_PARENT_NOTICES):
        return ParentSubmission.objects.none()
    return (
        ParentSubmission.objects.filter(
            status__in=[SubmissionStatus.TO_MATCH, SubmissionStatus.NEW]
        )
        .select_related("child", "submitted_by", "enforcement_step")
        .prefetch_related("files")
        .order_by("submitted_at")
    )


def base_url_for(request) -> str:
    return request.build_absolute_uri(reverse("portal:sign-in-link"))


# --- The children-not-in-school register (ADR 0016) ----------------------------------------------


def _open_register_request(child: Child, request_id, kind: str) -> CNISRequest:
    found = requests_for_parent(child=child, on=timezone.localdate()).filter(
        pk=request_id, kind=kind
    )
    cnis_request = found.select_related("registration").first()
    if cnis_request is None:
        raise Http404
    return cnis_request


@transaction.atomic
def register_information_submit(
    *,
    user: User,
    child: Child,
    request_id,
    hours_from_parents,
    hours_from_others,
    changes: str = "",
) -> ParentSubmission:
    """A parent answers an update request: the estimates go on the register, the request is
    answered, and what they wrote lands on the child's file for an officer."""
    cnis_request = _open_register_request(child, request_id, CNISRequestKind.UPDATE)
    submission = ParentSubmission(
        kind=SubmissionKind.REGISTER_INFORMATION,
        child=child,
        ehe_episode=open_ehe_episode(child),
        text=changes,
        details={
            "hours_from_parents": str(hours_from_parents),
            "hours_from_others": str(hours_from_others),
        },
        submitted_by=user,
    )
    save_with_history(submission, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    cnis_information_record(
        registration=cnis_request.registration,
        by=user,
        confirmed_on=timezone.localdate(),
        hours_from_parents=hours_from_parents,
        hours_from_others=hours_from_others,
        submission=submission,
    )
    return submission


@transaction.atomic
def home_visit_answer_submit(
    *, user: User, child: Child, request_id, agrees: bool, text: str = ""
) -> ParentSubmission:
    """A parent answers a home-visit request. The answer lands on the file, linked to the
    request; the officer records the outcome (the visit, or a refusal), so a refusal is never
    turned into non-compliance without a person seeing it."""
    cnis_request = _open_register_request(child, request_id, CNISRequestKind.HOME_VISIT)
    answer = "Agrees to a visit" if agrees else "Does not agree to a visit"
    submission = ParentSubmission(
        kind=SubmissionKind.REPLY,
        child=child,
        ehe_episode=open_ehe_episode(child),
        text=f"{answer}. {text}".strip(),
        details={"cnis_request": str(cnis_request.pk), "agrees_to_visit": agrees},
        submitted_by=user,
    )
    save_with_history(submission, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal")
    cnis_request.parent_submission = submission
    save_with_history(
        cnis_request, by=user, reason=ChangeReason.MANUAL_EDIT, detail="Parent portal"
    )
    return submission
