"""Joint enquiries in the browser (docs/rules/registration.md §5): a school opens one before
deleting a pupil on an absence ground and records its enquiries; the CME officers see every
school's, with the LA's own enquiries, and record theirs on the child's CME episode.

Views are thin: gate, bind a form, call one service, message, redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from registry.access import Capability, user_can
from registry.models import AccessPurpose, CMEEpisode
from registry.selectors import child_queryset_for_user
from registry.services.access_log import (
    children_list_log_for_request,
    list_names_shown,
    list_reason_url,
)
from schools_feed import forms, ground_i, selectors
from schools_feed.selectors import joint_enquiry_queryset_for_user, notification_queryset_for_user
from schools_feed.services import joint_enquiries


def _require(request, capability: Capability):
    if not user_can(request.user, capability):
        raise Http404


def _form_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, field_errors in error.error_dict.items():
        target = name if name in form.fields else None
        for message in field_errors:
            form.add_error(target, message.message if hasattr(message, "message") else message)


@login_required
def joint_enquiry_list(request):
    _require(request, Capability.VIEW_JOINT_ENQUIRIES)
    if not list_names_shown(request):
        return redirect(list_reason_url(request))
    enquiries = (
        joint_enquiry_queryset_for_user(user=request.user)
        .select_related("school", "referral")
        .order_by("-opened_at")
    )
    page = Paginator(enquiries, 50).get_page(request.GET.get("page"))
    children_list_log_for_request(
        request, [je.child_id for je in page], purpose=AccessPurpose.RETURNS, shown=len(page)
    )
    return render(
        request,
        "schools_feed/joint_enquiry_list.html",
        {
            "page_obj": page,
            "joint_enquiries": page,
            "can_open": user_can(request.user, Capability.OPEN_JOINT_ENQUIRY),
        },
    )


@login_required
def joint_enquiry_open(request):
    _require(request, Capability.OPEN_JOINT_ENQUIRY)
    schools = list(selectors.school_queryset_for_user(user=request.user).order_by("name")[:500])
    form = forms.JointEnquiryForm(
        request.POST or None,
        schools=schools,
        school_user=user_can(request.user, Capability.SEE_OWN_SCHOOLS),
    )
    if request.method == "POST" and form.is_valid():
        try:
            joint_enquiry = joint_enquiries.joint_enquiry_open(
                school=form.chosen_school(),
                by=request.user,
                values=form.raw_values(),
                enquiry_type=form.cleaned_data["enquiry_type"],
                made_on=form.cleaned_data["made_on"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Joint enquiry opened and sent to the local authority")
            return redirect("schools_feed:joint-enquiry-detail", joint_enquiry.pk)
    return render(request, "schools_feed/joint_enquiry_form.html", {"form": form})


def _joint_enquiry(request, joint_enquiry_id):
    _require(request, Capability.VIEW_JOINT_ENQUIRIES)
    return get_object_or_404(
        joint_enquiry_queryset_for_user(user=request.user).select_related("school", "referral"),
        pk=joint_enquiry_id,
    )


@login_required
def joint_enquiry_detail(request, joint_enquiry_id, form=None):
    joint_enquiry = _joint_enquiry(request, joint_enquiry_id)
    if not list_names_shown(request):
        return redirect(list_reason_url(request))
    children_list_log_for_request(
        request, [joint_enquiry.child_id], purpose=AccessPurpose.RETURNS, shown=1
    )
    la_wide = user_can(request.user, Capability.SEE_EVERY_NOTIFICATION)
    la_enquiries = ground_i.la_enquiries(joint_enquiry, until=timezone.localdate())
    child = (
        child_queryset_for_user(user=request.user).filter(pk=joint_enquiry.child_id).first()
        if joint_enquiry.child_id
        else None
    )
    cme_episode = (
        CMEEpisode.objects.filter(child=child, end_date__isnull=True).first()
        if child and user_can(request.user, Capability.CME_CASEWORK)
        else None
    )
    can_add = user_can(request.user, Capability.OPEN_JOINT_ENQUIRY)
    return render(
        request,
        "schools_feed/joint_enquiry_detail.html",
        {
            "joint_enquiry": joint_enquiry,
            "school_enquiries": joint_enquiry.school_enquiries.all(),
            "la_wide": la_wide,
            "la_enquiries": la_enquiries,
            "child": child,
            "cme_episode": cme_episode,
            "deletions": notification_queryset_for_user(user=request.user).filter(
                joint_enquiry=joint_enquiry
            ),
            "referral_visible": joint_enquiry.referral_id
            and notification_queryset_for_user(user=request.user)
            .filter(pk=joint_enquiry.referral_id)
            .exists(),
            "form": form or (forms.SchoolEnquiryForm() if can_add else None),
        },
    )


@login_required
@require_POST
def school_enquiry_add(request, joint_enquiry_id):
    _require(request, Capability.OPEN_JOINT_ENQUIRY)
    joint_enquiry = _joint_enquiry(request, joint_enquiry_id)
    form = forms.SchoolEnquiryForm(request.POST)
    if form.is_valid():
        try:
            joint_enquiries.school_enquiry_record(
                joint_enquiry=joint_enquiry, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Enquiry recorded")
            return redirect("schools_feed:joint-enquiry-detail", joint_enquiry.pk)
    return joint_enquiry_detail(request, joint_enquiry_id, form=form)
