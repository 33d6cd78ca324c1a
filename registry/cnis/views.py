"""The children-not-in-school register's pages (docs/rules/ehe.md §6, ADR 0016). Before the
register commences every page here is "not found", and nothing links to them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from registry.access import Capability, user_can
from registry.cnis import forms, selectors, services
from registry.forms import add_service_errors, school_by_urn
from registry.models import (
    EHE_OPEN_STATUSES,
    AccessPurpose,
    CNISRegistration,
    CNISRequest,
    CNISRequestKind,
)
from registry.rulebook import rules
from registry.services.access_log import (
    ReasonRequired,
    child_record_open,
    children_list_log_for_request,
)
from registry.views.casework import FORM_TEMPLATE

REGISTER_PAGE_SIZE = 50
VIEWS = {
    "": "Everyone on the register",
    "update_due": "Update request due",
    "overdue": "A request past its date",
}


def _require_register(request) -> None:
    """The register's pages exist for its keepers, once it is in force."""
    if not user_can(request.user, Capability.KEEP_CNIS_REGISTER):
        raise Http404
    if not selectors.cnis_in_force(timezone.localdate()):
        raise Http404


def _registration(request, registration_id, *, sensitive: bool = False) -> CNISRegistration:
    """The registration, if its child is inside the user's gate: opening it is logged."""
    _require_register(request)
    registration = get_object_or_404(
        CNISRegistration.objects.select_related("school", "ehe_episode"), pk=registration_id
    )
    registration.child = child_record_open(
        request=request, child_id=registration.child_id, sensitive=sensitive
    )
    return registration


def _detail_url(registration: CNISRegistration) -> str:
    return reverse("registry:cnis-registration", args=[registration.pk])


def _form_page(request, form, *, title: str, registration=None, child=None, **page):
    child = child or registration.child
    back = (
        _detail_url(registration)
        if registration
        else reverse("registry:child-detail", args=[child.pk])
    )
    context = {"form": form, "title": title, "child": child, "back": back, "submit": "Save", **page}
    return render(request, FORM_TEMPLATE, context)


def _saved(request, form, save, *, success: str, to: str):
    try:
        save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, success)
    return redirect(to)


def _registration_form(request, registration, form, save, *, title: str, success: str, **page):
    """A form about a registration: GET shows it; a valid POST calls ``save(cleaned_data)`` (one
    service) and returns to the registration (or ``page["to"]``)."""
    to = page.pop("to", None) or _detail_url(registration)
    if request.method == "POST" and form.is_valid():
        response = _saved(request, form, lambda: save(form.cleaned_data), success=success, to=to)
        if response:
            return response
    return _form_page(request, form, title=title, registration=registration, **page)


