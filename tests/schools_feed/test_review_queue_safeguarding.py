"""The match review queue: returns carrying safeguarding concerns come first whatever their age
(child protection comes first, docs/rules/cme.md §6), and every return waiting is reachable: the
queue is paged with its total shown, not cut off."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import AccessPurpose, ChildListAccessLog
from schools_feed.models import Notification, NotificationStatus
from schools_feed.views import REVIEW_QUEUE_PAGE_SIZE
from tests.factories import NotificationFactory, SubmissionFactory, sign_in

pytestmark = pytest.mark.django_db
OLD_CAP = 200


def test_a_return_with_safeguarding_concerns_is_listed_first_even_when_it_is_the_newest(
    client, cme_officer
):
    """docs/rules/cme.md §6: safeguarding first in the review queue, then oldest first."""
    now = timezone.now()
    submission = SubmissionFactory()
    NotificationFactory(
        submission=submission,
        status=NotificationStatus.REVIEW,
        legal_surname="Oldestqx",
        received_at=now - timedelta(days=10),
    )
    NotificationFactory(
        submission=submission,
        status=NotificationStatus.REVIEW,
        legal_surname="Newestqx",
        received_at=now,
        safeguarding_concerns="Bruising seen by the class teacher; DSL informed",
    )
    sign_in(client, cme_officer)

    page = client.get(reverse("schools_feed:review-queue")).content.decode()

    assert page.index("Newestqx") < page.index("Oldestqx")


def test_the_queue_lists_more_than_the_old_cap_with_paging_and_the_total(client, cme_officer):
    """docs/rules/cme.md §6: no return waiting is silently left off the queue."""
    submission = SubmissionFactory()
    now = timezone.now()
    Notification.objects.bulk_create(
        NotificationFactory.build(
            submission=submission,
            status=NotificationStatus.REVIEW,
            received_at=now - timedelta(minutes=n),
        )
        for n in range(OLD_CAP + 1)
    )
    sign_in(client, cme_officer)
    last_page = (OLD_CAP + 1 + REVIEW_QUEUE_PAGE_SIZE - 1) // REVIEW_QUEUE_PAGE_SIZE

    first = client.get(reverse("schools_feed:review-queue"))
    last = client.get(reverse("schools_feed:review-queue"), {"page": last_page})

    assert f"{OLD_CAP + 1} returns waiting" in first.content.decode()
    assert first.context["page_obj"].paginator.count == OLD_CAP + 1
    shown = len(first.context["notifications"])
    assert shown == REVIEW_QUEUE_PAGE_SIZE
    assert len(last.context["notifications"]) == (OLD_CAP + 1) - (last_page - 1) * shown


def test_the_queue_is_logged_as_the_pupils_it_names_though_none_is_linked_to_a_record_yet(
    client, cme_officer
):
    """Every page that names a child is attributable (docs/rules/data-protection.md §3): the
    returns waiting name pupils before any record is linked to them."""
    submission = SubmissionFactory()
    for surname in ("Firstwaitqx", "Secondwaitqx"):
        NotificationFactory(
            submission=submission, status=NotificationStatus.REVIEW, legal_surname=surname
        )
    sign_in(client, cme_officer)

    page = client.get(reverse("schools_feed:review-queue"))

    assert "Secondwaitqx" in page.content.decode()
    row = ChildListAccessLog.objects.get(user=cme_officer)
    assert (row.shown, row.purpose, row.path) == (
        2,
        AccessPurpose.MATCH_REVIEW,
        reverse("schools_feed:review-queue"),
    )
