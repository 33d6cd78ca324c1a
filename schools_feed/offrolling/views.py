"""The off-rolling monitor in the browser: the LA overview with its funnel plot, the alerts and
their review, a school's profile, the children behind its figures, and its briefing.

Views are thin: gate, read through the selectors, bind a form, call one service, redirect.
A role without the monitor gets 403 (the pages hold school figures, not a child's record); a
school outside this LA, or an alert about one, is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import ListView

from registry.models import AccessPurpose
from registry.services import access_log
from schools_feed.models import (
    AlertStatus,
    FunnelBand,
    Indicator,
    OffRollingAlert,
    PeriodType,
    School,
)
from schools_feed.offrolling import briefing, charts
from schools_feed.offrolling import selectors as offrolling
from schools_feed.offrolling.forms import (
    AlertAssignForm,
    AlertDueDateForm,
    AlertNoteForm,
    AlertStatusForm,
    ChildrenReasonForm,
)
from schools_feed.services import offrolling_review

DEFAULT_INDICATOR = Indicator.N1
# Tag colours for the bands: each is a GOV.UK tag, whose text meets contrast.
BAND_TAGS = {
    FunnelBand.ABOVE_ALERT: "govuk-tag--red",
    FunnelBand.ABOVE_WARNING: "govuk-tag--orange",
    FunnelBand.WITHIN: "govuk-tag--blue",
    FunnelBand.BELOW: "govuk-tag--green",
    FunnelBand.INSUFFICIENT: "govuk-tag--grey",
}
STATUS_TAGS = {
    AlertStatus.NEW: "govuk-tag--red",
    AlertStatus.UNDER_REVIEW: "govuk-tag--yellow",
    AlertStatus.RAISED_WITH_SCHOOL: "govuk-tag--orange",
    AlertStatus.SCHOOL_RESPONDED: "govuk-tag--blue",
    AlertStatus.CLOSED: "govuk-tag--grey",
}
OVERVIEW_COLUMNS = [
    ("school", "School", False),
    ("on_roll", "Number on roll", True),
    ("observed", "Exits", True),
    ("expected", "Expected", True),
    ("rate", "Rate", True),
    ("ratio", "Observed / expected", True),
    ("band", "Funnel band", False),
    ("alerts", "Open alerts", True),
]


# --- Gates --------------------------------------------------------------------------------------


def _require_view(user) -> None:
    if not offrolling.offrolling_user_may_view(user):
        raise PermissionDenied


def _require_review(user) -> None:
    if not offrolling.offrolling_user_may_review(user):
        raise PermissionDenied


def _require_children(user) -> None:
    if not offrolling.offrolling_user_may_see_children(user):
        raise PermissionDenied


def _school(request, urn) -> School:
    _require_view(request.user)
    try:
        return offrolling.offrolling_school_get(user=request.user, urn=urn)
    except School.DoesNotExist as missing:
        raise Http404 from missing


def _alert(request, alert_id) -> OffRollingAlert:
    _require_view(request.user)
    try:
        return offrolling.alert_get(user=request.user, alert_id=alert_id)
    except OffRollingAlert.DoesNotExist as missing:
        raise Http404 from missing


# --- Helpers for the pages ----------------------------------------------------------------------


def _indicator_from(request) -> str:
    value = request.GET.get("indicator", "")
    return value if value in Indicator.values else DEFAULT_INDICATOR


def _period_groups(periods: list[offrolling.PeriodChoice]) -> list[tuple[str, list]]:
    """The periods for a select, grouped by type: academic years, rolling, terms."""
    groups = []
    for period_type, label in (
        (PeriodType.YEAR, "Academic years"),
        (PeriodType.ROLLING, "Rolling 12 months"),
        (PeriodType.TERM, "Terms"),
    ):
        members = [p for p in periods if p.period_type == period_type]
        if members:
            groups.append((label, members))
    return groups


def _figures_text(row) -> None:
    """Formatted figures on a SchoolIndicator, the same way on every page."""
    row.expected_text = charts.decimal_text(row.expected)
    row.rate_text = charts.percent_text(row.rate)
    row.la_rate_text = charts.percent_text(row.la_rate)
    row.ratio_text = charts.ratio_text(row.ratio)
    row.expected_rate_text = charts.percent_text(
        row.expected / row.denominator if row.denominator else None
    )
    row.band_label = FunnelBand(row.band).label if row.band in FunnelBand.values else row.band
    row.band_tag = BAND_TAGS.get(row.band, "govuk-tag--grey")


def _sort_headers(*, base: dict, sort: str, order: str) -> list[dict]:
    headers = []
    for key, label, numeric in OVERVIEW_COLUMNS:
        current = key == sort
        next_order = "desc" if current and order == "asc" else "asc"
        headers.append(
            {
                "label": label,
                "numeric": numeric,
                "aria_sort": ("ascending" if order == "asc" else "descending")
                if current
                else "none",
                "href": "?" + urlencode({**base, "sort": key, "order": next_order}),
                "next": "descending" if next_order == "desc" else "ascending",
            }
        )
    return headers


# --- The overview -------------------------------------------------------------------------------


def _legend(funnel: charts.FunnelChart | None) -> list[dict]:
    """The chart's key: each band's marker (shape and colour) and how many schools are in it."""
    if funnel is None:
        return []
    return [
        {
            "label": FunnelBand(band).label,
            "path": charts.marker_path(shape, 14, 8),
            "colour": colour,
            "filled": shape != "ring",
            "count": funnel.band_counts.get(band, 0),
        }
        for band, (shape, colour) in charts.MARKERS.items()
    ]


@login_required
def overview(request):
    _require_view(request.user)
    periods = offrolling.offrolling_periods()
    summary = offrolling.alert_summary(user=request.user)
    if not periods:
        return render(
            request, "schools_feed/offrolling/overview.html", {"periods": [], "summary": summary}
        )
    indicator = _indicator_from(request)
    period = offrolling.offrolling_period_choose(periods, request.GET.get("period"))
    sort = request.GET.get("sort", "")
    order = request.GET.get("order", "")
    if sort not in offrolling.OVERVIEW_SORTS:
        sort, order = offrolling.OVERVIEW_DEFAULT_SORT
    order = order if order in ("asc", "desc") else "asc"
    rows = offrolling.overview_rows(
        user=request.user, indicator=indicator, period=period, sort=sort, order=order
    )
    reference = offrolling.indicator_reference_get(indicator=indicator, period=period)
    funnel = offrolling.overview_funnel(rows=rows, reference=reference)
    school_url = reverse("offrolling:school", args=["URN"])
    for row in rows:
        _figures_text(row)
        row.school_href = school_url.replace("URN", row.school.urn)
    context = {
        "periods": periods,
        "period_groups": _period_groups(periods),
        "period": period,
        "indicators": Indicator.choices,
        "indicator": indicator,
        "indicator_label": Indicator(indicator).label,
        "rows": rows,
        "reference": reference,
        "la_rate_text": charts.percent_text(reference.rate if reference else None),
        "funnel": funnel,
        "legend": _legend(funnel),
        "phi_text": f"{reference.phi:.2f}" if reference else "",
        "headers": _sort_headers(
            base={"indicator": indicator, "period": period.key}, sort=sort, order=order
        ),
        "summary": summary,
        "insufficient": sum(row.band == FunnelBand.INSUFFICIENT for row in rows),
    }
    return render(request, "schools_feed/offrolling/overview.html", context)


# --- Alerts -------------------------------------------------------------------------------------


class AlertListView(LoginRequiredMixin, ListView):
    template_name = "schools_feed/offrolling/alert_list.html"
    context_object_name = "alerts"
    paginate_by = 50

    def get_queryset(self):
        _require_view(self.request.user)
        self.status = self.request.GET.get("status", "open")
        self.mine = self.request.GET.get("owner") == "me"
        return offrolling.alert_list(
            user=self.request.user,
            status=self.status,
            owner=self.request.user if self.mine else None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for alert in context["alerts"]:
            alert.status_tag = STATUS_TAGS.get(alert.status, "govuk-tag--grey")
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            statuses=[("open", "Open"), ("", "Any status"), *AlertStatus.choices],
            status=self.status,
            mine=self.mine,
            query_string=params.urlencode(),
        )
        return context


ALERT_FORMS = {
    "status": AlertStatusForm,
    "assign": AlertAssignForm,
    "due_date": AlertDueDateForm,
    "note": AlertNoteForm,
}


def _alert_forms(alert, data=None, action=None) -> dict:
    forms_ = {}
    for name, form_class in ALERT_FORMS.items():
        bound = data if name == action else None
        kwargs = {"prefix": name}
        if name == "status":
            kwargs["statuses"] = offrolling_review.alert_next_statuses(alert)
        if bound is None:
            initial = {"owner": alert.owner_id, "due_date": alert.due_date}
            kwargs["initial"] = {
                key: value for key, value in initial.items() if key in form_class.base_fields
            }
        forms_[name] = form_class(bound, **kwargs)
    return forms_


def _alert_review(request, alert, action, form) -> None:
    data = form.cleaned_data
    by = request.user
    if action == "status":
        offrolling_review.alert_status_change(
            alert=alert,
            to_status=data["to_status"],
            outcome=data["outcome"] if data["to_status"] == AlertStatus.CLOSED else "",
            note=data["note"],
            by=by,
        )
        messages.success(request, f"Status changed to {alert.get_status_display().lower()}")
    elif action == "assign":
        offrolling_review.alert_assign(alert=alert, owner=data["owner"], by=by)
        messages.success(request, f"Owner: {alert.owner or 'nobody'}")
    elif action == "due_date":
        offrolling_review.alert_due_date_set(alert=alert, due_date=data["due_date"], by=by)
        messages.success(request, "Due date saved")
    else:
        offrolling_review.alert_note_add(
            alert=alert, note=data["note"], in_briefing=data["in_briefing"], by=by
        )
        messages.success(request, "Note added")


@login_required
def alert_detail(request, alert_id):
    alert = _alert(request, alert_id)
    may_review = offrolling.offrolling_user_may_review(request.user)
    failed = None
    if request.method == "POST":
        _require_review(request.user)
        action = request.POST.get("action", "")
        if action not in ALERT_FORMS:
            raise Http404
        alert_forms = _alert_forms(alert, request.POST, action)
        form = alert_forms[action]
        if form.is_valid():
            try:
                _alert_review(request, alert, action, form)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                return redirect("offrolling:alert-detail", alert_id=alert.pk)
        failed = form
    else:
        alert_forms = _alert_forms(alert) if may_review else {}
    current = offrolling.alert_current_indicator(user=request.user, alert=alert)
    may_see_children = offrolling.offrolling_user_may_see_children(request.user)
    alert.status_tag = STATUS_TAGS.get(alert.status, "govuk-tag--grey")
    context = {
        "alert": alert,
        "evidence": offrolling.alert_evidence(
            alert=alert, current=current, with_cases=may_see_children
        ),
        "still_met": offrolling.alert_still_met(alert=alert, current=current),
        "current": current,
        "events": offrolling.alert_events(alert=alert, user=request.user),
        "parameters": [
            (name, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            for name, value in sorted((alert.parameters or {}).items())
        ],
        "may_review": may_review,
        "forms": alert_forms,
        "failed": failed,
        "may_see_children": may_see_children,
    }
    return render(request, "schools_feed/offrolling/alert_detail.html", context)


# --- A school -----------------------------------------------------------------------------------


def _trend_chart(trend) -> charts.LineChart | None:
    if not trend:
        return None
    return charts.line_chart(
        x_labels=[row.period_label for row in trend],
        series=[
            charts.Series("This school", [row.rate for row in trend], colour="#1d70b8"),
            charts.Series(
                "Expected for its size and intake",
                [row.expected / row.denominator if row.denominator else None for row in trend],
                colour="#505a5f",
                dash="6 4",
                shape="square",
            ),
        ],
    )


def _trend_description(trend) -> str:
    """The trend chart in words: each year's rate against the rate expected for the school."""
    years = "; ".join(
        f"{row.period_label}: {row.rate_text} against {row.expected_rate_text} expected"
        for row in trend
    )
    return (
        f"The school's exit rate each academic year, against the rate expected for a school of "
        f"its size and intake. {years}. The table after the chart gives the figures."
    )


