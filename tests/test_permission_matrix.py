"""Every role against every page and action: allowed or denied, through the access gates.

Denied means 404 for anything about a child or a notification (nothing leaked, not even that the
record exists), and a redirect to the admin sign-in for the Django admin. The off-rolling monitor
holds school figures, not a child's record: a role without it gets 403, and a school or alert
outside this LA is 404 for the roles that have it. The statistics pages likewise: 403 for a role
without statistics (or without the children behind the DfE return), 404 for a snapshot or pack
request of a kind the role may not read.
"""

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve, reverse

from registry.models import (
    ChildAccessLog,
    ChildListAccessLog,
    ChildMerge,
    ComparatorFigure,
    Contact,
    PopulationEstimate,
    ReferralTarget,
    ReportKind,
    ReportRequest,
    ReportSnapshot,
    Role,
    SocialCareReferral,
)
from registry.services.reporting import RenderedFile, report_request_create, snapshot_freeze
from schools_feed.models import AlertStatus, JointEnquiry, PossibleDuplicate, SubmissionStatus
from tests.factories import (
    ActionFactory,
    CarerFactory,
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    IndicatorReferenceFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    SchoolFactory,
    SchoolIndicatorFactory,
    SubmissionFactory,
    UserFactory,
    sign_in,
)
from tests.pages import page_text

ROLES = [
    Role.SCHOOL_USER,
    Role.EHE_OFFICER,
    Role.CME_OFFICER,
    Role.INCLUSION_LEAD,
    Role.DCS,
    Role.ADMINISTRATOR,
    Role.PARENT,
]
S, E, C, I, D, A, P = ROLES  # noqa: E741 - one letter per role keeps the matrix readable
ALL = set(ROLES)
OK, DENIED, REASON_FIRST, ADMIN_SIGN_IN, FORBIDDEN, REDIRECT = 200, 404, 302, 302, 403, 302


@pytest.fixture
def world(db):
    own_school, other_school = SchoolFactory(), SchoolFactory()
    # Surnames no generated name can be, so "not in the page" cannot collide with a user's name.
    ehe = EHEEpisodeFactory(child__legal_surname="Homeleyqx")
    cme = CMEEpisodeFactory(child__legal_surname="Missinghamqx")
    # Sent files: a file still waiting for its sender's confirmation is the sender's alone.
    own = NotificationFactory(
        submission=SubmissionFactory(school=own_school, status=SubmissionStatus.IMPORTED),
        child=ehe.child,
        legal_surname="Ownqx",
    )
    other = NotificationFactory(
        submission=SubmissionFactory(school=other_school, status=SubmissionStatus.IMPORTED),
        child=cme.child,
        ground="i",
        legal_surname="Otherqx",
    )
    users = {
        role: UserFactory(
            role=role, username=f"matrix-{role}", is_staff=role == A, is_superuser=role == A
        )
        for role in ROLES
    }
    users[S].schools.add(own_school)
    action = ActionFactory(child=ehe.child, owner=users[E])
    waiting = NotificationFactory(
        submission=SubmissionFactory(school=other_school), status="review", ground="k"
    )
    reference = IndicatorReferenceFactory()
    SchoolIndicatorFactory(run=reference.run, school=other_school)
    faraway = SchoolFactory(is_local=False, la_code="999")
    return {
        **_statistics(users),
        "ehe": ehe,
        "cme": cme,
        "own": own,
        "other": other,
        "users": users,
        "action": action,
        "waiting": waiting,
        "local_school": other_school,
        "local_alert": OffRollingAlertFactory(school=other_school),
        "faraway_school": faraway,
        "faraway_alert": OffRollingAlertFactory(school=faraway),
        "own_joint_enquiry": _joint_enquiry(own_school, "Ownjointqx"),
        "ehe_pair": _possible_duplicate(ehe.child, EHEEpisodeFactory().child),
        "ehe_cme_pair": _possible_duplicate(ehe.child, cme.child),
        "merge": ChildMerge.objects.create(
            kept=ehe.child, merged=ChildFactory(), reason="Same child", merged_by=users[A]
        ),
        "referral": SocialCareReferral.objects.create(
            episode=cme,
            referred_to=ReferralTarget.MASH,
            referred_on=date(2025, 10, 1),
            reason="Not seen since September",
            referred_by=users[C],
        ),
        "other_joint_enquiry": _joint_enquiry(other_school, "Otherjointqx"),
    }


