"""The off-rolling pages (issue 4): the overview with its funnel, alerts and their review, a
school's profile, the children behind its figures and the briefing downloads, through the gates.

Most tests run on an authority computed by the real recompute (tests.schools_feed.offrolling_data):
eleven ordinary secondaries and "Planted Academy", which removes Year 10 and 11 pupils on free
school meals to home education before the January census.
"""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import AccessPurpose, ChildListAccessLog, Role
from schools_feed.models import (
    AlertEvent,
    AlertEventType,
    AlertStatus,
    OffRollingAlert,
    SchoolIndicator,
)
from schools_feed.offrolling import selectors
from schools_feed.services import offrolling_review
from tests.factories import (
    AlertEventFactory,
    ChildFactory,
    IndicatorReferenceFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    SchoolFactory,
    SchoolIndicatorFactory,
    SubmissionFactory,
    UserFactory,
    sign_in,
)
from tests.schools_feed.offrolling_data import planted_authority

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
CURRENT, PREVIOUS = 2025, 2024
CURRENT_YEAR = f"year:{CURRENT}-09-01"
VIEWERS = [Role.INCLUSION_LEAD, Role.ADMINISTRATOR, Role.DCS]
NOT_VIEWERS = [Role.SCHOOL_USER, Role.EHE_OFFICER, Role.CME_OFFICER]
FORBIDDEN, NOT_FOUND = 403, 404


@pytest.fixture
def authority():
    found = planted_authority(ordinary_schools=5, as_of=AS_OF)
    return {**found, "schools": [*found["schools"], found["planted"]]}


@pytest.fixture
def users():
    return {role: UserFactory(role=role, username=f"pages-{role}") for role in Role.values}


@pytest.fixture
def elsewhere():
    """A school in another LA, with an alert (made directly: the recompute covers local schools)."""
    school = SchoolFactory(name="Faraway School", is_local=False, la_code="999")
    return {"school": school, "alert": OffRollingAlertFactory(school=school)}


def _alert(school, rule, indicator="N1"):
    return OffRollingAlert.objects.get(school=school, rule=rule, indicator=indicator)


def _get(client, user, url):
    sign_in(client, user)
    return client.get(url)


# --- The gates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "view", "review", "children"),
    [
        (Role.INCLUSION_LEAD, True, True, True),
        (Role.ADMINISTRATOR, True, True, True),
        (Role.DCS, True, False, False),
        (Role.SCHOOL_USER, False, False, False),
        (Role.EHE_OFFICER, False, False, False),
        (Role.CME_OFFICER, False, False, False),
    ],
)
def test_each_role_may_view_review_and_see_children_as_the_gate_says(role, view, review, children):
    user = UserFactory(role=role)

    assert selectors.offrolling_user_may_view(user) is view
    assert selectors.offrolling_user_may_review(user) is review
    assert selectors.offrolling_user_may_see_children(user) is children


def test_an_inactive_inclusion_lead_may_do_nothing_and_sees_no_alert(elsewhere):
    local = OffRollingAlertFactory()
    user = UserFactory(role=Role.INCLUSION_LEAD, is_active=False)

    assert not selectors.offrolling_user_may_view(user)
    assert not selectors.offrolling_user_may_review(user)
    assert not selectors.alert_queryset_for_user(user=user).filter(pk=local.pk).exists()


def test_the_gates_give_local_schools_only_and_nothing_to_roles_without_the_monitor(elsewhere):
    local = SchoolIndicatorFactory()
    SchoolIndicatorFactory(school=elsewhere["school"])
    alert = OffRollingAlertFactory(school=local.school)
    lead, officer = UserFactory(role=Role.INCLUSION_LEAD), UserFactory(role=Role.EHE_OFFICER)

    assert list(selectors.offrolling_school_queryset_for_user(user=lead)) == [local.school]
    assert list(selectors.school_indicator_queryset_for_user(user=lead)) == [local]
    assert list(selectors.alert_queryset_for_user(user=lead)) == [alert]
    assert not selectors.offrolling_school_queryset_for_user(user=officer).exists()
    assert not selectors.school_indicator_queryset_for_user(user=officer).exists()
    assert not selectors.alert_queryset_for_user(user=officer).exists()


