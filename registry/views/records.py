"""Reading the register: home pages, search, the child's record, its history and access log."""

import secrets

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import ListView

from registry import lifecycle, selectors
from registry.access import Capability, user_can
from registry.cnis.selectors import cnis_in_force
from registry.forms import SORT_FIELDS, AccessReasonForm, ChildSearchForm
from registry.models import SENSITIVE_FLAGS, AccessPurpose, Child, CMEEpisode, EHEEpisode
from registry.school_age import nc_year_label
from registry.services.access_log import (
    LISTS_SCOPE,
    ReasonRequired,
    access_reason_give,
    child_record_open,
    child_scope,
    children_list_log_for_request,
    list_names_shown,
    list_reason_url,
)
from registry.timeline import child_timeline
from registry.views.navigation import safe_next_url

# Register searches held server-side, so that names, dates of birth and postcodes never travel in
# a URL (and so into server and proxy logs): the form posts, the criteria are kept in the session
# under a random id, and the results page is ``?search=<id>``.
SEARCHES_SESSION_KEY = "register_searches"
SEARCHES_KEPT = 20


class CappedPaginator(Paginator):
    """Counts matches only up to a cap: counting 20,000 "Smith"s costs more than showing them,
    and nobody pages past a thousand results. Past the cap the page asks for a narrower search.

    The ids of the first matches, in order, are read once, up to the cap: their number is the
    count, and a page is a slice of them, its children read by id. Finding and sorting the
    matches is most of a search's cost at county scale; a count and a page read apart paid it
    twice (docs/benchmarks.md)."""

    cap = 1000

    @cached_property
    def first_ids(self) -> list:
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        return len(self.first_ids)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = self.first_ids[bottom : bottom + self.per_page]
        found = {child.pk: child for child in self.object_list.filter(pk__in=ids)}
        # A child merged away since the ids were read is left out.
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)


def _search_remember(session, data) -> str:
    searches = session.get(SEARCHES_SESSION_KEY, {})
    search_id = secrets.token_urlsafe(12)
    searches[search_id] = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
    # Keep the latest few: dicts keep insertion order, so the oldest go first.
    session[SEARCHES_SESSION_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return search_id


def _search_recall(request) -> dict | None:
    return request.session.get(SEARCHES_SESSION_KEY, {}).get(request.GET.get("search", ""))


class ChildListView(LoginRequiredMixin, ListView):
    """Register search: POST the criteria, then GET the results by search id (POST/redirect/GET),
    so nothing identifying is in a URL. Each page of results is one row in the list access log;
    a role that must give a reason gives it before any name is shown; searching by a sensitive
    flag needs its own reason, logged as viewing sensitive information."""

    template_name = "registry/child_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator
    context_object_name = "children"
    form = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, Capability.SEARCH_REGISTER):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.form = ChildSearchForm(request.POST)
        if self.form.is_valid():
            search_id = _search_remember(request.session, request.POST)
            return redirect(f"{reverse('registry:child-list')}?{urlencode({'search': search_id})}")
        self.object_list = Child.objects.none()
        return self.render_to_response(self.get_context_data())

    def get(self, request, *args, **kwargs):
        criteria = _search_recall(request)
        if criteria is not None and not list_names_shown(request):
            return redirect(list_reason_url(request))
        self.form = ChildSearchForm(criteria) if criteria is not None else ChildSearchForm()
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if self.form is None or not self.form.is_bound or not self.form.is_valid():
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
        # Children found by the name as typed come before those with a similar name.
        ranked = ["name_match"] if "name_match" in children.query.annotations else []
        return children.order_by(*ranked, *self._ordering())

    def _ordering(self):
        sort = self.request.GET.get("sort", "name")
        fields = SORT_FIELDS.get(sort.lstrip("-"), SORT_FIELDS["name"])
        prefix = "-" if sort.startswith("-") else ""
        return [prefix + field for field in fields] + ["pk"]

    def _only_similar_names(self, paginator: CappedPaginator, page) -> bool:
        """A name was typed and no child has it as typed, so every child shown has a similar one.
        The results are ranked by how the name matches, so the first tells."""
        if "name_match" not in self.object_list.query.annotations or not paginator.first_ids:
            return False
        if page.number == 1 and page.object_list:
            best = page.object_list[0].name_match
        else:
            first = self.object_list.filter(pk=paginator.first_ids[0])
            best = first.values_list("name_match", flat=True).first()
        return best == selectors.NameMatch.SIMILAR

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        searched = self.request.method == "GET" and bool(self.form and self.form.is_bound)
        if searched:
            selectors.attach_open_episodes(children=context["children"])
            selectors.attach_postcode_and_latest_school(children=context["children"])
            self._log(context["children"])
        search = {"search": self.request.GET.get("search", "")}
        context.update(
            form=self.form,
            query_string=urlencode({**search, "sort": self.request.GET.get("sort", "name")}),
            sort_query=urlencode(search),
            sort=self.request.GET.get("sort", "name"),
            searched=searched,
            result_cap=CappedPaginator.cap,
            name_typed=self.form.cleaned_data["text"] if searched and self.form.is_valid() else "",
            only_similar_names=searched
            and self.form.is_valid()
            and self._only_similar_names(context["paginator"], context["page_obj"]),
            similar_name=selectors.NameMatch.SIMILAR,
        )
        return context

    def _log(self, children) -> None:
        data = self.form.cleaned_data
        sensitive = data.get("flag") in SENSITIVE_FLAGS
        children_list_log_for_request(
            self.request,
            children,
            purpose=AccessPurpose.SENSITIVE_FIELDS if sensitive else AccessPurpose.SEARCH,
            reason=data.get("sensitive_reason", "") if sensitive else "",
        )