def _possible_duplicate(child, other) -> PossibleDuplicate:
    return PossibleDuplicate.objects.create(
        child=child, other=other, probability=0.9, model_version=0
    )


def _joint_enquiry(school, surname: str) -> JointEnquiry:
    return JointEnquiry.objects.create(
        school=school,
        legal_forenames="Rowan",
        legal_surname=surname,
        date_of_birth=date(2013, 5, 20),
        last_attended_date=date(2025, 10, 10),
    )


CENSUS_DAY = date(2025, 10, 2)


def _snapshot(kind, period: str, by):
    tables = {"title": f"{kind} {period}", "as_at": "2025-10-02", "sections": []}
    return snapshot_freeze(
        kind=kind,
        period=period,
        as_at=CENSUS_DAY,
        tables=tables,
        files=[RenderedFile("figures.csv", "text/csv", b"a,b\r\n1,2\r\n")],
        by=by,
        method_version="test",
    )


def _statistics(users) -> dict:
    return {
        "dfe_snapshot": _snapshot(ReportKind.DFE_RETURN, "2025-10-02", users[D]),
        "pack_snapshot": _snapshot(ReportKind.QUARTERLY_PACK, "2025-Q3", users[A]),
        "pack_request": report_request_create(
            kind=ReportKind.QUARTERLY_PACK, period="2025-Q3", by=users[D]
        ),
    }


