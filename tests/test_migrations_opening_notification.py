"""The opening notification moves from the episode to the return (schools_feed 0007, registry
0012, schools_feed 0008): every episode's opener is carried over, and carried back."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import ChildFactory, SubmissionFactory

BEFORE = [("schools_feed", "0006_school_moves_to_registry")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def notification(apps, submission, child, number: int):
    return apps.get_model("schools_feed", "Notification").objects.create(
        submission_id=submission.pk,
        school_id=submission.school_id,
        kind="deletion",
        natural_key=f"migration-test-{number}",
        legal_forenames="Amelia",
        legal_surname="Hartley",
        date_of_birth=date(2015, 3, 14),
        child_id=child.pk if child else None,
    )


def history_row(apps, row, at):
    """A historical row of ``row`` as simple-history writes one, dated ``at``."""
    Notification = apps.get_model("schools_feed", "Notification")
    HistoricalNotification = apps.get_model("schools_feed", "HistoricalNotification")
    values = {f.attname: getattr(row, f.attname) for f in Notification._meta.concrete_fields}
    return HistoricalNotification.objects.create(**values, history_date=at, history_type="~")


@pytest.mark.django_db(transaction=True)
def test_each_episodes_opening_notification_is_carried_onto_the_return_and_back():
    submission = SubmissionFactory()
    amelia, ben, cara, dev = (ChildFactory() for _ in range(4))
    try:
        old = migrate(BEFORE)
        EHEEpisode = old.get_model("registry", "EHEEpisode")
        CMEEpisode = old.get_model("registry", "CMEEpisode")
        opened = timezone.now() - timedelta(days=30)

        home_education = notification(old, submission, amelia, 1)
        ehe = EHEEpisode.objects.create(
            child_id=amelia.pk,
            start_date=date(2025, 10, 6),
            source="school_deletion",
            opening_notification_id=home_education.pk,
            created_at=opened,
        )
        before_it_opened = history_row(old, home_education, opened - timedelta(days=1))
        after_it_opened = history_row(old, home_education, opened + timedelta(days=1))
        missing = notification(old, submission, ben, 2)
        cme = CMEEpisode.objects.create(
            child_id=ben.pk,
            start_date=date(2025, 10, 6),
            source="school_deletion",
            opening_notification_id=missing.pk,
        )
        # A link undone and the return routed again for another child: it opened two cases.
        # The one on the child it is linked to now (cara) is kept, though it is the older.
        relinked = notification(old, submission, cara, 3)
        on_its_child = EHEEpisode.objects.create(
            child_id=cara.pk,
            start_date=date(2025, 9, 1),
            source="school_deletion",
            opening_notification_id=relinked.pk,
            created_at=opened,
        )
        on_another_child = EHEEpisode.objects.create(
            child_id=dev.pk,
            start_date=date(2025, 9, 2),
            source="school_deletion",
            opening_notification_id=relinked.pk,
        )
        no_return = EHEEpisode.objects.create(
            child_id=ben.pk, start_date=date(2025, 10, 1), source="parent"
        )

        new = migrate(latest())
        Notification = new.get_model("schools_feed", "Notification")
        HistoricalNotification = new.get_model("schools_feed", "HistoricalNotification")
        opened = {
            pk: (ehe_key, cme_key)
            for pk, ehe_key, cme_key in Notification.objects.values_list(
                "pk", "opened_ehe_episode_id", "opened_cme_episode_id"
            )
        }
        assert opened == {
            home_education.pk: (ehe.pk, None),
            missing.pk: (None, cme.pk),
            relinked.pk: (on_its_child.pk, None),
        }
        history = HistoricalNotification.objects.in_bulk([before_it_opened.pk, after_it_opened.pk])
        assert history[before_it_opened.pk].opened_ehe_episode_id is None
        assert history[after_it_opened.pk].opened_ehe_episode_id == ehe.pk
        EHEEpisode = new.get_model("registry", "EHEEpisode")
        assert "opening_notification_id" not in {
            f.attname for f in EHEEpisode._meta.concrete_fields
        }

        old = migrate(BEFORE)
        ehe_openers = dict(
            old.get_model("registry", "EHEEpisode").objects.values_list(
                "pk", "opening_notification_id"
            )
        )
        assert ehe_openers == {
            ehe.pk: home_education.pk,
            on_its_child.pk: relinked.pk,
            on_another_child.pk: None,  # the one case a return no longer records
            no_return.pk: None,
        }
        cme_openers = old.get_model("registry", "CMEEpisode").objects.values_list(
            "pk", "opening_notification_id"
        )
        assert list(cme_openers) == [(cme.pk, missing.pk)]
    finally:
        migrate(latest())
