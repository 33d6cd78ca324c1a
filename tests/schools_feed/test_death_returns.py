"""A deletion return on the "has died" ground, reviewed and routed as what it is."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Action, EHEStatus, Role
from schools_feed.models import NotificationStatus
from schools_feed.services.routing import notifications_route
from tests.factories import (
    ChildFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return SchoolFactory(name="Fenbridge Primary")


def death_return(school, candidate=None, **fields):
    values = {
        "school": school,
        "submission": SubmissionFactory(school=school),
        "legal_forenames": "Amelia",
        "legal_surname": "Hartly",
        "date_of_birth": date(2014, 5, 2),
        "legal_basis": "2024",
        "ground": "k",
        "deletion_date": timezone.localdate(),
        "address": "12 Orchard Way, Flat 2",
        "town": "Crawley",
        "postcode": "RH10 1AA",
        "parents": [{"name": "Rosa Hartley", "relationship": "Mother", "phone": "07700900456"}],
        "destination_reference": "",
        "status": NotificationStatus.REVIEW,
        **fields,
    }
    if candidate is not None:
        values["match_candidates"] = [
            {"child": str(candidate.pk), "score": 0.8, "evidence": ["Surname similar"]}
        ]
    return NotificationFactory(**values)


def test_the_review_page_shows_the_whole_return_beside_the_candidates(client, ehe_officer, school):
    child = ChildFactory(legal_forenames="Amelia", legal_surname="Hartley")
    destination = SchoolFactory(name="Downsview Academy")
    notification = death_return(
        school, child, ground="a", destination_school=destination, notes="Moved to Crawley"
    )
    client.force_login(ehe_officer)
    page = client.get(reverse("schools_feed:review-notification", args=[notification.pk]))
    html = page.content.decode()
    for shown in (
        "Deletion return",
        "9(1)(a) Registered at another school",
        "2024 Regulations, reg 9(1)",
        f"{timezone.localdate():%-d %B %Y}",
        "12 Orchard Way, Flat 2",
        "Crawley",
        "RH10 1AA",
        "Downsview Academy",
        "Rosa Hartley",
        "07700900456",
        "Fenbridge Primary",
        "Moved to Crawley",
        "Surname similar",
    ):
        assert shown in html, shown
    assert "This return says the child has died" not in html


def test_linking_a_death_return_records_the_death_closes_cases_and_alerts_the_officer(
    client, ehe_officer, school
):
    holder = UserFactory(role=Role.EHE_OFFICER, username="holding-officer")
    episode = EHEEpisodeFactory(assigned_officer=holder, start_date=date(2025, 9, 1))
    child = episode.child
    notification = death_return(school, child)
    client.force_login(ehe_officer)
    url = reverse("schools_feed:review-notification", args=[notification.pk])
    page = client.get(url).content.decode()
    assert "This return says the child has died" in page
    assert "9(1)(k) Has died" in page
    response = client.post(url, {"decision": str(child.pk), "why": "Same child"})
    assert response.status_code == 302
    child.refresh_from_db()
    episode.refresh_from_db()
    assert child.date_of_death == timezone.localdate()
    assert "Fenbridge Primary" in child.death_recorded_from
    assert (episode.status, episode.end_date) == (EHEStatus.CLOSED, timezone.localdate())
    alert = Action.objects.open().get(owner=holder)
    assert child.full_name in alert.description
    record = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    assert "has died" in record


def test_an_automatically_matched_death_return_is_recorded_on_the_child(school):
    child = ChildFactory()
    notification = death_return(school, child=child, status=NotificationStatus.MATCHED)
    notifications_route(notifications=[notification], by=None, reason="routing")
    child.refresh_from_db()
    notification.refresh_from_db()
    assert child.date_of_death == timezone.localdate()
    assert notification.status == NotificationStatus.ROUTED
    assert notification.events.filter(detail__contains="death is recorded").exists()