def _url(world, name):
    ehe, cme = world["ehe"], world["cme"]
    child_pages = {
        "registry:child-detail",
        "registry:child-history",
        "registry:child-access-log",
        "registry:child-access-reason",
        "registry:contact-create",
        "registry:action-create",
        "registry:decision-create",
        "registry:child-identity",
        "registry:child-merge",
        "registry:ehe-episode-create",
        "registry:cme-episode-create",
        "registry:letter-list",
    }
    if name == "registry:carer-portal-account":
        carer = CarerFactory(child=ehe.child)
        return reverse(name, args=[ehe.child_id, carer.pk])
    if name == "registry:child-detail (CME child)":
        return reverse("registry:child-detail", args=[cme.child_id])
    if name == "letter (s.437 notice)":
        return reverse("registry:letter-compose", args=[ehe.child_id, "s437_notice"])
    if name == "letter (CME whereabouts)":
        return reverse("registry:letter-compose", args=[cme.child_id, "cme_whereabouts"])
    if name in child_pages:
        return reverse(name, args=[ehe.child_id])
    records = {
        "registry:action-complete": world["action"],
        "registry:child-merge-undo": world["merge"],
        "registry:referral-outcome": world["referral"],
        "registry:ehe-enforcement-step-create": ehe,
    }
    if name in records:
        return reverse(name, args=[records[name].pk])
    if name.startswith("registry:ehe-episode"):
        return reverse(name, args=[ehe.pk])
    if name.startswith(("registry:cme-episode", "registry:cme-enquiry", "registry:referral")):
        return reverse(name, args=[cme.pk])
    if name == "notification (own school)":
        return reverse("schools_feed:notification-detail", args=[world["own"].pk])
    if name == "notification (other school)":
        return reverse("schools_feed:notification-detail", args=[world["other"].pk])
    if name == "admin":
        return reverse("admin:index")
    feed_pages = {
        "submission (own school)": ("schools_feed:submission-detail", world["own"].submission_id),
        "submission progress (own school)": (
            "schools_feed:submission-progress",
            world["own"].submission_id,
        ),
        "submission progress (other school)": (
            "schools_feed:submission-progress",
            world["other"].submission_id,
        ),
        "rejected rows (own school)": (
            "schools_feed:submission-rejected-rows",
            world["own"].submission_id,
        ),
        "rejected rows (other school)": (
            "schools_feed:submission-rejected-rows",
            world["other"].submission_id,
        ),
        "submission (other school)": (
            "schools_feed:submission-detail",
            world["other"].submission_id,
        ),
        "schools_feed:review-notification": (name, world["waiting"].pk),
        "possible duplicate (two EHE children)": (
            "schools_feed:duplicate-not-the-same",
            world["ehe_pair"].pk,
        ),
        "possible duplicate (an EHE and a CME child)": (
            "schools_feed:duplicate-not-the-same",
            world["ehe_cme_pair"].pk,
        ),
        "schools_feed:notification-undo-link": (name, world["other"].pk),
        "schools_feed:notification-query": (name, world["other"].pk),
        "schools_feed:notification-form": (name, "deletion"),
        "joint enquiry (own school)": (
            "schools_feed:joint-enquiry-detail",
            world["own_joint_enquiry"].pk,
        ),
        "joint enquiry (other school)": (
            "schools_feed:joint-enquiry-detail",
            world["other_joint_enquiry"].pk,
        ),
    }
    if name in feed_pages:
        url_name, arg = feed_pages[name]
        return reverse(url_name, args=[arg])
    if name == "schools_feed:template-download":
        return reverse(name, args=["deletion", "csv"])
    offrolling_pages = {
        "offrolling alert": ("offrolling:alert-detail", world["local_alert"].pk),
        "offrolling alert (outside the LA)": ("offrolling:alert-detail", world["faraway_alert"].pk),
        "offrolling:school": (name, world["local_school"].urn),
        "offrolling school (outside the LA)": ("offrolling:school", world["faraway_school"].urn),
        "offrolling:school-children": (name, world["local_school"].urn),
        "offrolling briefing PDF (outside the LA)": (
            "offrolling:briefing-pdf",
            world["faraway_school"].urn,
        ),
        "offrolling briefing CSV (outside the LA)": (
            "offrolling:briefing-csv",
            world["faraway_school"].urn,
        ),
    }
    if name in offrolling_pages:
        url_name, arg = offrolling_pages[name]
        return reverse(url_name, args=[arg])
    statistics_pages = {
        "DfE return snapshot": ("registry:snapshot-detail", [world["dfe_snapshot"].pk]),
        "DfE return file": ("registry:snapshot-file", [world["dfe_snapshot"].pk, "figures.csv"]),
        "pack snapshot": ("registry:snapshot-detail", [world["pack_snapshot"].pk]),
        "pack file": ("registry:snapshot-file", [world["pack_snapshot"].pk, "figures.csv"]),
        "pack request": ("registry:report-request-detail", [world["pack_request"].pk]),
        "pack request progress": ("registry:report-request-progress", [world["pack_request"].pk]),
        "registry:dfe-return-validation": (name, [CENSUS_DAY]),
        "registry:dfe-return-validation-csv": (name, [CENSUS_DAY]),
    }
    if name in statistics_pages:
        url_name, args = statistics_pages[name]
        return reverse(url_name, args=args)
    return reverse(name)


def _expect(allowed: set, otherwise=DENIED, **special):
    """A parent (P) is kept to the parent portal: every staff page is 404 to them, whatever
    another role without access gets (registry/portal/middleware.py; ADR 0014)."""
    return {
        role: special.get(
            role, OK if role in allowed else (PARENT_OUTSIDE_THE_PORTAL if role == P else otherwise)
        )
        for role in ROLES
    }


PARENT_OUTSIDE_THE_PORTAL = DENIED


