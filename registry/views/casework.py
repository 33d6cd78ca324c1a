"""Writes on a child's file. Each view: gate → bind form → one service → message → redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from registry import forms, lifecycle, selectors
from registry.access import Capability, user_can
from registry.cnis.selectors import non_compliance_of
from registry.models import (
    AccessPurpose,
    Child,
    ChildMerge,
    CMEEpisode,
    EHEEpisode,
    EHEStatus,
    SafeguardingAlert,
    School,
    SocialCareReferral,
)
from registry.services import casework as casework_services
from registry.services import children as children_services
from registry.services import consent as consent_services
from registry.services import episodes as episode_services
from registry.services import safeguarding as safeguarding_services
from registry.services.access_log import child_record_open, children_list_log_for_request
from registry.views.navigation import safe_next_url

FORM_TEMPLATE = "registry/forms/form_page.html"


def _child_for_change(request, child_id) -> Child:
    """The child, if the user may change their file, opened the one way (the gate, and a row in
    the access log: every form shows who the child is); otherwise 404 (nothing leaked)."""
    if not user_can(request.user, Capability.CHANGE_CHILD):
        raise Http404
    return child_record_open(request=request, child_id=child_id)


def _episode_for_change(request, gate, episode_id):
    episode = get_object_or_404(gate(user=request.user).select_related("child"), pk=episode_id)
    _child_for_change(request, episode.child_id)
    return episode


def came_from(request, child: Child) -> str:
    """Where the officer came from: the page named by ``next`` (kept through the form's POST in a
    hidden field) when it is on this site, otherwise the child's record. Cancel, Back and a saved
    form all return there."""
    return safe_next_url(request, reverse("registry:child-detail", kwargs={"child_id": child.pk}))


def _form_page(
    request,
    form,
    *,
    title: str,
    child: Child,
    submit: str = "Save",
    intro: str = "",
    refusal: str = "",
    warning: str = "",
):
    return render(
        request,
        FORM_TEMPLATE,
        {
            "form": form,
            "title": title,
            "child": child,
            "submit": submit,
            "intro": intro,
            "refusal": refusal,
            "warning": warning,
            "back": came_from(request, child),
        },
    )


def _run(request, form, service, *, success: str, child: Child):
    """Call the service; on success message and redirect, on a rule broken show it on the form."""
    try:
        service()
    except ValidationError as error:
        forms.add_service_errors(form, error)
        return None
    messages.success(request, success)
    return redirect(came_from(request, child))


def _form_view(request, form, save, *, title: str, child: Child, success: str, **page):
    """GET shows the form; a valid POST calls ``save(cleaned_data)`` (one service) and redirects."""
    if request.method == "POST" and form.is_valid():
        response = _run(
            request, form, lambda: save(form.cleaned_data), success=success, child=child
        )
        if response:
            return response
    return _form_page(request, form, title=title, child=child, **page)


def _refusal_shown(request, refusal: str) -> str:
    """A form for something the register refuses for this child (an episode for a child who has
    died, a second open episode) says why instead of showing its fields; the record does not link
    to it, and a POST that comes anyway is refused by the service with the same message."""
    return refusal if request.method != "POST" else ""


def _without_episode(data: dict) -> dict:
    return {field: value for field, value in data.items() if field != "episode"}


def _initial_today() -> dict:
    return {
        "contact_date": timezone.localdate(),
        "effective_date": timezone.localdate(),
        "decided_on": timezone.localdate(),
        "made_on": timezone.localdate(),
        "referred_on": timezone.localdate(),
        "outcome_on": timezone.localdate(),
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
        refusal=_refusal_shown(
            request, casework_services.CaseworkErrors.CHILD_DIED if child.has_died else ""
        ),
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
@require_POST
def safeguarding_alert_acknowledge(request, alert_id):
    """Acknowledge a safeguarding alert addressed to you or your team (who and when are
    recorded); anyone else's is 404."""
    alert = get_object_or_404(
        SafeguardingAlert.objects.unacknowledged().addressed_to(request.user), pk=alert_id
    )
    try:
        safeguarding_services.safeguarding_alert_acknowledge(alert=alert, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Safeguarding alert acknowledged")
    return redirect("home")


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


def _officer_if(user, casework: Capability):
    """Opening an episode assigns it to the officer who opened it, when they work that kind."""
    return user if user_can(user, casework) else None


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
            assigned_officer=_officer_if(request.user, Capability.EHE_CASEWORK),
            **data,
        ),
        title="Open an EHE episode",
        child=child,
        success="EHE episode opened",
        refusal=_refusal_shown(
            request, lifecycle.episode_open_refusal(EHEEpisode, child_id=child.pk)
        ),
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
            assigned_officer=_officer_if(request.user, Capability.CME_CASEWORK),
            **data,
        ),
        title="Open a CME episode",
        child=child,
        success="CME episode opened",
        refusal=_refusal_shown(
            request, lifecycle.episode_open_refusal(CMEEpisode, child_id=child.pk)
        ),
    )


@login_required
def ehe_episode_status(request, episode_id):
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    form = forms.StatusForm(
        request.POST or None,
        initial=_initial_today(),
        current_status=episode.status,
        choices=lifecycle.EHE.choices_from(episode.status),
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
        intro=_status_intro(episode),
        warning=_informal_enquiries_warning(episode),
    )