@login_required
def school_profile(request, urn):
    school = _school(request, urn)
    indicator = _indicator_from(request)
    trend = offrolling.school_trend(user=request.user, school=school, indicator=indicator)
    for row in trend:
        _figures_text(row)
    years = [p for p in offrolling.offrolling_periods() if p.is_year]
    year = offrolling.offrolling_period_choose(years, request.GET.get("year"))
    alerts = list(offrolling.alerts_for_school(user=request.user, school=school))
    for alert in alerts:
        alert.status_tag = STATUS_TAGS.get(alert.status, "govuk-tag--grey")
    context = {
        "school": school,
        "indicators": Indicator.choices,
        "indicator": indicator,
        "indicator_label": Indicator(indicator).label,
        "trend": trend,
        "trend_chart": _trend_chart(trend),
        "trend_title": f"{Indicator(indicator).label} at {school.name}, by academic year",
        "trend_description": _trend_description(trend),
        "years": years,
        "year": year,
        "exits": offrolling.school_exits(user=request.user, school=school, period=year)
        if year
        else None,
        "alerts": alerts,
        "may_see_children": offrolling.offrolling_user_may_see_children(request.user),
    }
    return render(request, "schools_feed/offrolling/school.html", context)


def _children_reason_scope(school: School, period) -> str:
    return f"offrolling:{school.urn}|{period.key}"