# The off-rolling roles get 404 for a school or alert outside this LA; the others 403 as ever.
OUTSIDE_THE_LA = {I: DENIED, D: DENIED, A: DENIED}
# Officers read the DfE return but not the DCS pack: a pack or its request is 404 for them.
PACK_HIDDEN_FROM_OFFICERS = {E: DENIED, C: DENIED}
STATISTICS = {E, C, I, D, A}

MATRIX = {
    # A school user's home is their returns' list; a parent's, the parent portal.
    "home": _expect(ALL, **{S: REDIRECT, P: REDIRECT}),
    "registry:child-list": _expect({E, C, I, A}),
    "registry:child-detail": _expect({E, A}, **{I: REASON_FIRST}),
    "registry:child-detail (CME child)": _expect({C, A}, **{I: REASON_FIRST}),
    "registry:child-history": _expect({E, A}, **{I: REASON_FIRST}),
    "registry:child-access-log": _expect({A}),
    "registry:child-access-reason": _expect({E, I, A}),
    "registry:contact-create": _expect({E, A}),
    "registry:action-create": _expect({E, A}),
    "registry:decision-create": _expect({E, A}),
    "registry:child-identity": _expect({E, A}),
    "registry:child-merge": _expect({E, A}),
    "registry:ehe-episode-create": _expect({E, A}),
    "registry:cme-episode-create": _expect({E, A}),
    "registry:ehe-episode-status": _expect({E, A}),
    "registry:ehe-episode-assign": _expect({E, A}),
    "registry:ehe-episode-edit": _expect({E, A}),
    "registry:ehe-episode-consent": _expect({E, A}),
    "registry:cme-episode-status": _expect({C, A}),
    "registry:cme-episode-assign": _expect({C, A}),
    "registry:cme-episode-reason": _expect({C, A}),
    "registry:cme-enquiry-create": _expect({C, A}),
    "registry:referral-create": _expect({C, A}),
    "registry:action-complete": _expect({E, A}),
    "registry:ehe-enforcement-step-create": _expect({E, A}),
    "registry:child-merge-undo": _expect({E, A}),
    "registry:referral-outcome": _expect({C, A}),
    "schools_feed:notification-list": _expect({S, E, C, I, A}),
    "notification (own school)": _expect({S, E, C, I, A}, **{I: REASON_FIRST}),
    "notification (other school)": _expect({E, C, I, A}, **{I: REASON_FIRST}),
    "schools_feed:send": _expect({S, A}),
    "schools_feed:upload": _expect({S, A}),
    "schools_feed:notification-form": _expect({S, A}),
    "schools_feed:template-download": _expect({S, A}),
    "schools_feed:submission-list": _expect({S, E, C, I, A}),
    "submission (own school)": _expect({S, E, C, I, A}, **{I: REASON_FIRST}),
    "submission (other school)": _expect({E, C, I, A}, **{I: REASON_FIRST}),
    "submission progress (own school)": _expect({S, E, C, I, A}),
    "submission progress (other school)": _expect({E, C, I, A}),
    "rejected rows (own school)": _expect({S, E, C, A}, **{I: REASON_FIRST}),
    "rejected rows (other school)": _expect({E, C, A}, **{I: REASON_FIRST}),
    "schools_feed:duplicate-children": _expect({E, C, A}),
    # A pair is reached only by a role that may see both children.
    "possible duplicate (two EHE children)": _expect({E, A}),
    "possible duplicate (an EHE and a CME child)": _expect({A}),
    "schools_feed:review-queue": _expect({E, C, A}),
    "schools_feed:review-notification": _expect({E, C, A}),
    "schools_feed:notification-undo-link": _expect({E, C, A}),
    "schools_feed:notification-query": _expect({E, C, I, A}),
    "schools_feed:joint-enquiry-list": _expect({S, C, A}),
    "schools_feed:joint-enquiry-open": _expect({S, A}),
    "joint enquiry (own school)": _expect({S, C, A}),
    "joint enquiry (other school)": _expect({C, A}),
    "admin": _expect({A}, otherwise=ADMIN_SIGN_IN),
    "offrolling:overview": _expect({I, D, A}, otherwise=FORBIDDEN),
    "offrolling:alert-list": _expect({I, D, A}, otherwise=FORBIDDEN),
    "offrolling alert": _expect({I, D, A}, otherwise=FORBIDDEN),
    "offrolling alert (outside the LA)": _expect(set(), otherwise=FORBIDDEN, **OUTSIDE_THE_LA),
    "offrolling:school": _expect({I, D, A}, otherwise=FORBIDDEN),
    "offrolling school (outside the LA)": _expect(set(), otherwise=FORBIDDEN, **OUTSIDE_THE_LA),
    "offrolling:school-children": _expect({I, A}, otherwise=FORBIDDEN),
    "offrolling briefing PDF (outside the LA)": _expect(
        set(), otherwise=FORBIDDEN, **OUTSIDE_THE_LA
    ),
    "offrolling briefing CSV (outside the LA)": _expect(
        set(), otherwise=FORBIDDEN, **OUTSIDE_THE_LA
    ),
    "registry:report-list": _expect(STATISTICS, otherwise=FORBIDDEN),
    "DfE return snapshot": _expect(STATISTICS, otherwise=FORBIDDEN),
    "DfE return file": _expect(STATISTICS, otherwise=FORBIDDEN),
    "pack snapshot": _expect({I, D, A}, otherwise=FORBIDDEN, **PACK_HIDDEN_FROM_OFFICERS),
    "pack file": _expect({I, D, A}, otherwise=FORBIDDEN, **PACK_HIDDEN_FROM_OFFICERS),
    "pack request": _expect({I, D, A}, otherwise=FORBIDDEN, **PACK_HIDDEN_FROM_OFFICERS),
    "pack request progress": _expect({I, D, A}, otherwise=FORBIDDEN, **PACK_HIDDEN_FROM_OFFICERS),
    "registry:reference-figures": _expect({D, A}, otherwise=FORBIDDEN),
    "registry:school-calendar": _expect({A}, otherwise=FORBIDDEN),
    "registry:rules-in-force": _expect({I, A}, otherwise=FORBIDDEN),
    # What parents sent (ADR 0014): EHE officers and administrators; complaints, their handlers.
    "registry:parent-notice-list": _expect({E, A}, otherwise=FORBIDDEN),
    "registry:complaint-list": _expect({I, A}, otherwise=FORBIDDEN),
    "registry:carer-portal-account": _expect({E, A}, **{I: REASON_FIRST}),
    "registry:dfe-return-validation": _expect({E, C, A}, otherwise=FORBIDDEN),
    "registry:dfe-return-validation-csv": _expect({E, C, A}, otherwise=FORBIDDEN),
    # Letters and notices (docs/rules/ehe.md §10): the team that works the child's case.
    "registry:letter-list": _expect({E, A}),
    "letter (s.437 notice)": _expect({E, A}),
    "letter (CME whereabouts)": _expect({C, A}),
}
CASES = [(page, role, status) for page, row in MATRIX.items() for role, status in row.items()]


