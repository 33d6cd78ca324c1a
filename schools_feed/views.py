"""The schools feed in the browser: the school portal (upload, preview, confirm, submissions, the
one-child form, templates), the notification lists, and the match review queue for officers.

Views are thin: gate, bind a form, call one service, message, redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from registry.models import Role
from registry.selectors import child_queryset_for_user
from schools_feed import forms, selectors, templates_download
from schools_feed.intake.files import FileProblem
from schools_feed.models import (
    Channel,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
    SubmissionStatus,
)
from schools_feed.selectors import LA_WIDE_ROLES, notification_queryset_for_user
from schools_feed.services import intake, review

NOTIFICATION_ROLES = LA_WIDE_ROLES | {Role.SCHOOL_USER}
SENDING_ROLES = {Role.SCHOOL_USER, Role.ADMINISTRATOR}
REVIEW_ROLES = {Role.EHE_OFFICER, Role.CME_OFFICER, Role.ADMINISTRATOR}


def _require(request, roles):
    if request.user.role not in roles:
        raise Http404


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "schools_feed/notification_list.html"
    paginate_by = 50
    context_object_name = "notifications"

    def get_queryset(self):
        _require(self.request, NOTIFICATION_ROLES)
        notifications = notification_queryset_for_user(user=self.request.user)
        status = self.request.GET.get("status", "")
        kind = self.request.GET.get("kind", "")
        if status in NotificationStatus.values:
            notifications = notifications.filter(status=status)
        if kind in NotificationKind.values:
            notifications = notifications.filter(kind=kind)
        return notifications.select_related("school").order_by("-received_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            query_string=params.urlencode(),
            statuses=NotificationStatus.choices,
            kinds=NotificationKind.choices,
            status=self.request.GET.get("status", ""),
            kind=self.request.GET.get("kind", ""),
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
    child_visible = bool(
        notification.child_id
        and child_queryset_for_user(user=request.user).filter(pk=notification.child_id).exists()
    )
    return render(
        request,
        "schools_feed/notification_detail.html",
        {
            "notification": notification,
            "child_visible": child_visible,
            "events": notification.events.select_related("by"),
            "can_review": request.user.role in REVIEW_ROLES,
            "show_routing": request.user.role in LA_WIDE_ROLES,
            "queries": notification.events.filter(event_type=NotificationEventType.QUERIED),
        },
    )


# The school portal ---------------------------------------------------------------------------


def _sending_schools(request):
    _require(request, SENDING_ROLES)
    return list(selectors.school_queryset_for_user(user=request.user).order_by("name")[:500])


@login_required
def send_returns(request):
    """What a school can send, and how."""
    _sending_schools(request)
    return render(request, "schools_feed/send.html", {"kinds": NotificationKind.choices})


@login_required
def upload(request):
    form = forms.UploadForm(
        request.POST or None, request.FILES or None, schools=_sending_schools(request)
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
            form.add_error("file", problem.message)
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
    _require(request, NOTIFICATION_ROLES)
    submissions = selectors.submission_queryset_for_user(user=request.user).select_related(
        "school", "submitted_by"
    )[:200]
    return render(request, "schools_feed/submission_list.html", {"submissions": submissions})


@login_required
def submission_detail(request, submission_id):
    submission = _submission(request, submission_id)
    notifications = (
        submission.notifications.select_related("school")
        .prefetch_related(
            Prefetch("events", queryset=NotificationEvent.objects.exclude(event_type="received"))
        )
        .order_by("row_number")
    )
    return render(
        request,
        "schools_feed/submission_detail.html",
        {
            "submission": submission,
            "form": forms.ConfirmForm(),
            "notifications": notifications[:500],
            "problems": submission.problems[:500],
            "is_preview": submission.status == SubmissionStatus.PREVIEW,
            "can_confirm": request.user.role in SENDING_ROLES,
            # Routing can reveal what the LA knows about a child (a safeguarding alert, say):
            # schools see each notification's status, LA staff the decisions too.
            "show_routing": request.user.role in LA_WIDE_ROLES,
        },
    )


@xframe_options_sameorigin  # shown in an iframe on the submission page
@login_required
def submission_progress(request, submission_id):
    """The progress bar's own small page, refreshed by the browser while a worker imports."""
    submission = _submission(request, submission_id)
    return render(request, "schools_feed/submission_progress.html", {"submission": submission})


