"""The schools feed in the browser: the school portal (upload, preview, confirm, submissions, the
one-child form, templates), the notification lists, and the match review queue for officers.

Views are thin: gate, bind a form, call one service, message, redirect.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from registry.access import Capability, user_can
from registry.dates import date_words
from registry.models import AccessPurpose, DisclosureKind
from registry.selectors import child_queryset_for_user
from registry.services.access_log import (
    children_list_log_for_request,
    list_names_shown,
    list_reason_url,
)
from registry.services.disclosure import disclosure_record_for_download
from schools_feed import forms, selectors, templates_download
from schools_feed.grounds import DEATH_GROUNDS
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages
from schools_feed.models import (
    Channel,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
    SubmissionStatus,
)
from schools_feed.selectors import duplicates_checked_at, notification_queryset_for_user
from schools_feed.services import duplicates, intake, review


def _require(request, capability: Capability):
    """Who may use a page is the capability table's (registry/access.py); otherwise 404."""
    if not user_can(request.user, capability):
        raise Http404


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "schools_feed/notification_list.html"
    paginate_by = 50
    context_object_name = "notifications"

    def get_queryset(self):
        _require(self.request, Capability.VIEW_NOTIFICATIONS)
        notifications = notification_queryset_for_user(user=self.request.user)
        status = self.request.GET.get("status", "")
        kind = self.request.GET.get("kind", "")
        if status in NotificationStatus.values:
            notifications = selectors.notifications_with_status(
                notifications, user=self.request.user, status=status
            )
        if kind in NotificationKind.values:
            notifications = notifications.filter(kind=kind)
        school = self.request.GET.get("school", "")
        if school:  # a URN; the gate above already holds the list to the user's own schools
            notifications = notifications.filter(school__urn=school)
        return notifications.select_related("school").order_by("-received_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        # A role that must give a reason first sees the list without pupils' names until it has;
        # once names are shown, the page is one row in the list access log.
        names_shown = list_names_shown(self.request)
        if names_shown:
            children_list_log_for_request(
                self.request,
                [n.child_id for n in context["notifications"]],
                purpose=AccessPurpose.RETURNS,
                shown=len(context["notifications"]),
            )
        context.update(
            names_hidden=not names_shown,
            reason_url=list_reason_url(self.request),
            query_string=params.urlencode(),
            statuses=selectors.notification_statuses_for_user(user=self.request.user),
            kinds=NotificationKind.choices,
            status=self.request.GET.get("status", ""),
            kind=self.request.GET.get("kind", ""),
            school=self.request.GET.get("school", ""),
            # A school's staff see this list as their home page ("Your returns").
            own_schools=list(selectors.school_queryset_for_user(user=self.request.user)[:100])
            if user_can(self.request.user, Capability.SEE_OWN_SCHOOLS)
            else None,
        )
        return context


@login_required
def notification_detail(request, notification_id):
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related(
            "school", "destination_school", "submission"
        ),
        pk=notification_id,
    )
    if not list_names_shown(request):
        return redirect(list_reason_url(request))
    child_visible = bool(
        notification.child_id
        and child_queryset_for_user(user=request.user).filter(pk=notification.child_id).exists()
    )
    children_list_log_for_request(
        request, [notification.child_id], purpose=AccessPurpose.RETURNS, shown=1
    )
    events = (
        selectors.notification_event_queryset_for_user(user=request.user)
        .filter(notification=notification)
        .select_related("by")
    )
    return render(
        request,
        "schools_feed/notification_detail.html",
        {
            "notification": notification,
            "child_visible": child_visible,
            "events": events,
            "can_review": user_can(request.user, Capability.REVIEW_MATCHES),
            "show_routing": user_can(request.user, Capability.SEE_EVERY_NOTIFICATION),
            "queries": events.filter(event_type=NotificationEventType.QUERIED),
        },
    )


# The school portal ---------------------------------------------------------------------------


def _sending_schools(request):
    _require(request, Capability.SEND_RETURNS)
    return list(selectors.school_queryset_for_user(user=request.user).order_by("name")[:500])


@login_required
def send_returns(request):
    """What a school can send, and how."""
    _sending_schools(request)
    return render(request, "schools_feed/send.html", {"kinds": NotificationKind.choices})


def _school_user(request) -> bool:
    """School staff, confined to their own schools: with one school they never choose it."""
    return user_can(request.user, Capability.SEE_OWN_SCHOOLS)


# What the intake says about the sending school belongs beside the School field, when there is one.
SCHOOL_PROBLEMS = {FileMessages.NO_SCHOOL}
SCHOOL_ROW_FIELDS = {"school_urn", "school_laestab"}
SHOWN_PROBLEMS = 500  # on the page; the rows-with-errors download has every error