@pytest.mark.parametrize(("page", "role", "expected"), CASES, ids=[f"{p}-{r}" for p, r, _ in CASES])
def test_each_role_gets_what_the_matrix_says_for_each_page(client, world, page, role, expected):
    sign_in(client, world["users"][role])

    response = client.get(_url(world, page))

    assert response.status_code == expected


@pytest.mark.parametrize("role", [S, C, I, D])
def test_roles_that_cannot_change_a_file_cannot_post_to_it_and_nothing_is_written(
    client, world, role
):
    sign_in(client, world["users"][role])
    before = Contact.objects.count()

    response = client.post(
        _url(world, "registry:contact-create"),
        {
            "contact_date_0": "1",
            "contact_date_1": "10",
            "contact_date_2": "2025",
            "method": "phone",
            "with_whom": "Mum",
            "summary": "Called",
            "outcome": "spoke",
        },
    )

    assert response.status_code == DENIED
    assert Contact.objects.count() == before


@pytest.mark.parametrize("role", [S, E, C, D])
def test_roles_that_cannot_review_an_off_rolling_alert_cannot_post_to_it_and_nothing_changes(
    client, world, role
):
    sign_in(client, world["users"][role])
    alert = world["local_alert"]

    response = client.post(
        _url(world, "offrolling alert"),
        {"action": "status", "status-to_status": AlertStatus.UNDER_REVIEW},
    )

    alert.refresh_from_db()
    assert response.status_code == FORBIDDEN
    assert alert.status == AlertStatus.NEW
    assert not alert.events.exists()