@login_required
def school_children(request, urn):
    """The deletions behind a school's figures: a reason first (kept for the session, like the
    reason for opening a child's record), then the list, logged once per child each time it is
    shown."""
    school = _school(request, urn)
    _require_children(request.user)
    periods = offrolling.offrolling_periods()
    period = offrolling.offrolling_period_choose(
        periods, request.POST.get("period") or request.GET.get("period")
    )
    if period is None:
        raise Http404
    scope = _children_reason_scope(school, period)
    form = ChildrenReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access_log.access_reason_give(
            session=request.session,
            scope=scope,
            purpose=AccessPurpose.OFFROLLING_REVIEW,
            reason=form.cleaned_data["reason"],
        )
        url = reverse("offrolling:school-children", args=[school.urn])
        return redirect(f"{url}?{urlencode({'period': period.key})}")
    given = access_log.access_reason_given(session=request.session, scope=scope)
    reason = given["reason"] if given and request.method == "GET" else None
    context = {"school": school, "period": period, "periods": periods, "form": form}
    if reason is None:
        return render(request, "schools_feed/offrolling/children_reason.html", context)
    deletions = offrolling.school_deletions(user=request.user, school=school, period=period)
    access_log.children_list_log(
        user=request.user,
        children=offrolling.children_of(deletions),
        path=request.get_full_path(),
        purpose=AccessPurpose.OFFROLLING_REVIEW,
        reason=reason,
        shown=len(deletions),  # each deletion names its pupil, linked to a record or not
    )
    context.update(deletions=deletions, reason=reason)
    return render(request, "schools_feed/offrolling/children.html", context)


# --- The briefing -------------------------------------------------------------------------------


def _briefing_response(request, urn, kind: str) -> HttpResponse:
    school = _school(request, urn)
    made = briefing.briefing_for_school(school=school, user=request.user)
    if kind == "pdf":
        content, content_type = briefing.briefing_pdf(made), "application/pdf"
    else:
        content, content_type = briefing.briefing_csv(made), "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="off-rolling-briefing-{school.urn}.{kind}"'
    )
    return response


@login_required
def briefing_pdf(request, urn):
    return _briefing_response(request, urn, "pdf")


@login_required
def briefing_csv(request, urn):
    return _briefing_response(request, urn, "csv")