@pytest.mark.parametrize("role", NOT_VIEWERS)
def test_roles_without_the_monitor_are_refused_every_page(client, users, role):
    alert = OffRollingAlertFactory()
    urn = alert.school.urn
    urls = [
        reverse("offrolling:overview"),
        reverse("offrolling:alert-list"),
        reverse("offrolling:alert-detail", args=[alert.pk]),
        reverse("offrolling:school", args=[urn]),
        reverse("offrolling:school-children", args=[urn]),
        reverse("offrolling:briefing-pdf", args=[urn]),
        reverse("offrolling:briefing-csv", args=[urn]),
    ]
    sign_in(client, users[role])

    assert [client.get(url).status_code for url in urls] == [FORBIDDEN] * len(urls)


@pytest.mark.parametrize("role", VIEWERS)
def test_a_school_or_alert_outside_the_la_is_not_found(client, users, elsewhere, role):
    urn = elsewhere["school"].urn
    IndicatorReferenceFactory()
    urls = [
        reverse("offrolling:alert-detail", args=[elsewhere["alert"].pk]),
        reverse("offrolling:school", args=[urn]),
        reverse("offrolling:briefing-pdf", args=[urn]),
        reverse("offrolling:briefing-csv", args=[urn]),
    ]
    sign_in(client, users[role])

    assert [client.get(url).status_code for url in urls] == [NOT_FOUND] * len(urls)