def _open(request, child_id, **kwargs):
    """The child's record, opened the one way (``child_record_open``): the gate, a reason where
    the role owes one, and a row in the access log."""
    return child_record_open(
        request=request,
        child_id=child_id,
        queryset=selectors.child_record_queryset(),
        **kwargs,
    )


@login_required
def child_detail(request, child_id):
    show_sensitive = request.GET.get("show") == "sensitive"
    try:
        child = _open(request, child_id, sensitive=show_sensitive)
    except ReasonRequired as needed:
        return redirect(needed.url)
    today = timezone.localdate()
    flags = list(child.flags.all())
    can_change = selectors.user_can_change_child(user=request.user, child=child)
    context = {
        "child": child,
        "today": today,
        "nc_year": nc_year_label(child.expected_nc_year(today)),
        "compulsory_school_age": child.is_compulsory_school_age(today),
        "addresses": selectors.addresses_shown(child=child),
        "carers": selectors.carers_shown(child=child),
        "flags": selectors.flags_shown(
            f for f in flags if show_sensitive or f.flag_type not in SENSITIVE_FLAGS
        ),
        "hidden_flag_count": 0
        if show_sensitive
        else len(selectors.flags_shown(f for f in flags if f.flag_type in SENSITIVE_FLAGS)),
        "ehe_episodes": child.ehe_episodes.all(),
        "cme_episodes": child.cme_episodes.all(),
        "open_actions": [a for a in child.actions.all() if a.status == "open"],
        "timeline": child_timeline(child),
        "can_change": can_change,
        # What the record offers is what the register allows (registry/lifecycle.py).
        "can_open_ehe": can_change
        and not lifecycle.episode_open_refusal(EHEEpisode, child_id=child.pk),
        "can_open_cme": can_change
        and not lifecycle.episode_open_refusal(CMEEpisode, child_id=child.pk),
        "merges": selectors.merges_for_child(child=child),
        **_cnis_context(request.user, child, today),
    }
    return render(request, "registry/child_detail.html", context)


def _cnis_context(user, child, today) -> dict:
    """The CNIS register's part of the record: nothing at all before it commences."""
    if not cnis_in_force(today):
        return {"cnis_in_force": False}
    registrations = list(child.cnis_registrations.all())
    return {
        "cnis_in_force": True,
        "cnis_registrations": registrations,
        "cnis_open": any(r.is_open for r in registrations),
        "can_keep_cnis": user_can(user, Capability.KEEP_CNIS_REGISTER),
    }


@login_required
def child_access_reason(request, child_id):
    """The one "give a reason, then see the child" page for a record (the off-rolling list of a
    school's children asks the same way, into the same session store)."""
    if not user_can(request.user, Capability.VIEW_CHILD_RECORD):
        raise Http404
    child = get_object_or_404(selectors.child_queryset_for_user(user=request.user), pk=child_id)
    form = AccessReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access_reason_give(
            session=request.session,
            scope=child_scope(child.pk),
            purpose=form.cleaned_data["purpose"],
            reason=form.cleaned_data["reason"],
        )
        return redirect(safe_next_url(request, child_url(child)))
    return render(
        request,
        "registry/child_access_reason.html",
        {"child": child, "form": form, "next": safe_next_url(request, "")},
    )


@login_required
def list_access_reason(request):
    """A reason for seeing children's names in lists (search, notifications, schools' returns),
    asked once per session of a role that must give one, and logged with every list shown."""
    if not user_can(request.user, Capability.VIEW_CHILD_RECORD):
        raise Http404
    form = AccessReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access_reason_give(
            session=request.session,
            scope=LISTS_SCOPE,
            purpose=form.cleaned_data["purpose"],
            reason=form.cleaned_data["reason"],
        )
        return redirect(safe_next_url(request, reverse("home")))
    return render(
        request,
        "registry/list_access_reason.html",
        {"form": form, "next": safe_next_url(request, "")},
    )


@login_required
def child_history(request, child_id):
    try:
        child = _open(request, child_id)
    except ReasonRequired as needed:
        return redirect(needed.url)
    return render(
        request,
        "registry/child_history.html",
        {"child": child, "changes": selectors.child_field_history(child=child)},
    )


@login_required
def child_access_log(request, child_id):
    if not user_can(request.user, Capability.VIEW_ACCESS_LOG):
        raise Http404
    child = _open(request, child_id)
    return render(
        request,
        "registry/child_access_log.html",
        {"child": child, "entries": selectors.child_access_log_for_child(child=child)[:500]},
    )


def child_url(child) -> str:
    return reverse("registry:child-detail", kwargs={"child_id": child.pk})
