"""The rows of schools' returns under the retention schedule (docs/rules/data-protection.md §4):
a row follows its child; a row never linked to a child goes six years after it arrived."""

from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from registry.models import Child, RetentionRun, Role
from registry.services import retention as register_retention
from schools_feed.models import Notification, NotificationEvent, NotTheSameChild, PossibleDuplicate
from schools_feed.services import retention
from tests.factories import ChildFactory, NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

ON = date(2026, 12, 5)


def _arrived(year: int, month: int = 1, day: int = 10) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def past_child():
    return ChildFactory(legal_surname="Returnsqx", date_of_birth=date(2000, 6, 14))


def test_a_row_of_a_return_is_anonymised_with_its_child(past_child):
    """A return's row linked to a child follows the child's record
    (docs/rules/data-protection.md §4)."""
    row = NotificationFactory(
        child=past_child,
        legal_surname="Returnsqx",
        address="3 Quiet Road",
        parents=[{"name": "Ada Returnsqx"}],
        raw={"Surname": "Returnsqx"},
        received_at=_arrived(2014),
        date_of_birth=date(2000, 6, 14),
    )
    NotificationEvent.objects.create(
        notification=row, event_type="queried", detail="Asked about Returnsqx"
    )

    register_retention.retention_apply(on=ON)
    done = retention.notifications_anonymise(on=ON)

    row.refresh_from_db()
    assert done == 1
    assert (row.legal_surname, row.address, row.parents, row.raw) == ("Anonymised", "", [], {})
    assert row.date_of_birth == date(2000, 6, 1)
    assert row.kind == "deletion"
    assert not Notification.history.model.objects.filter(legal_surname="Returnsqx").exists()
    assert NotificationEvent.objects.get(notification=row).detail == ""


def test_a_row_of_a_child_not_yet_anonymised_is_kept(past_child):
    row = NotificationFactory(
        child=past_child, legal_surname="Returnsqx", received_at=_arrived(2014)
    )

    assert retention.notifications_anonymise(on=ON) == 0
    row.refresh_from_db()
    assert row.legal_surname == "Returnsqx"


def test_an_unlinked_row_goes_six_years_after_it_arrived():
    """Raw school returns: 6 years (docs/rules/data-protection.md §4)."""
    old = NotificationFactory(legal_surname="Oldrowqx", received_at=_arrived(2020, 12, 4))
    recent = NotificationFactory(legal_surname="Recentrowqx", received_at=_arrived(2020, 12, 6))

    assert retention.notifications_anonymise(on=ON) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.legal_surname, recent.legal_surname) == ("Anonymised", "Recentrowqx")


def test_a_second_run_and_a_dry_run_change_nothing():
    row = NotificationFactory(legal_surname="Oldrowqx", received_at=_arrived(2019))
    assert retention.notifications_anonymise(on=ON, dry_run=True) == 1
    row.refresh_from_db()
    assert row.legal_surname == "Oldrowqx"

    retention.notifications_anonymise(on=ON)
    history = Notification.history.model.objects.filter(id=row.pk).count()

    assert retention.notifications_anonymise(on=ON) == 0
    assert Notification.history.model.objects.filter(id=row.pk).count() == history
    runs = RetentionRun.objects.order_by("started_at")
    assert [run.by_rule for run in runs] == [
        {retention.RULE_SCHOOL_RETURNS: 1},
        {retention.RULE_SCHOOL_RETURNS: 1},
        {},
    ]


def test_the_command_anonymises_children_then_their_returns(past_child):
    NotificationFactory(child=past_child, legal_surname="Returnsqx", received_at=_arrived(2014))
    out = StringIO()

    call_command("apply_retention", "--as-at", ON.isoformat(), stdout=out)

    assert "1 children anonymised" in out.getvalue()
    assert "Rows of schools' returns anonymised: 1." in out.getvalue()
    assert Child.objects.get(pk=past_child.pk).anonymised_at is not None
    assert not Notification.objects.filter(legal_surname="Returnsqx").exists()


def test_a_held_childs_returns_are_kept(past_child):
    admin = UserFactory(role=Role.ADMINISTRATOR, username="returns-admin")
    register_retention.legal_hold_place(child=past_child, by=admin, reason="Claim")
    NotificationFactory(child=past_child, legal_surname="Returnsqx", received_at=_arrived(2014))

    call_command("apply_retention", "--as-at", ON.isoformat(), stdout=StringIO())

    assert Notification.objects.filter(legal_surname="Returnsqx").exists()


def test_a_possible_duplicate_of_an_anonymised_child_is_dropped(past_child):
    other = ChildFactory(legal_surname="Returnsqx", date_of_birth=date(2010, 6, 14))
    PossibleDuplicate.objects.create(
        child=past_child,
        other=other,
        probability=0.9,
        evidence=["Same surname Returnsqx"],
        model_version=0,
    )

    call_command("apply_retention", "--as-at", ON.isoformat(), stdout=StringIO())

    assert not PossibleDuplicate.objects.exists()
    assert Child.objects.get(pk=other.pk).legal_surname == "Returnsqx"


def test_a_decision_that_an_anonymised_child_is_another_childs_twin_is_dropped_with_its_reason(
    past_child,
):
    other = ChildFactory(legal_surname="Returnsqx", date_of_birth=date(2010, 6, 14))
    first, second = sorted((past_child, other), key=lambda child: str(child.pk))
    NotTheSameChild.objects.create(
        first_child=first,
        second_child=second,
        reason="Twin of Returnsqx at 4 Mill Lane",
        decided_by=UserFactory(role=Role.EHE_OFFICER),
    )

    call_command("apply_retention", "--as-at", ON.isoformat(), stdout=StringIO())

    assert not NotTheSameChild.objects.exists()
    assert not NotTheSameChild.history.exclude(reason="").exists()