@login_required
def register_list(request):
    _require_register(request)
    today = timezone.localdate()
    view = request.GET.get("view", "")
    if view not in VIEWS:
        view = ""
    registrations = selectors.cnis_register_list(user=request.user, on=today, view=view)
    page = Paginator(registrations, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    children_list_log_for_request(
        request, [r.child for r in page.object_list], purpose=AccessPurpose.CASEWORK
    )
    for registration in page.object_list:
        registration.update_due = selectors.update_due_on(registration)
    return render(
        request,
        "registry/cnis/register.html",
        {
            "page_obj": page,
            "registrations": page.object_list,
            "count": page.paginator.count,
            "views": VIEWS,
            "view": view,
            "query_string": urlencode({"view": view}) if view else "",
            "today": today,
        },
    )


@login_required
def registration_create(request, child_id):
    _require_register(request)
    child = child_record_open(request=request, child_id=child_id)
    episode = next(
        (
            e
            for e in child.ehe_episodes.all()
            if e.status in EHE_OPEN_STATUSES and e.end_date is None
        ),
        None,
    )
    initial = {"registered_on": timezone.localdate()}
    if episode is not None:
        initial.update(
            condition="a",
            hours_from_parents=episode.estimated_hours_from_parents,
            hours_from_others=episode.estimated_hours_from_others,
        )
    form = forms.RegisterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        school, found = school_by_urn(form, data.pop("school_urn"), "school_urn")
        if found:
            response = _saved(
                request,
                form,
                lambda: services.cnis_register(
                    child=child,
                    by=request.user,
                    school=school,
                    ehe_episode=episode if data["condition"] == "a" else None,
                    **data,
                ),
                success="Child put on the register",
                to=reverse("registry:child-detail", args=[child.pk]),
            )
            if response:
                return response
    return _form_page(
        request,
        form,
        title="Put the child on the children not in school register",
        child=child,
        intro=(
            f"Follows the open home education case from {episode.start_date:%-d %B %Y}."
            if episode
            else ""
        ),
    )


@login_required
def registration_detail(request, registration_id):
    sensitive = request.GET.get("show") == "sensitive"
    try:
        registration = _registration(request, registration_id, sensitive=sensitive)
    except ReasonRequired as needed:
        return redirect(needed.url)
    today = timezone.localdate()
    entry = selectors.register_entry(registration, on=today, sensitive=sensitive)
    context = {
        "entry": entry,
        "registration": registration,
        "child": registration.child,
        "today": today,
        "sensitive": sensitive,
        # A provider can be asked only when one is listed on the entry.
        "request_kinds": [
            (kind, title)
            for kind, title in REQUEST_TITLES.items()
            if entry.providers or kind != CNISRequestKind.PROVIDER_INFORMATION
        ],
    }
    return render(request, "registry/cnis/registration.html", context)


@login_required
def information_record(request, registration_id):
    registration = _registration(request, registration_id)
    form = forms.InformationForm(
        request.POST or None,
        initial={
            "confirmed_on": timezone.localdate(),
            "hours_from_parents": registration.hours_from_parents,
            "hours_from_others": registration.hours_from_others,
            "reason_for_eligibility": registration.reason_for_eligibility,
        },
    )
    return _registration_form(
        request,
        registration,
        form,
        lambda data: services.cnis_information_record(
            registration=registration, by=request.user, **data
        ),
        title="Record the information the parents gave",
        success="Register information recorded",
    )


@login_required
def provider_add(request, registration_id):
    registration = _registration(request, registration_id)
    return _registration_form(
        request,
        registration,
        forms.ProviderForm(request.POST or None),
        lambda data: services.cnis_provider_add(registration=registration, by=request.user, **data),
        title="Add a provider",
        success="Provider added",
    )


REQUEST_TITLES = {
    CNISRequestKind.UPDATE: "Ask the parents to update the register information",
    CNISRequestKind.HOME_VISIT: "Ask for a home visit",
    CNISRequestKind.PROVIDER_INFORMATION: "Ask a provider for information (s.436E)",
}


@login_required
def request_send(request, registration_id, kind):
    registration = _registration(request, registration_id)
    if kind not in CNISRequestKind.values:
        raise Http404
    providers = None
    if kind == CNISRequestKind.PROVIDER_INFORMATION:
        providers = selectors.register_entry(registration, on=timezone.localdate()).providers
    form = forms.SendRequestForm(
        request.POST or None, initial={"sent_on": timezone.localdate()}, providers=providers
    )

    def send(data):
        chosen = data.get("provider")
        provider = next((p for p in providers or () if str(p.pk) == chosen), None)
        return services.cnis_request_send(
            registration=registration,
            kind=kind,
            by=request.user,
            on=data["sent_on"],
            provider=provider,
        )

    return _registration_form(
        request,
        registration,
        form,
        send,
        title=REQUEST_TITLES[kind],
        success="Request recorded as sent",
        submit="Send",
        intro=_request_intro(kind),
    )


def _request_intro(kind: str) -> str:
    if kind == CNISRequestKind.HOME_VISIT:
        return (
            f"The parents have {rules().cnis_home_visit_days} days to agree a visit. They may "
            "refuse; a refusal is recorded and may lead to a notice to satisfy the LA."
        )
    if kind == CNISRequestKind.UPDATE:
        return (
            f"The parents have {rules().cnis_response_days} days to answer, through the parent "
            f"portal or otherwise. The LA may not ask more often than every "
            f"{rules().cnis_update_min_months} months."
        )
    return "Only providers above the prescribed amount of time may be asked."


@login_required
def request_close(request, request_id):
    cnis_request = get_object_or_404(CNISRequest, pk=request_id)
    registration = _registration(request, cnis_request.registration_id)
    form = forms.CloseRequestForm(request.POST or None, initial={"closed_on": timezone.localdate()})
    return _registration_form(
        request,
        registration,
        form,
        lambda data: services.cnis_request_close(
            request=cnis_request,
            status=data["status"],
            by=request.user,
            on=data["closed_on"],
            outcome=data["outcome"],
            visit_on=data["visit_on"],
        ),
        title="Record how the request ended",
        success="Request closed",
        intro=str(cnis_request),
    )


@login_required
def registration_end(request, registration_id):
    registration = _registration(request, registration_id)
    form = forms.EndRegistrationForm(
        request.POST or None, initial={"ended_on": timezone.localdate()}
    )
    return _registration_form(
        request,
        registration,
        form,
        lambda data: services.cnis_registration_end(
            registration=registration, by=request.user, **data
        ),
        title="Take the child off the register",
        success="Child taken off the register",
        to=reverse("registry:child-detail", args=[registration.child_id]),
    )
