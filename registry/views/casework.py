"""Writes on a child's file. Each view: gate → bind form → one service → message → redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from registry import forms, selectors
from registry.models import (
    Child,
    ChildMerge,
    CMEStatus,
    EHEStatus,
    Role,
)
from registry.services import casework as casework_services
from registry.services import children as children_services
from registry.services import episodes as episode_services
from schools_feed.models import School

FORM_TEMPLATE = "registry/forms/form_page.html"


def _child_for_change(request, child_id) -> Child:
    """The child, if the user may change their file; otherwise 404 (nothing leaked)."""
    child = get_object_or_404(selectors.child_queryset_for_user(user=request.user), pk=child_id)
    if not selectors.user_can_change_child(user=request.user, child=child):
        raise Http404
    return child


def _episode_for_change(request, gate, episode_id):
    episode = get_object_or_404(gate(user=request.user).select_related("child"), pk=episode_id)
    _child_for_change(request, episode.child_id)
    return episode


def _form_page(request, form, *, title: str, child: Child, submit: str = "Save", intro: str = ""):
    return render(
        request,
        FORM_TEMPLATE,
        {"form": form, "title": title, "child": child, "submit": submit, "intro": intro},
    )


def _run(request, form, service, *, success: str, child: Child):
    """Call the service; on success message and redirect, on a rule broken show it on the form."""
    try:
        service()
    except ValidationError as error:
        forms.add_service_errors(form, error)
        return None
    messages.success(request, success)
    return redirect("registry:child-detail", child_id=child.pk)


def _form_view(request, form, save, *, title: str, child: Child, success: str, **page):
    """GET shows the form; a valid POST calls ``save(cleaned_data)`` (one service) and redirects."""
    if request.method == "POST" and form.is_valid():
        response = _run(
            request, form, lambda: save(form.cleaned_data), success=success, child=child
        )
        if response:
            return response
    return _form_page(request, form, title=title, child=child, **page)


def _without_episode(data: dict) -> dict:
    return {field: value for field, value in data.items() if field != "episode"}


def _initial_today() -> dict:
    return {
        "contact_date": timezone.localdate(),
        "effective_date": timezone.localdate(),
        "decided_on": timezone.localdate(),
        "made_on": timezone.localdate(),
        "referred_on": timezone.localdate(),
        "start_date": timezone.localdate(),
    }


@login_required
def child_identity_correct(request, child_id):
    child = _child_for_change(request, child_id)
    initial = {
        field: getattr(child, field) for field in forms.IdentityForm.base_fields if field != "why"
    }
    form = forms.IdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        why = data.pop("why")
        changes = {field: value for field, value in data.items() if getattr(child, field) != value}
        response = _run(
            request,
            form,
            lambda: children_services.child_identity_correct(
                child=child, by=request.user, why=why, **changes
            ),
            success="Identity corrected",
            child=child,
        )
        if response:
            return response
    return _form_page(request, form, title="Correct identity", child=child)


@login_required
def contact_create(request, child_id):
    child = _child_for_change(request, child_id)
    form = forms.ContactForm(request.POST or None, initial=_initial_today())
    form.set_episode_choices(child)
    return _form_view(
        request,
        form,
        lambda data: casework_services.contact_log(
            child=child,
            by=request.user,
            episode=form.chosen_episode(child),
            **_without_episode(data),
        ),
        title="Log a contact",
        child=child,
        success="Contact logged",
    )


@login_required
def action_create(request, child_id):
    child = _child_for_change(request, child_id)
    form = forms.ActionForm(request.POST or None, initial={"owner": request.user})
    form.set_episode_choices(child)
    return _form_view(
        request,
        form,
        lambda data: casework_services.action_create(
            child=child,
            by=request.user,
            episode=form.chosen_episode(child),
            **_without_episode(data),
        ),
        title="Add an action",
        child=child,
        success="Action added",
    )


@login_required
def action_complete(request, action_id):
    action = get_object_or_404(selectors.action_queryset_for_user(user=request.user), pk=action_id)
    child = _child_for_change(request, action.child_id)
    form = forms.ActionCompleteForm(request.POST or None)
    return _form_view(
        request,
        form,
        lambda data: casework_services.action_complete(
            action=action,
            by=request.user,
            note=data["note"],
            cancelled=data["outcome"] == "cancelled",
        ),
        title=f"Finish the action: {action.description}",
        child=child,
        success="Action finished",
    )


@login_required
def decision_create(request, child_id):
    child = _child_for_change(request, child_id)
    form = forms.DecisionForm(request.POST or None, initial=_initial_today())
    form.set_episode_choices(child)
    return _form_view(
        request,
        form,
        lambda data: casework_services.decision_record(
            child=child,
            by=request.user,
            episode=form.chosen_episode(child),
            **_without_episode(data),
        ),
        title="Record a decision",
        child=child,
        success="Decision recorded",
    )


def _officer_if(user, role: str):
    """Opening an episode assigns it to the officer who opened it, when they work that kind."""
    return user if user.role == role else None


@login_required
def ehe_episode_create(request, child_id):
    child = _child_for_change(request, child_id)
    form = forms.EHEEpisodeOpenForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: episode_services.ehe_episode_open(
            child=child,
            by=request.user,
            assigned_officer=_officer_if(request.user, Role.EHE_OFFICER),
            **data,
        ),
        title="Open an EHE episode",
        child=child,
        success="EHE episode opened",
    )


@login_required
def cme_episode_create(request, child_id):
    child = _child_for_change(request, child_id)
    form = forms.CMEEpisodeOpenForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: episode_services.cme_episode_open(
            child=child,
            by=request.user,
            assigned_officer=_officer_if(request.user, Role.CME_OFFICER),
            **data,
        ),
        title="Open a CME episode",
        child=child,
        success="CME episode opened",
    )


@login_required
def ehe_episode_status(request, episode_id):
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    form = forms.StatusForm(
        request.POST or None,
        initial=_initial_today(),
        current_status=episode.status,
        choices=EHEStatus.choices,
    )
    return _form_view(
        request,
        form,
        lambda data: episode_services.ehe_episode_status_change(
            episode=episode, by=request.user, **data
        ),
        title="Change the EHE status",
        child=episode.child,
        success="EHE status changed",
        intro=f"Current status: {episode.get_status_display()}",
    )


@login_required
def cme_episode_status(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    form = forms.CMEStatusForm(
        request.POST or None,
        initial=_initial_today(),
        current_status=episode.status,
        choices=CMEStatus.choices,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        urn = data.pop("located_school_urn").strip()
        school = School.objects.filter(urn=urn).first() if urn else None
        if urn and school is None:
            form.add_error("located_school_urn", "Enter the URN of a school in the register")
        else:
            response = _run(
                request,
                form,
                lambda: episode_services.cme_episode_status_change(
                    episode=episode, by=request.user, located_school=school, **data
                ),
                success="CME status changed",
                child=episode.child,
            )
            if response:
                return response
    return _form_page(
        request,
        form,
        title="Change the CME status",
        child=episode.child,
        intro=f"Current status: {episode.get_status_display()}",
    )


def _assign(request, episode, role: str):
    form = forms.AssignOfficerForm(
        request.POST or None, role=role, initial={"officer": episode.assigned_officer}
    )
    return _form_view(
        request,
        form,
        lambda data: episode_services.episode_assign_officer(
            episode=episode, officer=data["officer"], by=request.user
        ),
        title="Assign an officer",
        child=episode.child,
        success="Officer assigned",
    )


@login_required
def ehe_episode_assign(request, episode_id):
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    return _assign(request, episode, Role.EHE_OFFICER)


@login_required
def cme_episode_assign(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    return _assign(request, episode, Role.CME_OFFICER)


@login_required
def ehe_episode_edit(request, episode_id):
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    initial = {
        field: getattr(episode, field, None) for field in forms.EHEEpisodeEditForm.base_fields
    }
    form = forms.EHEEpisodeEditForm(request.POST or None, initial=initial)
    return _form_view(
        request,
        form,
        lambda data: episode_services.ehe_episode_update(episode=episode, by=request.user, **data),
        title="Reasons, education and review",
        child=episode.child,
        success="EHE episode updated",
    )


@login_required
def cme_episode_reason(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    form = forms.CMEReasonForm(
        request.POST or None, initial={"primary_reason": episode.primary_reason}
    )
    return _form_view(
        request,
        form,
        lambda data: episode_services.cme_episode_reason_change(
            episode=episode, by=request.user, **data
        ),
        title="Change the CME primary reason",
        child=episode.child,
        success="CME primary reason changed",
    )


@login_required
def cme_enquiry_create(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    form = forms.EnquiryForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: episode_services.cme_enquiry_record(episode=episode, by=request.user, **data),
        title="Record a CME enquiry",
        child=episode.child,
        success="Enquiry recorded",
    )


@login_required
def referral_create(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    form = forms.ReferralForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: episode_services.social_care_referral_record(
            episode=episode, by=request.user, **data
        ),
        title="Refer to MASH or social care",
        child=episode.child,
        success="Referral recorded",
    )


@login_required
def child_merge(request, child_id):
    child = _child_for_change(request, child_id)
    candidates = selectors.merge_candidates(user=request.user, child=child)
    form = forms.MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        other = get_object_or_404(candidates, pk=form.cleaned_data["other"])
        response = _run(
            request,
            form,
            lambda: children_services.child_merge(
                kept=child, merged=other, by=request.user, why=form.cleaned_data["why"]
            ),
            success=f"{other.full_name}'s record merged into this one",
            child=child,
        )
        if response:
            return response
    return render(
        request,
        "registry/forms/merge.html",
        {"form": form, "child": child, "candidates": candidates, "title": "Merge records"},
    )


@login_required
def child_merge_undo(request, merge_id):
    merge = get_object_or_404(ChildMerge.objects.select_related("kept", "merged"), pk=merge_id)
    child = _child_for_change(request, merge.kept_id)
    return _form_view(
        request,
        forms.ReasonForm(request.POST or None),
        lambda data: children_services.child_merge_undo(
            merge=merge, by=request.user, why=data["why"]
        ),
        title="Undo the merge",
        child=child,
        submit="Undo the merge",
        success="Merge undone: the two records are separate again",
        intro=f"{merge.merged.full_name}'s record will be separated from this one again.",
    )