def _file_problem_field(form, problem: FileProblem) -> str:
    return "school" if problem.message in SCHOOL_PROBLEMS and "school" in form.fields else "file"


def _add_row_errors(form, error: ValidationError) -> None:
    """The intake's messages by field, beside the form's own: a field the form already faulted
    keeps the form's message only, so each problem is said once."""
    for field, field_errors in error.message_dict.items():
        if field in SCHOOL_ROW_FIELDS and "school" in form.fields:
            field = "school"
        if field in form.errors:
            continue
        form.add_error(field if field in form.fields else None, field_errors)


@login_required
def upload(request):
    form = forms.UploadForm(
        request.POST or None,
        request.FILES or None,
        schools=_sending_schools(request),
        school_user=_school_user(request),
    )
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            submission = intake.submission_preview(
                school=form.chosen_school(),
                by=request.user,
                file_name=upload_file.name,
                data=upload_file.read(),
                return_type=form.cleaned_data["return_type"],
                starting_date=form.cleaned_data.get("starting_date"),
            )
        except FileProblem as problem:
            form.add_error(_file_problem_field(form, problem), problem.message)
        else:
            return redirect("schools_feed:submission-detail", submission.pk)
    return render(request, "schools_feed/upload.html", {"form": form})


def _submission(request, submission_id):
    return get_object_or_404(
        selectors.submission_queryset_for_user(user=request.user).select_related("school"),
        pk=submission_id,
    )


@login_required
def submission_list(request):
    _require(request, Capability.VIEW_NOTIFICATIONS)
    submissions = selectors.submission_queryset_for_user(user=request.user).select_related(
        "school", "submitted_by"
    )
    page = Paginator(submissions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "schools_feed/submission_list.html",
        {"submissions": page.object_list, "page_obj": page},
    )


@login_required
def submission_detail(request, submission_id, form=None):
    """The submission, or a checked file waiting for its sender. ``form`` is the confirmation
    sent back with its errors (the declaration not ticked), shown in the error summary."""
    submission = _submission(request, submission_id)
    if not list_names_shown(request):
        return redirect(list_reason_url(request))
    is_preview = submission.status == SubmissionStatus.PREVIEW
    sender = is_preview and _is_sender(request, submission)
    # Through the notification gate too: a reader sees only rows of the schools they may see,
    # whatever school a row of the submission names.
    notifications = (
        notification_queryset_for_user(user=request.user)
        .filter(submission=submission)
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=selectors.notification_event_queryset_for_user(user=request.user).exclude(
                    event_type=NotificationEventType.RECEIVED
                ),
            )
        )
        .order_by("row_number")
    )
    shown_rows = list(notifications[:500])
    preview_rows = intake.submission_preview_rows(submission=submission) if sender else []
    children_list_log_for_request(
        request,
        [n.child_id for n in shown_rows],
        purpose=AccessPurpose.RETURNS,
        shown=len(shown_rows) + len(preview_rows),
    )
    return render(
        request,
        "schools_feed/submission_detail.html",
        {
            "submission": submission,
            "form": form or forms.ConfirmForm(),
            # The pupils the sender is about to send, by name: theirs to see, nobody else's.
            "preview_rows": preview_rows,
            "preview_rows_listed": f"{intake.PREVIEW_ROWS:,}",
            "sendable_rows": intake.submission_sendable_rows(submission),
            "notifications": shown_rows,
            "problems": submission.problems[:SHOWN_PROBLEMS],
            "problems_not_shown": max(len(submission.problems) - SHOWN_PROBLEMS, 0),
            "errors_all_kept": intake.submission_errors_all_kept(submission),
            "errors_kept_at_most": f"{intake.STORED_ERRORS:,}",
            "is_preview": is_preview,
            "may_download_rejected_rows": _may_read_rows(request, submission),
            "can_confirm": sender and user_can(request.user, Capability.SEND_RETURNS),
            # Routing can reveal what the LA knows about a child (a safeguarding alert, say):
            # schools see each notification's status, LA staff the decisions too.
            "show_routing": user_can(request.user, Capability.SEE_EVERY_NOTIFICATION),
        },
    )


def _is_sender(request, submission) -> bool:
    return submission.submitted_by_id == request.user.pk


def _may_read_rows(request, submission) -> bool:
    """A file's rows as written name its pupils. Before the file is sent they are its sender's
    alone (a preview is not yet a return), and so is sending or dropping it; once sent, anyone
    who may see the submission reads them."""
    return submission.status != SubmissionStatus.PREVIEW or _is_sender(request, submission)


def _senders_submission(request, submission_id):
    submission = _submission(request, submission_id)
    if not _may_read_rows(request, submission):
        raise Http404
    return submission


@xframe_options_sameorigin  # shown in an iframe on the submission page
@login_required
def submission_progress(request, submission_id):
    """The progress bar's own small page, refreshed by the browser while a worker imports."""
    submission = _submission(request, submission_id)
    return render(request, "schools_feed/submission_progress.html", {"submission": submission})