def _informal_enquiries_warning(episode) -> str:
    """Warn, before a s.437 notice may be chosen, when no informal enquiries are recorded."""
    may_serve = EHEStatus.S437_NOTICE_SERVED in lifecycle.EHE.allowed_from(episode.status)
    if may_serve and not episode_services.informal_enquiries_recorded(episode):
        return episode_services.EpisodeErrors.NO_INFORMAL_ENQUIRIES
    return ""


@login_required
def ehe_enforcement_step_create(request, episode_id):
    """Record a s.437 / SAO step (docs/rules/ehe.md §4): the steps of the procedure in force
    today; a warning when no informal enquiries are recorded before a notice."""
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    form = forms.EnforcementStepForm(
        request.POST or None,
        initial={"served_on": timezone.localdate()},
        choices=episode_services.enforcement_step_choices(on=timezone.localdate()),
        non_compliance=non_compliance_of(episode.child),
    )
    warning = ""
    if not episode_services.informal_enquiries_recorded(episode):
        warning = episode_services.EpisodeErrors.NO_INFORMAL_ENQUIRIES
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        school, found = _school_by_urn(form, data, "school_named_urn")
        if found:
            response = _run(
                request,
                form,
                lambda: episode_services.enforcement_step_record(
                    episode=episode, by=request.user, school_named=school, **data
                ),
                success="Step recorded",
                child=episode.child,
            )
            if response:
                return response
    return _form_page(
        request,
        form,
        title="Record a s.437 or school attendance order step",
        child=episode.child,
        warning=warning,
    )


def _school_by_urn(form, data: dict, field: str) -> tuple[School | None, bool]:
    """Take the URN ``field`` out of the form's data (``forms.school_by_urn``)."""
    return forms.school_by_urn(form, data.pop(field), field)


CLOSING_CLOSES_ACTIONS = (
    "Closing the case also closes its {count} open action{plural}, as cancelled with the "
    "case's outcome. Actions not tied to this case stay open."
)


def _status_intro(episode) -> str:
    intro = f"Current status: {episode.get_status_display()}."
    count = episode.actions.filter(status="open").count()
    if count:
        plural = "" if count == 1 else "s"
        intro += " " + CLOSING_CLOSES_ACTIONS.format(count=count, plural=plural)
    return intro


@login_required
def cme_episode_status(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    form = forms.CMEStatusForm(
        request.POST or None,
        initial=_initial_today(),
        current_status=episode.status,
        choices=lifecycle.CME.choices_from(episode.status),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        school, found = _school_by_urn(form, data, "located_school_urn")
        if found:
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
        intro=_status_intro(episode),
    )


def _assign(request, episode, casework: Capability):
    form = forms.AssignOfficerForm(
        request.POST or None, casework=casework, initial={"officer": episode.assigned_officer}
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
    return _assign(request, episode, Capability.EHE_CASEWORK)


@login_required
def cme_episode_assign(request, episode_id):
    episode = _episode_for_change(request, selectors.cme_episode_queryset_for_user, episode_id)
    return _assign(request, episode, Capability.CME_CASEWORK)


@login_required
def ehe_episode_consent(request, episode_id):
    """Record the LA's s.434A consent decision on a withdrawal waiting for it
    (docs/rules/ehe.md §5)."""
    episode = _episode_for_change(request, selectors.ehe_episode_queryset_for_user, episode_id)
    form = forms.ConsentDecisionForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: consent_services.ehe_consent_record(
            episode=episode,
            by=request.user,
            given=data["outcome"] == "given",
            decided_on=data["decided_on"],
            reason=data["reason"],
        ),
        title="Record the local authority's consent to withdraw (s.434A)",
        child=episode.child,
        success="Consent decision recorded",
        intro=f"Why consent is needed: {episode.consent_s434a_grounds}",
        refusal=_refusal_shown(
            request,
            "" if episode.consent_s434a_outstanding else consent_services.ConsentErrors.NOT_AWAITED,
        ),
    )


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
def referral_outcome(request, referral_id):
    referral = get_object_or_404(
        SocialCareReferral.objects.filter(
            episode__in=selectors.cme_episode_queryset_for_user(user=request.user)
        ).select_related("episode__child"),
        pk=referral_id,
    )
    child = _child_for_change(request, referral.episode.child_id)
    form = forms.ReferralOutcomeForm(request.POST or None, initial=_initial_today())
    return _form_view(
        request,
        form,
        lambda data: episode_services.social_care_referral_outcome_record(
            referral=referral, by=request.user, **data
        ),
        title=f"Record the outcome of the {referral}",
        child=child,
        success="Referral outcome recorded",
        intro=f"Concerns referred: {referral.reason}",
    )


@login_required
def child_merge(request, child_id):
    child = _child_for_change(request, child_id)
    candidates = selectors.merge_candidates(
        user=request.user, child=child, also=request.GET.get("other", "")
    )
    # The form names every possible duplicate: a list of children, logged as one.
    children_list_log_for_request(request, candidates, purpose=AccessPurpose.DATA_QUALITY)
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
        {
            "form": form,
            "child": child,
            "candidates": candidates,
            "title": "Merge records",
            "back": came_from(request, child),
        },
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