@login_required
@require_POST
def submission_confirm(request, submission_id):
    _require(request, SENDING_ROLES)
    submission = _submission(request, submission_id)
    form = forms.ConfirmForm(request.POST)
    form.is_valid()
    try:
        submission = intake.submission_confirm(
            submission=submission,
            by=request.user,
            accept_valid_rows=form.cleaned_data.get("accept_valid_rows", False),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if submission.status == SubmissionStatus.IMPORTED:
            messages.success(request, f"{submission.imported} notifications imported")
        else:
            messages.success(request, "The file is being imported. You can leave this page")
    return redirect("schools_feed:submission-detail", submission.pk)


@login_required
@require_POST
def submission_cancel(request, submission_id):
    _require(request, SENDING_ROLES)
    intake.submission_cancel(submission=_submission(request, submission_id))
    messages.success(request, "The file was not imported")
    return redirect("schools_feed:upload")


@login_required
def submission_rejected_rows(request, submission_id):
    """The rows that were not imported, each with its messages, as CSV to fix and send again."""
    submission = _submission(request, submission_id)
    content = intake.submission_rejected_rows_csv(submission=submission)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{submission.pk}.csv"'
    return response


@login_required
def template_download(request, kind, file_format):
    _require(request, SENDING_ROLES)
    if kind not in NotificationKind.values or file_format not in ("csv", "xlsx"):
        raise Http404
    content, content_type = templates_download.template_file(kind=kind, file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}-return-template.{file_format}"'
    return response


@login_required
def notification_form(request, kind):
    if kind not in NotificationKind.values:
        raise Http404
    form = forms.NotificationForm(
        request.POST or None, kind=kind, schools=_sending_schools(request)
    )
    if request.method == "POST" and form.is_valid():
        school = form.chosen_school()
        if school is None:
            form.add_error("school", "Choose the school")
        else:
            try:
                submission, _ = intake.notification_submit(
                    school=school,
                    by=request.user,
                    channel=Channel.WEB_FORM,
                    values=form.raw_values(),
                    return_type=kind,
                )
            except intake.DuplicateNotification as duplicate:
                form.add_error(
                    None,
                    f"This was already received on {duplicate.notification.received_at:%d %B %Y}",
                )
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                messages.success(request, "Notification sent to the local authority")
                return redirect("schools_feed:submission-detail", submission.pk)
    return render(
        request,
        "schools_feed/notification_form.html",
        {"form": form, "title": NotificationKind(kind).label},
    )


# The match review queue -----------------------------------------------------------------------


@login_required
def review_queue(request):
    _require(request, REVIEW_ROLES)
    waiting = (
        notification_queryset_for_user(user=request.user)
        .filter(status=NotificationStatus.REVIEW)
        .select_related("school")
        .order_by("received_at")[:200]
    )
    return render(request, "schools_feed/review_queue.html", {"notifications": waiting})


@login_required
def review_notification(request, notification_id):
    _require(request, REVIEW_ROLES)
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related("school"),
        pk=notification_id,
        status=NotificationStatus.REVIEW,
    )
    candidates = selectors.review_candidates(notification=notification, user=request.user)
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
        {"notification": notification, "candidates": candidates, "form": form},
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
        raise ValidationError(selectors.NO_CHILD_WITH_UPN)
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


@login_required
def notification_query(request, notification_id):
    _require(request, LA_WIDE_ROLES)
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
    _require(request, REVIEW_ROLES)
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
