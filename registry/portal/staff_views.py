"""Staff pages for what parents send: the list of what is waiting to be read (and notices to
match to a record), parents' files, and complaints for their handlers (ADR 0014)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from registry.access import Capability, user_can
from registry.forms import add_service_errors
from registry.models import AccessPurpose
from registry.portal import forms, services
from registry.portal.views import evidence_file_response, uuid_or_none
from registry.selectors import child_queryset_for_user, user_can_change_child
from registry.services.access_log import (
    ReasonRequired,
    child_record_open,
    children_list_log_for_request,
)


@login_required
@require_http_methods(["GET", "POST"])
def parent_notice_list(request):
    if not user_can(request.user, Capability.TRIAGE_PARENT_NOTICES):
        raise PermissionDenied
    waiting = services.parent_notices_for_user(user=request.user)
    # A record chosen among those suggested, or one whose ID the officer typed.
    chosen = request.POST.get("child_id", "").strip() or request.POST.get("child", "")
    form = forms.NoticeMatchForm({"child": chosen} if request.method == "POST" else None)
    if request.method == "POST":
        submission = get_object_or_404(waiting, pk=uuid_or_none(request.POST.get("submission")))
        if request.POST.get("new_record"):
            return _notice_new_record(request, submission)
        child = None
        if form.is_valid() and form.cleaned_data["child"]:
            # Only a record the officer may open: matching puts the notice on its timeline.
            child = (
                child_queryset_for_user(user=request.user)
                .filter(pk=form.cleaned_data["child"])
                .first()
            )
        try:
            services.parent_submission_seen(submission=submission, by=request.user, child=child)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Marked as read")
        return redirect("registry:parent-notice-list")
    rows = list(waiting)
    for row in rows:
        row.candidates = (
            list(services.parent_notice_candidates(submission=row, user=request.user))
            if row.child_id is None
            else []
        )
    children = [row.child_id for row in rows] + [c.pk for row in rows for c in row.candidates]
    # A notice about a child the register does not hold yet names that child all the same.
    unplaced = sum(1 for row in rows if row.child_id is None)
    children_list_log_for_request(
        request,
        children,
        purpose=AccessPurpose.CASEWORK,
        shown=len(set(filter(None, children))) + unplaced,
    )
    return render(request, "registry/parent_notices.html", {"rows": rows, "form": form})


def _notice_new_record(request, submission):
    """Make the child's record from a notice about a child the register does not hold."""
    if not user_can(request.user, Capability.CHANGE_CHILD):
        raise PermissionDenied
    try:
        child = services.parent_notice_new_child(submission=submission, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registry:parent-notice-list")
    messages.success(
        request,
        "Record made from the parent's notice. Check it, and give the parent a portal sign-in "
        "from their entry under Parents and carers if they should see it.",
    )
    return redirect("registry:child-detail", child_id=child.pk)


@login_required
def evidence_file(request, child_id, file_id):
    """A parent's file, for staff who may open the child's record (and the opening logged)."""
    try:
        child = child_record_open(request=request, child_id=child_id)
    except ReasonRequired as needed:
        return redirect(needed.url)
    return evidence_file_response(child=child, file_id=file_id)


@login_required
@require_http_methods(["GET", "POST"])
def carer_portal_account(request, child_id, carer_id):
    """Give a carer a parent portal sign-in (their email address), linked to this child."""
    try:
        child = child_record_open(request=request, child_id=child_id)
    except ReasonRequired as needed:
        return redirect(needed.url)
    if not user_can_change_child(user=request.user, child=child):
        raise Http404
    carer = get_object_or_404(child.carers.all(), pk=carer_id)
    form = forms.PortalAccountForm(request.POST or None, initial={"email": carer.email})
    back = reverse("registry:child-detail", args=[child.pk])
    if request.method == "POST" and form.is_valid():
        try:
            services.carer_portal_account_give(
                carer=carer, email=form.cleaned_data["email"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{carer.full_name} can now sign in to the parent portal with "
                f"{form.cleaned_data['email']}",
            )
            return redirect(back)
    return render(
        request,
        "registry/forms/form_page.html",
        {
            "form": form,
            "child": child,
            "title": f"Give {carer.full_name} a parent portal sign-in",
            "intro": "They sign in with this email address: the portal emails them a link "
            "that works once. They will see this child's record, the letters sent and what "
            "they have sent, and nothing else.",
            "submit": "Give a sign-in",
            "back": back,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_list(request):
    if not user_can(request.user, Capability.HANDLE_COMPLAINTS):
        raise PermissionDenied
    complaints = services.complaint_queryset_for_user(user=request.user).prefetch_related("events")
    form = forms.ComplaintProgressForm(request.POST or None)
    if request.method == "POST":
        complaint = get_object_or_404(complaints, pk=uuid_or_none(request.POST.get("complaint")))
        if form.is_valid():
            services.complaint_progress(
                complaint=complaint,
                by=request.user,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Complaint updated")
            return redirect("registry:complaint-list")
        messages.error(request, "Choose what you have done and add a note")
        return redirect("registry:complaint-list")
    rows = list(complaints)
    children_list_log_for_request(
        request, [row.child_id for row in rows], purpose=AccessPurpose.CASEWORK
    )
    return render(request, "registry/complaints.html", {"rows": rows, "form": form})