STATISTICS_WRITES = {
    "registry:dfe-return-produce": {
        "dfe-census_date_0": "2",
        "dfe-census_date_1": "10",
        "dfe-census_date_2": "2025",
    },
    "registry:quarterly-pack-request": {"pack-quarter": "2025-Q3"},
    "registry:population-estimate-save": {
        "population-mid_year": "2024",
        "population-aged_5_to_16": "1000",
    },
    "registry:comparator-figure-save": {
        "comparator-census_date_0": "2",
        "comparator-census_date_1": "10",
        "comparator-census_date_2": "2025",
        "comparator-geography": "england",
        "comparator-ehe_count": "1",
    },
}


@pytest.mark.parametrize("page", list(STATISTICS_WRITES))
@pytest.mark.parametrize("role", [S, E, C, I])
def test_roles_that_cannot_produce_statistics_cannot_post_and_nothing_is_written(
    client, world, page, role
):
    sign_in(client, world["users"][role])
    before = [
        model.objects.count()
        for model in (ReportSnapshot, ReportRequest, PopulationEstimate, ComparatorFigure)
    ]

    response = client.post(reverse(page), STATISTICS_WRITES[page])

    assert response.status_code == FORBIDDEN
    after = [
        model.objects.count()
        for model in (ReportSnapshot, ReportRequest, PopulationEstimate, ComparatorFigure)
    ]
    assert after == before


def test_a_school_user_asking_for_another_schools_child_by_id_learns_nothing(client, world):
    sign_in(client, world["users"][S])
    other_child = world["cme"].child

    responses = [
        client.get(reverse("registry:child-detail", args=[other_child.pk])),
        client.get(reverse("schools_feed:notification-detail", args=[world["other"].pk])),
    ]

    for response in responses:
        assert response.status_code == DENIED
        assert other_child.legal_surname not in page_text(response)
    listing = client.get(reverse("schools_feed:notification-list"))
    assert world["other"].legal_surname not in page_text(listing)
    assert world["own"].legal_surname in page_text(listing)


def test_the_dcs_home_page_shows_counts_and_never_a_childs_name(client, world):
    sign_in(client, world["users"][D])

    response = client.get(reverse("home"))

    assert response.status_code == OK
    for child in (world["ehe"].child, world["cme"].child):
        assert child.legal_surname not in page_text(response)


def test_the_dcs_statistics_pages_never_name_a_child(client, world):
    sign_in(client, world["users"][D])
    pages = ["registry:report-list", "DfE return snapshot", "pack snapshot", "pack request"]

    responses = [client.get(_url(world, page)) for page in pages]

    for response in responses:
        assert response.status_code == OK
        for child in (world["ehe"].child, world["cme"].child):
            assert child.legal_surname not in page_text(response)


