"""The home page every role lands on. It shows the register's work and the schools feed's side by
side, so it belongs to the project, the one layer that composes both apps (ADR 0010)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from registry import selectors
from registry.access import Capability, home_page_of, user_can
from registry.cnis.selectors import cnis_in_force, cnis_register_list
from registry.models import AccessPurpose, ComplaintStatus
from registry.portal import services as portal_services
from registry.services.access_log import children_list_log_for_request
from schools_feed import selectors as feed_selectors


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    page = home_page_of(user)
    if page == "portal":
        return redirect("portal:home")
    if page == "school":
        # A school's home is its returns: every one, paged and filterable (the schools feed's).
        return redirect("schools_feed:notification-list")
    if page == "overview":
        return render(request, "registry/home_dcs.html", selectors.register_overview(on=today))
    if page == "inclusion_lead":
        return render(
            request,
            "registry/home_inclusion_lead.html",
            {"schools": feed_selectors.deletions_by_school(user=user, on=today)},
        )
    return _officer_home(request, today)


def _register_counts(user, today) -> dict:
    """The CNIS register's waiting work, once it is in force, for those who keep it."""
    if not (cnis_in_force(today) and user_can(user, Capability.KEEP_CNIS_REGISTER)):
        return {}
    overdue = cnis_register_list(user=user, on=today, view="overdue").count()
    return {"cnis_overdue_count": overdue, "cnis_keeper": True}


def _officer_home(request, today):
    """The officer's caseload, actions and triage. An action the officer owns on a child outside
    their gate (a team changed, a child moved to the other team) is listed without the child's
    name; the children named are logged as one list."""
    user = request.user
    work = selectors.officer_home_work(user=user, today=today)
    triage = feed_selectors.notifications_awaiting_triage(user=user)
    shown_triage = list(triage[:10])
    alerts = selectors.safeguarding_alerts_for_user(user=user)
    children_list_log_for_request(
        request,
        [
            *work.children_named,
            *(n.child_id for n in shown_triage),
            *(a.child_id for a in alerts if a.child_shown),
        ],
        purpose=AccessPurpose.CASELOAD,
    )
    context = {
        "safeguarding_alerts": alerts,
        "caseload": work.caseload,
        "overdue_actions": work.overdue_actions,
        "due_soon_actions": work.due_soon_actions,
        "triage_count": triage.count(),
        "triage": shown_triage,
        "review_count": feed_selectors.notifications_awaiting_review(user=user).count(),
        # Counts only: the pages behind them name the children and log the reading.
        "parent_notice_count": portal_services.parent_notices_for_user(user=user).count(),
        "open_complaint_count": portal_services.complaint_queryset_for_user(user=user)
        .exclude(status=ComplaintStatus.RESPONDED)
        .count(),
        **_register_counts(user, today),
    }
    return render(request, "registry/home_officer.html", context)