@login_required
@require_POST
def submission_confirm(request, submission_id):
    _require(request, Capability.SEND_RETURNS)
    submission = _senders_submission(request, submission_id)
    form = forms.ConfirmForm(request.POST)
    form.is_valid()
    try:
        submission = intake.submission_confirm(
            submission=submission,
            by=request.user,
            accept_valid_rows=form.cleaned_data.get("accept_valid_rows", False),
        )
    except ValidationError as error:
        # On the page, in the error summary: the declaration's own error links to its checkbox.
        has_errors = intake.SubmissionErrors.HAS_ERRORS in error.messages
        form.add_error("accept_valid_rows" if has_errors else None, error.messages)
        return submission_detail(request, submission.pk, form=form)
    else:
        if submission.status == SubmissionStatus.IMPORTED:
            messages.success(request, f"{submission.imported} notifications imported")
        else:
            messages.success(request, "The file is being imported. You can leave this page")
    return redirect("schools_feed:submission-detail", submission.pk)


@login_required
@require_POST
def submission_cancel(request, submission_id):
    _require(request, Capability.SEND_RETURNS)
    intake.submission_cancel(submission=_senders_submission(request, submission_id))
    messages.success(request, "The file was not imported")
    return redirect("schools_feed:upload")


def _pupil_rows(content: bytes) -> int:
    """How many rows of a rejected-rows CSV carry a pupil's details (more than the row number
    and its messages): what the disclosure log counts for this download."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    return sum(any(cell for cell in row[2:]) for row in rows)


@login_required
def submission_rejected_rows(request, submission_id):
    """The rows that were not imported, each with its messages, as CSV to fix and send again.
    The rows name pupils: the same reason-first rule as the submission's page applies."""
    submission = _submission(request, submission_id)
    if not _may_read_rows(request, submission):
        raise Http404
    if not list_names_shown(request):
        return redirect(list_reason_url(request))
    content = intake.submission_rejected_rows_csv(submission=submission)
    disclosure_record_for_download(
        request, kind=DisclosureKind.REJECTED_ROWS_CSV, children_count=_pupil_rows(content)
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{submission.pk}.csv"'
    return response


@login_required
def template_download(request, kind, file_format):
    _require(request, Capability.SEND_RETURNS)
    if kind not in NotificationKind.values or file_format not in ("csv", "xlsx"):
        raise Http404
    content, content_type = templates_download.template_file(kind=kind, file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}-return-template.{file_format}"'
    return response


@login_required
def notification_form(request, kind):
    """Every problem in one round: the form's own (the school, a date that is not a date) and the
    intake's rules for this return and ground, checked even before the school is chosen."""
    if kind not in NotificationKind.values:
        raise Http404
    form = forms.NotificationForm(
        request.POST or None,
        kind=kind,
        schools=_sending_schools(request),
        school_user=_school_user(request),
    )
    if request.method == "POST":
        form_valid = form.is_valid()
        school = form.chosen_school()
        send = form_valid and school is not None
        details = {"by": request.user, "values": form.raw_values(), "return_type": kind}
        try:
            if send:
                submission, _ = intake.notification_submit(
                    school=school, channel=Channel.WEB_FORM, **details
                )
            else:
                intake.notification_check(school=school, **details)
        except intake.DuplicateNotification as duplicate:
            form.add_error(
                None,
                f"This was already received on {date_words(duplicate.notification.received_at)}",
            )
        except ValidationError as error:
            _add_row_errors(form, error)
        else:
            if send:
                messages.success(request, "Notification sent to the local authority")
                return redirect("schools_feed:submission-detail", submission.pk)
    return render(
        request,
        "schools_feed/notification_form.html",
        {"form": form, "title": NotificationKind(kind).label},
    )


# The match review queue -----------------------------------------------------------------------

DEATH_RECORDED = (
    "The death of {child} is recorded on their record: their open cases are closed and the "
    "officers who held them have an action"
)


# Returns to match are paged, never cut off: every one waiting is reachable and counted.
REVIEW_QUEUE_PAGE_SIZE = 50


@login_required
def duplicate_children(request):
    """Children likely to be recorded twice (``find_duplicate_children``), most likely first,
    each pair inside the officer's gate, with the model's evidence and the way to merge them."""
    _require(request, Capability.FIND_DUPLICATES)
    pairs = selectors.possible_duplicates_for_user(user=request.user)
    page = Paginator(pairs, REVIEW_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = selectors.duplicate_group_sizes(pairs, {pair.cluster for pair in page.object_list})
    for pair in page.object_list:
        pair.group_size = groups.get(pair.cluster, 2)
    children_list_log_for_request(
        request,
        [child for pair in page.object_list for child in (pair.child, pair.other)],
        purpose=AccessPurpose.DATA_QUALITY,
    )
    return render(
        request,
        "schools_feed/duplicate_children.html",
        {
            "pairs": page.object_list,
            "page_obj": page,
            "total": page.paginator.count,
            "checked_at": duplicates_checked_at(),
        },
    )


@login_required
def duplicate_not_the_same(request, pair_id):
    """An officer records that a listed pair are two children, with why: the pair leaves the
    list and the weekly check does not list it again."""
    _require(request, Capability.FIND_DUPLICATES)
    pair = get_object_or_404(selectors.possible_duplicates_for_user(user=request.user), pk=pair_id)
    children_list_log_for_request(
        request, [pair.child, pair.other], purpose=AccessPurpose.DATA_QUALITY
    )
    form = forms.NotTheSameChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        duplicates.duplicate_pair_not_the_same(
            pair=pair, by=request.user, why=form.cleaned_data["why"]
        )
        messages.success(
            request,
            f"Recorded: {pair.child.full_name} and {pair.other.full_name} are two children. "
            "They will not be listed again.",
        )
        return redirect("schools_feed:duplicate-children")
    return render(request, "schools_feed/duplicate_not_the_same.html", {"pair": pair, "form": form})


@login_required
def review_queue(request):
    _require(request, Capability.REVIEW_MATCHES)
    waiting = selectors.notifications_awaiting_review(user=request.user)
    page = Paginator(waiting, REVIEW_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    # The returns waiting name pupils not yet linked to a record: the page is logged all the same.
    children_list_log_for_request(
        request,
        [n.child_id for n in page.object_list],
        purpose=AccessPurpose.MATCH_REVIEW,
        shown=len(page.object_list),
    )
    return render(
        request,
        "schools_feed/review_queue.html",
        {"notifications": page.object_list, "page_obj": page, "total": page.paginator.count},
    )


@login_required
def review_notification(request, notification_id):
    _require(request, Capability.REVIEW_MATCHES)
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related(
            "school", "destination_school"
        ),
        pk=notification_id,
        status=NotificationStatus.REVIEW,
    )
    candidates = selectors.review_candidates(notification=notification, user=request.user)
    children_list_log_for_request(
        request,
        [c.child for c in candidates],
        purpose=AccessPurpose.MATCH_REVIEW,
        shown=len(candidates) + 1,  # the candidates and the return's own pupil
    )
    form = forms.ReviewForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            _review_decision(request, notification, form)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect("schools_feed:review-queue")
    return render(
        request,
        "schools_feed/review_notification.html",
        {
            "notification": notification,
            "candidates": candidates,
            "form": form,
            "is_death": (notification.legal_basis, notification.ground) in DEATH_GROUNDS,
        },
    )


def _review_decision(request, notification, form):
    why, decision = form.cleaned_data["why"], form.cleaned_data["decision"]
    if decision == forms.ReviewForm.NEW:
        child = None
    else:
        child = selectors.review_child_choice(
            user=request.user,
            child_id=None if decision == forms.ReviewForm.OTHER else decision,
            upn=form.cleaned_data["other_upn"],
        )
    if child is None and decision != forms.ReviewForm.NEW:
        raise ValidationError(forms.ReviewForm.no_child_with(form.cleaned_data["other_upn"]))
    if child is None:
        child = review.notification_match_new_child(
            notification=notification, by=request.user, why=why
        )
        messages.success(request, f"{child.full_name} added to the register")
    else:
        review.notification_match_confirm(
            notification=notification, child=child, by=request.user, why=why
        )
        messages.success(request, f"Linked to {child.full_name}")
    if (notification.legal_basis, notification.ground) in DEATH_GROUNDS:
        messages.info(request, DEATH_RECORDED.format(child=child.full_name))


@login_required
def notification_query(request, notification_id):
    _require(request, Capability.QUERY_SCHOOLS)
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related("school"),
        pk=notification_id,
    )
    form = forms.QueryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        review.notification_query(
            notification=notification, by=request.user, question=form.cleaned_data["question"]
        )
        messages.success(request, f"Question sent to {notification.school.name}")
        return redirect("schools_feed:notification-detail", notification.pk)
    return render(
        request,
        "schools_feed/query_notification.html",
        {"notification": notification, "form": form},
    )


@login_required
def notification_link_undo(request, notification_id):
    _require(request, Capability.REVIEW_MATCHES)
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related("school", "child"),
        pk=notification_id,
        child__isnull=False,
    )
    form = forms.UndoLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.notification_link_undo(
                notification=notification, by=request.user, why=form.cleaned_data["why"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Link undone: the notification is back in the review queue")
            return redirect("schools_feed:review-notification", notification.pk)
    return render(
        request, "schools_feed/undo_link.html", {"notification": notification, "form": form}
    )