def test_an_inclusion_lead_opens_a_record_after_giving_a_reason_and_the_reason_is_logged(
    client, world
):
    sign_in(client, world["users"][I])
    child = world["ehe"].child

    client.post(
        reverse("registry:child-access-reason", args=[child.pk]),
        {"purpose": "offrolling_review", "reason": "Reviewing the school's exits"},
    )
    response = client.get(reverse("registry:child-detail", args=[child.pk]))

    assert response.status_code == OK
    entry = ChildAccessLog.objects.get(child=child, user=world["users"][I])
    assert (entry.purpose, entry.reason) == ("offrolling_review", "Reviewing the school's exits")


# Every page that shows a child, and the access-log row it must write: a record opened is one
# ChildAccessLog row for that child; a list is one ChildListAccessLog row naming the children
# shown. (page: kind of row, the child it names, and the roles it applies to when not all.)
RECORD, LIST = "record", "list"
EHE_CHILD, CME_CHILD = "ehe", "cme"
CHILD_LOGS = {
    "registry:child-detail": (RECORD, EHE_CHILD, None),
    "registry:child-detail (CME child)": (RECORD, CME_CHILD, None),
    "registry:child-history": (RECORD, EHE_CHILD, None),
    "registry:child-access-log": (RECORD, EHE_CHILD, None),
    "registry:contact-create": (RECORD, EHE_CHILD, None),
    "registry:action-create": (RECORD, EHE_CHILD, None),
    "registry:decision-create": (RECORD, EHE_CHILD, None),
    "registry:child-identity": (RECORD, EHE_CHILD, None),
    "registry:child-merge": (RECORD, EHE_CHILD, None),
    "registry:ehe-episode-create": (RECORD, EHE_CHILD, None),
    "registry:cme-episode-create": (RECORD, EHE_CHILD, None),
    "registry:ehe-episode-status": (RECORD, EHE_CHILD, None),
    "registry:ehe-episode-assign": (RECORD, EHE_CHILD, None),
    "registry:ehe-episode-edit": (RECORD, EHE_CHILD, None),
    "registry:ehe-episode-consent": (RECORD, EHE_CHILD, None),
    "registry:cme-episode-status": (RECORD, CME_CHILD, None),
    "registry:cme-episode-assign": (RECORD, CME_CHILD, None),
    "registry:cme-episode-reason": (RECORD, CME_CHILD, None),
    "registry:cme-enquiry-create": (RECORD, CME_CHILD, None),
    "registry:referral-create": (RECORD, CME_CHILD, None),
    "registry:action-complete": (RECORD, EHE_CHILD, None),
    "registry:letter-list": (RECORD, EHE_CHILD, None),
    "letter (s.437 notice)": (RECORD, EHE_CHILD, None),
    "letter (CME whereabouts)": (RECORD, CME_CHILD, None),
    # The EHE officer owns an open action on the EHE child: their home page names that child.
    "home": (LIST, EHE_CHILD, {E}),
    # The inclusion lead sees it without names until a reason is given (tests/registry/test_access).
    "schools_feed:notification-list": (LIST, EHE_CHILD, {S, E, C, A}),
    "notification (own school)": (LIST, EHE_CHILD, None),
    "notification (other school)": (LIST, CME_CHILD, None),
    "submission (own school)": (LIST, EHE_CHILD, None),
    "submission (other school)": (LIST, CME_CHILD, None),
}
LOG_CASES = [
    (page, role)
    for page, (_, _, roles) in CHILD_LOGS.items()
    for role in ROLES
    if MATRIX[page][role] == OK and (roles is None or role in roles)
]


@pytest.mark.parametrize(("page", "role"), LOG_CASES, ids=[f"{p}-{r}" for p, r in LOG_CASES])
def test_each_page_that_shows_a_child_writes_its_access_log_row(client, world, page, role):
    kind, which, _ = CHILD_LOGS[page]
    user, child = world["users"][role], world[which].child
    sign_in(client, user)
    url = _url(world, page)

    response = client.get(url)

    assert response.status_code == OK
    if kind == RECORD:
        assert ChildAccessLog.objects.filter(user=user, child=child, path=url).count() == 1
    else:
        row = ChildListAccessLog.objects.get(user=user, path=url)
        assert child.pk in set(row.children.values_list("pk", flat=True))
        # Every pupil named counts, those on returns not yet linked to a record as well.
        assert row.shown >= row.children.count()