def test_the_pages_send_a_visitor_who_is_not_signed_in_to_sign_in(client):
    response = client.get(reverse("offrolling:overview"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- The overview -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_the_overview_shows_every_local_school_and_the_funnel_for_each_role_that_may_see_it(
    client, users, authority, role
):
    response = _get(client, users[role], reverse("offrolling:overview") + "?indicator=N4")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg role="img" aria-labelledby="funnel-title funnel-desc"' in html
    assert len(response.context["rows"]) == len(authority["schools"])
    assert len(response.context["funnel"].points) == len(authority["schools"])
    planted = next(r for r in response.context["rows"] if r.school == authority["planted"])
    assert planted.band == "above_998"
    assert "Planted Academy" in html
    assert f"{100 * planted.rate:.1f}%" in html
    assert f"{planted.expected:.1f}" in html


def test_the_overview_defaults_to_the_latest_academic_year_and_n1(client, users, authority):
    response = _get(client, users[Role.INCLUSION_LEAD], reverse("offrolling:overview"))

    assert response.context["period"].key == CURRENT_YEAR
    assert response.context["indicator"] == "N1"
    periods = response.context["periods"]
    assert periods == sorted(periods, key=lambda p: p.start, reverse=True)


def test_the_overview_without_figures_says_how_to_compute_them(client, users):
    response = _get(client, users[Role.INCLUSION_LEAD], reverse("offrolling:overview"))

    assert response.status_code == 200
    assert b"No figures yet: run <code>python manage.py offrolling_recompute</code>" in (
        response.content
    )


def _names_in_table(response) -> list[str]:
    return [row.school.name for row in response.context["rows"]]


def test_the_overview_sorts_by_a_column_both_ways_and_marks_it_with_aria_sort(
    client, users, authority
):
    sign_in(client, users[Role.INCLUSION_LEAD])
    url = reverse("offrolling:overview") + f"?indicator=N1&period={CURRENT_YEAR}"

    up = client.get(url + "&sort=observed&order=asc")
    down = client.get(url + "&sort=observed&order=desc")

    observed_up = [row.observed for row in up.context["rows"]]
    assert observed_up == sorted(observed_up)
    assert [row.observed for row in down.context["rows"]] == sorted(observed_up, reverse=True)
    assert re.search(r'aria-sort="ascending"><a[^>]*>Exits<', up.content.decode())
    assert re.search(r'aria-sort="descending"><a[^>]*>Exits<', down.content.decode())
    assert "order=desc" in up.context["headers"][2]["href"]


@pytest.mark.parametrize("key", list(selectors.OVERVIEW_SORTS))
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_sortable_column_of_the_overview_sorts(client, users, key, order):
    reference = IndicatorReferenceFactory()
    for observed, band in ((52, "above_998"), (12, "below"), (30, "within")):
        row = SchoolIndicatorFactory(
            run=reference.run,
            observed=observed,
            denominator=1000 + observed,
            expected=20 + observed / 10,
            band=band,
        )
        OffRollingAlertFactory.create_batch(observed // 12, school=row.school)

    response = _get(
        client,
        users[Role.INCLUSION_LEAD],
        reverse("offrolling:overview") + f"?sort={key}&order={order}",
    )

    observed = [row.observed for row in response.context["rows"]]
    if key != "school":  # every other column follows the exits in this authority
        assert observed == sorted(observed, reverse=order == "desc")
    sorted_header = [h for h in response.context["headers"] if h["aria_sort"] != "none"]
    assert len(sorted_header) == 1
    assert sorted_header[0]["aria_sort"] == ("ascending" if order == "asc" else "descending")


def test_the_overview_sorts_by_school_name_and_ignores_a_column_not_on_the_list(
    client, users, authority
):
    sign_in(client, users[Role.INCLUSION_LEAD])
    url = reverse("offrolling:overview") + "?indicator=N1"

    by_name = client.get(url + "&sort=school&order=asc")
    unknown = client.get(url + "&sort=school__users__password&order=asc")

    assert _names_in_table(by_name) == sorted(_names_in_table(by_name))
    ratios = [row.ratio for row in unknown.context["rows"]]
    assert unknown.status_code == 200
    assert ratios == sorted(ratios, reverse=True)  # the default: highest O/E first


def test_the_overview_shows_insufficient_data_for_a_school_too_small_to_judge(client, users):
    reference = IndicatorReferenceFactory()
    SchoolIndicatorFactory(
        run=reference.run,
        school=SchoolFactory(name="Tiny Village School"),
        denominator=20,
        observed=1,
        expected=0.6,
        band="insufficient",
    )

    response = _get(client, users[Role.DCS], reverse("offrolling:overview"))

    assert b"Insufficient data" in response.content
    assert response.context["insufficient"] == 1


def test_the_overview_counts_open_alerts_per_school_and_by_status(client, users):
    reference = IndicatorReferenceFactory()
    row = SchoolIndicatorFactory(run=reference.run)
    OffRollingAlertFactory(school=row.school)
    OffRollingAlertFactory(school=row.school, status="under_review")
    OffRollingAlertFactory(school=row.school, status="closed", outcome="explained")

    response = _get(client, users[Role.INCLUSION_LEAD], reverse("offrolling:overview"))

    assert response.context["rows"][0].open_alerts == 2
    counts = {value: count for value, _, count in response.context["summary"].by_status}
    assert counts == {
        "new": 1,
        "under_review": 1,
        "raised_with_school": 0,
        "school_responded": 0,
        "closed": 1,
    }


def test_the_overview_reads_the_same_number_of_queries_for_3_schools_as_for_30(client, users):
    reference = IndicatorReferenceFactory()
    for _ in range(3):
        OffRollingAlertFactory(school=SchoolIndicatorFactory(run=reference.run).school)
    sign_in(client, users[Role.INCLUSION_LEAD])
    url = reverse("offrolling:overview")
    client.get(url)  # the session and the user are read once per request either way

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(27):
        OffRollingAlertFactory(school=SchoolIndicatorFactory(run=reference.run).school)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.context["rows"]) == 30
    assert len(many) == len(few)


# --- Alerts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_the_alert_list_shows_open_alerts_for_each_role_that_may_see_them(
    client, users, authority, role
):
    response = _get(client, users[role], reverse("offrolling:alert-list"))

    assert response.status_code == 200
    assert b"Planted Academy" in response.content
    assert len(response.context["alerts"]) == OffRollingAlert.objects.count()


def test_the_alert_list_filters_by_status_and_by_owner(client, users):
    lead = users[Role.INCLUSION_LEAD]
    mine = OffRollingAlertFactory(owner=lead, status="under_review")
    OffRollingAlertFactory(status="under_review")
    OffRollingAlertFactory(owner=lead, status="closed", outcome="nfa")
    sign_in(client, lead)

    under_review = client.get(reverse("offrolling:alert-list") + "?status=under_review")
    my_open = client.get(reverse("offrolling:alert-list") + "?owner=me")
    everything = client.get(reverse("offrolling:alert-list") + "?status=")

    assert len(under_review.context["alerts"]) == 2
    assert list(my_open.context["alerts"]) == [mine]
    assert len(everything.context["alerts"]) == 3


@pytest.mark.parametrize("role", VIEWERS)
def test_the_alert_page_shows_the_explanation_and_evidence_beside_the_last_recompute(
    client, users, authority, role
):
    alert = _alert(authority["planted"], "R1", "N4")

    response = _get(client, users[role], reverse("offrolling:alert-detail", args=[alert.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert alert.explanation.split(".")[0] in html
    assert response.context["still_met"] is True
    assert "Still met" in html
    current = SchoolIndicator.objects.get(
        school=authority["planted"],
        indicator="N4",
        period_type=alert.period_type,
        period_start=alert.period_start,
    )
    exits = next(row for row in response.context["evidence"].figures if row.label == "Exits")
    assert (exits.raised, exits.now) == (str(alert.evidence["observed"]), str(current.observed))
    assert "How this was worked out" in html
    assert f"Method version {alert.method_version}" in html
    assert "Alert raised" in html  # the history


def test_the_alert_page_says_when_the_rule_is_no_longer_met_at_the_last_recompute(client, users):
    current = SchoolIndicatorFactory(rules_met=["R5:fsm"])
    alert = OffRollingAlertFactory(school=current.school, rule="R1")

    response = _get(
        client, users[Role.INCLUSION_LEAD], reverse("offrolling:alert-detail", args=[alert.pk])
    )

    assert response.context["still_met"] is False
    assert b"No longer met at the last recompute" in response.content


def _r6_alert(school):
    deletion = NotificationFactory(submission=SubmissionFactory(school=school))
    evidence = {
        "observed": 4,
        "denominator": 1000,
        "expected": 2.0,
        "band": "above_95",
        "cases": [{"notification": str(deletion.pk), "prompts": ["school_suggestion"]}],
        "prompt_counts": {"school_suggestion": 1},
    }
    return OffRollingAlertFactory(school=school, rule="R6", indicator="N2", evidence=evidence)


def test_the_dcs_sees_an_alert_read_only_and_never_its_case_list(client, users):
    alert = _r6_alert(SchoolFactory())
    url = reverse("offrolling:alert-detail", args=[alert.pk])
    case_link = reverse(
        "schools_feed:notification-detail", args=[alert.evidence["cases"][0]["notification"]]
    )

    dcs = _get(client, users[Role.DCS], url)
    lead = _get(client, users[Role.INCLUSION_LEAD], url)

    # The prompts' counts (an aggregate), never the cases.
    assert b"The parent gave the reason &#x27;school suggestion&#x27;" in dcs.content
    assert case_link.encode() not in dcs.content
    assert b"Change the status" not in dcs.content
    assert dcs.context["evidence"].cases == []
    assert case_link.encode() in lead.content
    assert b"Change the status" in lead.content


def test_the_dcs_cannot_post_a_review_and_nothing_changes(client, users):
    alert = OffRollingAlertFactory()
    sign_in(client, users[Role.DCS])

    response = client.post(
        reverse("offrolling:alert-detail", args=[alert.pk]),
        {"action": "status", "status-to_status": "under_review"},
    )

    alert.refresh_from_db()
    assert response.status_code == FORBIDDEN
    assert alert.status == AlertStatus.NEW
    assert not AlertEvent.objects.filter(alert=alert).exists()


def test_a_reviewer_moves_an_alert_on_and_is_sent_back_to_it(client, users):
    alert = OffRollingAlertFactory()
    AlertEventFactory(alert=alert)
    lead = users[Role.INCLUSION_LEAD]
    sign_in(client, lead)
    url = reverse("offrolling:alert-detail", args=[alert.pk])

    response = client.post(
        url, {"action": "status", "status-to_status": "under_review", "status-note": "Looking"}
    )

    alert.refresh_from_db()
    assert response.status_code == 302
    assert response.url == url
    assert alert.status == AlertStatus.UNDER_REVIEW
    event = alert.events.get(event_type=AlertEventType.STATUS_CHANGED)
    assert (event.from_status, event.to_status, event.note, event.by) == (
        "new",
        "under_review",
        "Looking",
        lead,
    )
    page = client.get(url)
    assert "Status changed</strong>: New to under review" in page.content.decode()


def test_closing_an_alert_on_its_page_without_an_outcome_shows_why_and_changes_nothing(
    client, users
):
    alert = OffRollingAlertFactory()
    sign_in(client, users[Role.ADMINISTRATOR])

    response = client.post(
        reverse("offrolling:alert-detail", args=[alert.pk]),
        {"action": "status", "status-to_status": "closed"},
    )

    alert.refresh_from_db()
    assert response.status_code == 200
    assert response.context["failed"].non_field_errors() == [offrolling_review.OUTCOME_REQUIRED]
    assert offrolling_review.OUTCOME_REQUIRED in response.content.decode()
    assert alert.status == AlertStatus.NEW


def test_a_reviewer_assigns_an_owner_sets_a_due_date_and_adds_a_note_for_the_briefing(
    client, users
):
    alert = OffRollingAlertFactory()
    admin, lead = users[Role.ADMINISTRATOR], users[Role.INCLUSION_LEAD]
    sign_in(client, admin)
    url = reverse("offrolling:alert-detail", args=[alert.pk])

    client.post(url, {"action": "assign", "assign-owner": lead.pk})
    client.post(
        url,
        {
            "action": "due_date",
            "due_date-due_date_0": "14",
            "due_date-due_date_1": "9",
            "due_date-due_date_2": "2026",
        },
    )
    client.post(
        url, {"action": "note", "note-note": "Head agreed to a meeting", "note-in_briefing": "on"}
    )

    alert.refresh_from_db()
    assert (alert.owner, alert.due_date) == (lead, date(2026, 9, 14))
    note = alert.events.get(event_type=AlertEventType.NOTE)
    assert (note.note, note.in_briefing, note.by) == ("Head agreed to a meeting", True, admin)
    assert set(alert.events.values_list("event_type", flat=True)) == {
        AlertEventType.ASSIGNED,
        AlertEventType.DUE_DATE,
        AlertEventType.NOTE,
    }


def test_only_inclusion_leads_and_administrators_are_offered_as_owners(client, users):
    alert = OffRollingAlertFactory()

    response = _get(
        client, users[Role.INCLUSION_LEAD], reverse("offrolling:alert-detail", args=[alert.pk])
    )

    owners = set(response.context["forms"]["assign"].fields["owner"].queryset)
    assert owners == {users[Role.INCLUSION_LEAD], users[Role.ADMINISTRATOR]}


# --- A school -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_the_school_page_shows_the_trend_the_exits_and_the_alerts_for_each_role(
    client, users, authority, role
):
    planted = authority["planted"]

    response = _get(
        client,
        users[role],
        reverse("offrolling:school", args=[planted.urn]) + f"?indicator=N2&year={CURRENT_YEAR}",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg role="img" aria-labelledby="trend-title trend-desc"' in html
    assert [row.period_label for row in response.context["trend"]] == ["2024/25", "2025/26"]
    exits = response.context["exits"]
    ground_f = dict(exits.by_ground)[
        "9(1)(f) Parent notified the school in writing of education otherwise than at school"
    ]
    assert ground_f == 8 + 14  # the ordinary leavers to home education, and the planted ones
    assert dict(exits.by_nc_year)["Year 11"] > dict(exits.by_nc_year)["Year 7"]
    assert dict(exits.characteristics)["Eligible for free school meals"] == 2 + 14
    assert len(response.context["alerts"]) == OffRollingAlert.objects.filter(school=planted).count()
    assert reverse("offrolling:briefing-pdf", args=[planted.urn]) in html
    children_link = reverse("offrolling:school-children", args=[planted.urn])
    assert (children_link in html) is (role != Role.DCS)


# --- The children behind the figures ------------------------------------------------------------


@pytest.fixture
def children_behind(authority):
    planted = authority["planted"]
    children = [ChildFactory(legal_surname=name) for name in ("Ashdown", "Birling")]
    for child in children:
        NotificationFactory(
            submission=SubmissionFactory(school=planted),
            child=child,
            legal_surname=child.legal_surname,
            deletion_date=date(2025, 11, 3),
            nc_year="10",
            sen_provision="E",
            fsm_eligible=True,
        )
    return {"school": planted, "children": children}


def test_the_children_page_asks_for_a_reason_first_and_names_nobody_before_it(
    client, users, children_behind
):
    url = reverse("offrolling:school-children", args=[children_behind["school"].urn])

    response = _get(client, users[Role.INCLUSION_LEAD], url + f"?period={CURRENT_YEAR}")

    assert response.status_code == 200
    assert b"Why do you need to see the children behind these figures?" in response.content
    assert b"Ashdown" not in response.content
    assert not ChildListAccessLog.objects.exists()


def test_the_children_page_needs_a_reason(client, users, children_behind):
    sign_in(client, users[Role.INCLUSION_LEAD])
    url = reverse("offrolling:school-children", args=[children_behind["school"].urn])

    response = client.post(url, {"period": CURRENT_YEAR, "reason": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert b"Ashdown" not in response.content


@pytest.mark.parametrize("role", [Role.INCLUSION_LEAD, Role.ADMINISTRATOR])
def test_the_children_page_lists_the_deletions_after_a_reason_and_logs_each_child_shown(
    client, users, children_behind, role
):
    user = users[role]
    sign_in(client, user)
    url = reverse("offrolling:school-children", args=[children_behind["school"].urn])

    posted = client.post(url, {"period": CURRENT_YEAR, "reason": "Reviewing alert R1"})
    response = client.get(posted.url)

    assert posted.status_code == 302
    assert response.status_code == 200
    html = response.content.decode()
    for child in children_behind["children"]:
        assert reverse("registry:child-detail", args=[child.pk]) in html
    assert "Pupil" in html  # the planted deletions, not linked to a child record
    # One row for the list, naming every child shown, with the reason given.
    log = ChildListAccessLog.objects.get(user=user)
    assert sorted(log.children.values_list("pk", flat=True)) == sorted(
        c.pk for c in children_behind["children"]
    )
    assert (log.purpose, log.reason) == (AccessPurpose.OFFROLLING_REVIEW, "Reviewing alert R1")
    # Every pupil named counts, those whose deletion is linked to no record too.
    assert log.shown == len(response.context["deletions"]) > len(children_behind["children"])


def test_the_dcs_cannot_reach_the_children_page(client, users, children_behind):
    sign_in(client, users[Role.DCS])
    url = reverse("offrolling:school-children", args=[children_behind["school"].urn])

    responses = [
        client.get(url + f"?period={CURRENT_YEAR}"),
        client.post(url, {"period": CURRENT_YEAR, "reason": "Curious"}),
    ]

    assert [r.status_code for r in responses] == [FORBIDDEN, FORBIDDEN]
    assert not ChildListAccessLog.objects.exists()


# --- The briefing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "extension", "starts"),
    [
        ("briefing-pdf", "application/pdf", "pdf", b"%PDF-"),
        ("briefing-csv", "text/csv", "csv", "\ufeffSection".encode()),
    ],
)
def test_the_briefing_is_served_as_an_attachment_for_the_school(
    client, users, authority, name, content_type, extension, starts
):
    urn = authority["planted"].urn

    response = _get(client, users[Role.DCS], reverse(f"offrolling:{name}", args=[urn]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == (
        f'attachment; filename="off-rolling-briefing-{urn}.{extension}"'
    )
    assert response.content.startswith(starts)


# --- Navigation and the inclusion lead's home ---------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_the_roles_with_the_monitor_have_it_in_the_navigation(client, users, role):
    response = _get(client, users[role], reverse("home"))

    hrefs = [item["href"] for item in response.context["nav_items"]]
    assert reverse("offrolling:overview") in hrefs


def test_the_inclusion_leads_home_page_counts_open_alerts_by_status(client, users):
    OffRollingAlertFactory()
    OffRollingAlertFactory(status="raised_with_school")
    OffRollingAlertFactory(status="closed", outcome="nfa")

    response = _get(client, users[Role.INCLUSION_LEAD], reverse("home"))

    html = response.content.decode()
    assert "Off-rolling alerts" in html
    assert "2 open alerts" in html
    assert "Raised with the school: 1" in html
    assert f"{reverse('offrolling:alert-list')}?status=new" in html
