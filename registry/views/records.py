"""Reading the register: home pages, search, the child's record, its history and access log."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import ListView

from registry import selectors
from registry.forms import SORT_FIELDS, AccessReasonForm, ChildSearchForm
from registry.models import (
    SENSITIVE_FLAGS,
    AccessPurpose,
    Action,
    Child,
    Role,
)
from registry.school_age import nc_year_label
from registry.services.children import child_record_view_log
from registry.timeline import child_timeline
from schools_feed import selectors as feed_selectors

CHILD_RECORD_ROLES = frozenset(
    {Role.EHE_OFFICER, Role.CME_OFFICER, Role.ADMINISTRATOR, Role.INCLUSION_LEAD}
)
ACCESS_REASON_SESSION_KEY = "child_access_reasons"


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    if user.role == Role.SCHOOL_USER:
        notifications = feed_selectors.notification_queryset_for_user(user=user).select_related(
            "school"
        )
        return render(
            request, "registry/home_school_user.html", {"notifications": notifications[:50]}
        )
    if user.role == Role.DCS:
        return render(request, "registry/home_dcs.html", selectors.register_overview(on=today))
    if user.role == Role.INCLUSION_LEAD:
        return render(
            request,
            "registry/home_inclusion_lead.html",
            {"schools": feed_selectors.deletions_by_school(user=user, on=today)},
        )
    actions = Action.objects.open().filter(owner=user).select_related("child").order_by("due_date")
    triage = feed_selectors.notifications_awaiting_triage(user=user)
    context = {
        "caseload": selectors.caseload_for_officer(officer=user),
        "overdue_actions": actions.filter(due_date__lt=today),
        "due_soon_actions": actions.filter(
            due_date__gte=today, due_date__lte=today + timedelta(days=14)
        ),
        "triage_count": triage.count(),
        "triage": triage[:10],
    }
    return render(request, "registry/home_officer.html", context)


def _require_child_record_role(user):
    if user.role not in CHILD_RECORD_ROLES:
        raise Http404


class CappedPaginator(Paginator):
    """Counts matches only up to a cap: counting 20,000 "Smith"s costs more than showing them,
    and nobody pages past a thousand results. Past the cap the page asks for a narrower search."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()


class ChildListView(LoginRequiredMixin, ListView):
    template_name = "registry/child_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator
    context_object_name = "children"

    def get_queryset(self):
        _require_child_record_role(self.request.user)
        self.form = ChildSearchForm(self.request.GET or None)
        if not self.form.is_bound or not self.form.is_valid():
            return Child.objects.none()
        data = self.form.cleaned_data
        children = selectors.child_search(
            user=self.request.user,
            text=data["text"],
            upn=data["upn"],
            date_of_birth=data["date_of_birth"],
            postcode=data["postcode"],
            school_urn=data["school_urn"],
            episode_type=data["episode_type"],
            status=data["status"],
            officer_id=data["officer"].pk if data["officer"] else None,
            nc_year=data["nc_year"],
            flag=data["flag"],
            on=timezone.localdate(),
        )
        return children.order_by(*self._ordering())

    def _ordering(self):
        sort = self.request.GET.get("sort", "name")
        fields = SORT_FIELDS.get(sort.lstrip("-"), SORT_FIELDS["name"])
        prefix = "-" if sort.startswith("-") else ""
        return [prefix + field for field in fields] + ["pk"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.attach_open_episodes(children=context["children"])
        params = self.request.GET.copy()
        params.pop("page", None)
        sort_params = params.copy()
        sort_params.pop("sort", None)
        context.update(
            form=self.form,
            query_string=params.urlencode(),
            sort_query=sort_params.urlencode(),
            sort=self.request.GET.get("sort", "name"),
            searched=self.form.is_bound,
            result_cap=CappedPaginator.cap,
        )
        return context


def _gated_child(request, child_id):
    _require_child_record_role(request.user)
    try:
        return selectors.child_record_get(user=request.user, child_id=child_id)
    except Child.DoesNotExist as missing:
        raise Http404 from missing


def _access_reason(request, child_id) -> dict | None:
    return request.session.get(ACCESS_REASON_SESSION_KEY, {}).get(str(child_id))


@login_required
def child_detail(request, child_id):
    child = _gated_child(request, child_id)
    purpose, reason = AccessPurpose.CASEWORK, ""
    if request.user.role == Role.INCLUSION_LEAD:
        given = _access_reason(request, child_id)
        if given is None:
            return redirect("registry:child-access-reason", child_id=child_id)
        purpose, reason = given["purpose"], given["reason"]
    show_sensitive = request.GET.get("show") == "sensitive"
    child_record_view_log(
        child=child,
        user=request.user,
        path=request.get_full_path(),
        purpose=AccessPurpose.SENSITIVE_FIELDS if show_sensitive else purpose,
        reason=reason,
    )
    today = timezone.localdate()
    flags = list(child.flags.all())
    context = {
        "child": child,
        "today": today,
        "nc_year": nc_year_label(child.expected_nc_year(today)),
        "compulsory_school_age": child.is_compulsory_school_age(today),
        "addresses": child.addresses.all(),
        "flags": [f for f in flags if show_sensitive or f.flag_type not in SENSITIVE_FLAGS],
        "hidden_flag_count": 0
        if show_sensitive
        else sum(f.flag_type in SENSITIVE_FLAGS for f in flags),
        "ehe_episodes": child.ehe_episodes.all(),
        "cme_episodes": child.cme_episodes.all(),
        "open_actions": [a for a in child.actions.all() if a.status == "open"],
        "timeline": child_timeline(child),
        "can_change": request.user.is_caseworker,
        "merges": selectors.merges_for_child(child=child),
    }
    return render(request, "registry/child_detail.html", context)


@login_required
def child_access_reason(request, child_id):
    child = _gated_child(request, child_id)
    form = AccessReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reasons = request.session.get(ACCESS_REASON_SESSION_KEY, {})
        reasons[str(child_id)] = form.cleaned_data
        request.session[ACCESS_REASON_SESSION_KEY] = reasons
        return redirect("registry:child-detail", child_id=child_id)
    return render(request, "registry/child_access_reason.html", {"child": child, "form": form})


@login_required
def child_history(request, child_id):
    child = _gated_child(request, child_id)
    if request.user.role == Role.INCLUSION_LEAD and _access_reason(request, child_id) is None:
        return redirect("registry:child-access-reason", child_id=child_id)
    return render(
        request,
        "registry/child_history.html",
        {"child": child, "changes": selectors.child_field_history(child=child)},
    )


@login_required
def child_access_log(request, child_id):
    if request.user.role != Role.ADMINISTRATOR:
        raise Http404
    child = _gated_child(request, child_id)
    return render(
        request,
        "registry/child_access_log.html",
        {"child": child, "entries": selectors.child_access_log_for_child(child=child)[:500]},
    )


def child_url(child) -> str:
    return reverse("registry:child-detail", kwargs={"child_id": child.pk})