NO_LOG_CASES = [(page, role) for page in CHILD_LOGS for role in ROLES if MATRIX[page][role] != OK]


@pytest.mark.parametrize(("page", "role"), NO_LOG_CASES, ids=[f"{p}-{r}" for p, r in NO_LOG_CASES])
def test_a_page_refused_or_sent_for_a_reason_first_logs_no_child(client, world, page, role):
    sign_in(client, world["users"][role])

    client.get(_url(world, page))

    assert not ChildAccessLog.objects.exists()
    assert not ChildListAccessLog.objects.exists()


# Every named page is in the matrix above or names the test module that holds its gate: a page
# added without one fails here, so no path reaches a child unchecked.
GATED_ELSEWHERE = {
    "login": "tests/test_security_hardening.py",
    "second-factor-verify": "tests/test_security_hardening.py",
    "second-factor-enrol": "tests/test_security_hardening.py",
    "schools_feed:destination-arrival-confirm": "tests/schools_feed/test_ground_rules.py",
    "schools_feed:school-enquiry-add": "tests/schools_feed/test_ground_i_gate.py",
    "schools_feed:submission-confirm": "tests/schools_feed/test_feed_integrity.py",
    "schools_feed:submission-cancel": "tests/schools_feed/test_feed_integrity.py",
    "api:notification-list": "tests/schools_feed/test_api.py",
    "api:notification-detail": "tests/schools_feed/test_api.py",
    "api:schema": "tests/schools_feed/test_api.py",
    "registry:list-access-reason": "tests/registry/test_access.py",
    # Forms that only take a POST: every role's POST is tried above.
    **dict.fromkeys(STATISTICS_WRITES, "tests/test_permission_matrix.py"),
    "registry:letter-download": "tests/registry/test_letters.py",
    "registry:safeguarding-alert-acknowledge": "tests/registry/test_safeguarding_escalation.py",
    "registry:parent-evidence-file": "tests/registry/test_parent_portal.py",
    **{
        f"registry:{name}": "tests/registry/test_cnis_register.py"
        for name in (
            "cnis-register",
            "cnis-registration",
            "cnis-information",
            "cnis-provider-add",
            "cnis-request-send",
            "cnis-request-close",
            "cnis-registration-end",
            "cnis-registration-create",
        )
    },
    "portal:register-request": "tests/registry/test_cnis_register.py",
    "portal:account-create": "tests/registry/test_parent_accounts_and_notices.py",
    "portal:start": "tests/test_parent_portal_browser.py",
    **{
        f"portal:{name}": "tests/registry/test_parent_portal.py"
        for name in (
            "sign-in",
            "sign-in-sent",
            "sign-in-link",
            "home",
            "child",
            "letter",
            "evidence-file",
            "evidence",
            "reply",
            "complaint",
            "notice-start",
            "notice-check",
            "notice-step",
            "sent",
        )
    },
}
# Signing out needs no gate: it ends the session of whoever asks.
UNGATED = {"logout"}


def _named_pages(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_pages(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_page_is_in_the_matrix_or_names_the_tests_that_hold_its_gate(world):
    pages = {name for name in _named_pages(get_resolver().url_patterns)}
    pages = {name for name in pages if not name.startswith("admin:")}  # tests/test_admin_gates.py
    in_matrix = {resolve(urlsplit(_url(world, page)).path).view_name for page in MATRIX}

    assert pages - in_matrix - UNGATED == set(GATED_ELSEWHERE)
    for name, module in GATED_ELSEWHERE.items():
        assert name in Path(module).read_text(), f"{module} does not name {name}"
