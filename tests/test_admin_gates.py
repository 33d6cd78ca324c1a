"""The Django admin goes through the same gates, lifecycle and access log as every page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import (
    ChildAccessLog,
    ChildListAccessLog,
    ChildMerge,
    EHEEpisode,
    EHEStatus,
    EpisodeStatusChange,
    Role,
)
from schools_feed.models import DestinationCheck
from tests.factories import (
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)
from tests.pages import page_text

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def ehe_staff(client):
    """An EHE officer with the admin open to them: their gate reaches EHE children only."""
    user = UserFactory(role=Role.EHE_OFFICER, is_staff=True, is_superuser=True)
    sign_in(client, user)
    return user


@pytest.fixture
def cme_only_child(db):
    return CMEEpisodeFactory().child


def test_admin_history_view_of_a_child_outside_the_gate_is_refused(
    client, ehe_staff, cme_only_child
):
    response = client.get(reverse("admin:registry_child_history", args=[cme_only_child.pk]))

    assert response.status_code == 404
    assert cme_only_child.legal_surname not in page_text(response)
    assert not ChildAccessLog.objects.exists()


def test_admin_historical_version_of_a_child_outside_the_gate_is_refused(
    client, ehe_staff, cme_only_child
):
    version = cme_only_child.history.first()

    response = client.get(
        reverse("admin:registry_child_simple_history", args=[cme_only_child.pk, version.history_id])
    )

    assert response.status_code == 404


def test_admin_history_view_of_a_cme_episode_outside_the_gate_is_refused(client, ehe_staff):
    episode = CMEEpisodeFactory()

    response = client.get(reverse("admin:registry_cmeepisode_history", args=[episode.pk]))

    assert response.status_code == 404


def test_admin_history_view_of_another_schools_notification_is_refused(client):
    school, other = SchoolFactory(), SchoolFactory()
    user = UserFactory(role=Role.SCHOOL_USER, is_staff=True, is_superuser=True)
    user.schools.add(school)
    sign_in(client, user)
    notification = NotificationFactory(school=other)

    response = client.get(
        reverse("admin:schools_feed_notification_history", args=[notification.pk])
    )

    assert response.status_code == 404


def test_admin_history_of_a_child_inside_the_gate_is_shown_and_logged(client, ehe_staff):
    child = EHEEpisodeFactory().child

    response = client.get(reverse("admin:registry_child_history", args=[child.pk]))

    assert response.status_code == 200
    logged = ChildAccessLog.objects.get()
    assert (logged.child, logged.user) == (child, ehe_staff)


def test_admin_child_page_and_list_write_access_log_rows(client, ehe_staff):
    child = EHEEpisodeFactory().child

    page = client.get(reverse("admin:registry_child_change", args=[child.pk]))
    listing = client.get(reverse("admin:registry_child_changelist"))

    assert page.status_code == listing.status_code == 200
    assert ChildAccessLog.objects.filter(child=child, user=ehe_staff).count() == 1
    assert list(ChildListAccessLog.objects.get().children.all()) == [child]


def test_admin_pages_of_a_return_not_yet_linked_to_a_record_are_logged(client, ehe_staff):
    """The return names a pupil with no record yet: the list and the page each leave a row."""
    waiting = NotificationFactory(legal_surname="Unlinkedqx")

    page = client.get(reverse("admin:schools_feed_notification_change", args=[waiting.pk]))
    listing = client.get(reverse("admin:schools_feed_notification_changelist"))

    assert page.status_code == listing.status_code == 200
    assert "Unlinkedqx" in page_text(page)
    rows = ChildListAccessLog.objects.filter(user=ehe_staff).order_by("accessed_at", "pk")
    assert [(row.shown, row.children.count()) for row in rows] == [(1, 0), (1, 0)]


def test_admin_lists_of_merges_and_of_the_access_log_are_logged_as_children_shown(
    client, ehe_staff
):
    kept = EHEEpisodeFactory().child
    ChildMerge.objects.create(
        kept=kept, merged=ChildFactory(), reason="Same child", merged_by=ehe_staff, moved_rows={}
    )

    merges = client.get(reverse("admin:registry_childmerge_changelist"))
    client.get(reverse("admin:registry_child_change", args=[kept.pk]))  # one reading to list
    readings = client.get(reverse("admin:registry_childaccesslog_changelist"))

    assert merges.status_code == readings.status_code == 200
    rows = ChildListAccessLog.objects.filter(user=ehe_staff).order_by("accessed_at", "pk")
    assert [(row.path, list(row.children.all())) for row in rows] == [
        (reverse("admin:registry_childmerge_changelist"), [kept]),
        (reverse("admin:registry_childaccesslog_changelist"), [kept]),
    ]


def test_admin_adding_a_child_behind_the_services_is_refused(client, ehe_staff):
    response = client.post(
        reverse("admin:registry_child_add"),
        {"legal_forenames": "Amelia", "legal_surname": "Hartley", "date_of_birth": "2015-03-14"},
    )

    assert response.status_code == 403


def test_admin_editing_a_childs_upn_behind_the_services_is_refused(client, ehe_staff):
    child = EHEEpisodeFactory().child

    response = client.post(
        reverse("admin:registry_child_change", args=[child.pk]),
        {"legal_forenames": child.legal_forenames, "upn": "not-a-upn"},
    )

    assert response.status_code == 403
    child.refresh_from_db()
    assert child.upn == ""


def test_admin_editing_an_episode_status_without_a_status_event_is_refused(client, ehe_staff):
    episode = EHEEpisodeFactory(start_date=TODAY - timedelta(days=30))

    response = client.post(
        reverse("admin:registry_eheepisode_change", args=[episode.pk]),
        {"status": EHEStatus.BECAME_CME, "end_date": TODAY.isoformat()},
    )

    assert response.status_code == 403
    episode.refresh_from_db()
    assert (episode.status, episode.end_date) == (EHEStatus.NOTIFIED, None)
    assert not EpisodeStatusChange.objects.exists()


def test_admin_adding_an_episode_behind_the_lifecycle_is_refused(client, ehe_staff):
    child = EHEEpisodeFactory(status=EHEStatus.CLOSED, end_date=TODAY).child

    response = client.post(
        reverse("admin:registry_eheepisode_add"),
        {"child": child.pk, "start_date": TODAY.isoformat(), "status": "suitable"},
    )

    assert response.status_code == 403
    assert EHEEpisode.objects.count() == 1


def test_admin_merge_of_children_outside_the_gate_is_hidden(client, ehe_staff):
    kept, merged = CMEEpisodeFactory().child, ChildFactory()
    merge = ChildMerge.objects.create(
        kept=kept, merged=merged, reason="Same child", merged_by=ehe_staff, moved_rows={}
    )

    page = client.get(reverse("admin:registry_childmerge_change", args=[merge.pk]))
    listing = client.get(reverse("admin:registry_childmerge_changelist"))

    assert page.status_code == 404
    assert kept.legal_surname not in page_text(listing)


def test_admin_destination_check_of_another_schools_return_is_hidden(client):
    school, other = SchoolFactory(), SchoolFactory()
    user = UserFactory(role=Role.SCHOOL_USER, is_staff=True, is_superuser=True)
    user.schools.add(school)
    sign_in(client, user)
    deletion = NotificationFactory(school=other, child=ChildFactory())
    check = DestinationCheck.objects.create(
        deletion=deletion,
        child=deletion.child,
        destination_school=SchoolFactory(),
        expected_start=TODAY,
        due_by=TODAY,
    )

    page = client.get(reverse("admin:schools_feed_destinationcheck_change", args=[check.pk]))
    history = client.get(reverse("admin:schools_feed_destinationcheck_history", args=[check.pk]))

    assert page.status_code == history.status_code == 404
