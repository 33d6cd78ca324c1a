"""Bulk inserts through COPY write what simple-history's bulk_create_with_history writes.

Each comparison writes the same objects (same primary keys) both ways, each time inside a
savepoint that is then rolled back, and compares the rows and their historical rows column for
column. On PostgreSQL that compares COPY with INSERT; elsewhere bulk_insert_with_history falls
back to the library, and the tests check the fallback keeps the same contract.
"""

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registry.bulk import STATISTICS_MIN_ROWS, bulk_insert, bulk_insert_with_history
from registry.models import (
    Action,
    ActionStatus,
    Address,
    Carer,
    Child,
    EHEEpisode,
    EHEReason,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
    InformationSource,
    Relationship,
    User,
)
from registry.services.children import child_refresh_search_fields
from registry.services.history import ChangeReason
from schools_feed.models import (
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    School,
    Submission,
)
from tests.factories import (
    ChildFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# What COPY's text format must escape: tabs, new lines, backslashes, a literal \N, quotes.
AWKWARD = 'Tab\there "quoted" back\\slash \\N\nnew line; Zoë Ó Dálaigh 🙂'
LATER = date(2025, 11, 3)


@dataclass
class Related:
    user: User
    other_user: User
    school: School
    submission: Submission
    child: Child
    episode: EHEEpisode
    notification: Notification


@pytest.fixture
def related():
    school = SchoolFactory()
    submission = SubmissionFactory(school=school)
    child = ChildFactory()
    return Related(
        user=UserFactory(username="importer"),
        other_user=UserFactory(username="officer"),
        school=school,
        submission=submission,
        child=child,
        episode=EHEEpisodeFactory(child=child),
        notification=NotificationFactory(submission=submission),
    )


def build_children(r: Related) -> list[Child]:
    children = [
        Child(
            legal_forenames="Zoë Ann",
            middle_names=AWKWARD[:100],
            legal_surname="O'Brien-Smith",
            preferred_forename="Zo",
            former_surnames="Smith, Jones",
            date_of_birth=date(2012, 3, 4),
            sex="F",
            ethnicity="WBRI",
            upn="H801200001001",
            nhs_number="9434765919",
            consistent_child_identifier="CCI-0001",
        ),
        Child(legal_forenames="Sam", legal_surname="Patel", date_of_birth=date(2014, 9, 1)),
        Child(
            legal_forenames="Sam",
            legal_surname="Patel",
            date_of_birth=date(2014, 9, 1),
            merged_into=r.child,
        ),
    ]
    for child in children:
        child_refresh_search_fields(child)
    return children


def build_addresses(r: Related) -> list[Address]:
    return [
        Address(
            child=r.child,
            line_1=AWKWARD[:200],
            line_2="Flat 2",
            town="Worthing",
            postcode="BN11 1AA",
            valid_from=date(2020, 1, 1),
            valid_to=date(2024, 12, 31),
            source=InformationSource.SCHOOL_RETURN,
        ),
        Address(child=r.child, line_1="1 High Street", valid_from=date(2025, 1, 1)),
    ]


def build_carers(r: Related) -> list[Carer]:
    return [
        Carer(
            child=r.child,
            full_name="Ayesha O'Brien",
            relationship=Relationship.MOTHER,
            phone="01903 123456",
            email="ayesha@example.org",
            address=AWKWARD,
            is_educating=True,
        ),
        Carer(
            child=r.child,
            full_name="Tom Smith",
            relationship=Relationship.FATHER,
            has_parental_responsibility=False,
            lives_with_child=False,
        ),
    ]


def build_episodes(r: Related) -> list[EHEEpisode]:
    return [
        EHEEpisode(
            child=r.child,
            start_date=date(2025, 10, 1),
            end_date=LATER,
            assigned_officer=r.other_user,
            status=EHEStatus.RETURNED_TO_SCHOOL,
            source=EHESource.SCHOOL_DELETION,
            previous_school=r.school,
            primary_reason=EHEReason.MENTAL_HEALTH,
            secondary_reasons=[EHEReason.LIFESTYLE, "dissatisfaction_send", AWKWARD],
            parent_reason_text=AWKWARD,
            estimated_hours_from_parents=Decimal("12.5"),
            # More places than the column keeps: both writers leave the rounding to the database.
            estimated_hours_from_others=Decimal("3.25"),
            first_contact_date=date(2025, 10, 8),
            next_review_due=date(2026, 10, 8),
        ),
        # Another child: r.child already has its open episode, and the database allows one.
        EHEEpisode(child=ChildFactory(), start_date=date(2025, 12, 1), source=EHESource.PARENT),
    ]


def build_actions(r: Related) -> list[Action]:
    return [
        Action(
            child=r.child,
            ehe_episode=r.episode,
            description="Arrange a home visit",
            owner=r.other_user,
            created_by=r.user,
            due_date=date(2025, 11, 1),
        ),
        Action(
            child=r.child,
            description=AWKWARD,
            owner=r.other_user,
            created_by=r.other_user,
            due_date=date(2025, 11, 2),
            status=ActionStatus.DONE,
            completed_on=LATER,
            completion_note=AWKWARD,
        ),
    ]


def build_notifications(r: Related) -> list[Notification]:
    full = Notification(
        submission=r.submission,
        school=r.school,
        kind=NotificationKind.EXCLUSION,
        natural_key="bulk-test-1",
        row_number=2,
        raw={
            "Surname": "O'Brien",
            "Notes": AWKWARD,
            "nested": {"list": [1, 2.5, None, True, "é"], "empty": {}},
        },
        upn="H801200001001",
        legal_forenames="Zoë",
        legal_surname="O'Brien",
        date_of_birth=date(2012, 3, 4),
        sex="F",
        address=AWKWARD,
        postcode="BN11 1AA",
        parents=[{"name": "Ayesha", "relationship": "mother", "phone": None}],
        nc_year="8",
        fsm_eligible=True,
        legal_basis="2024",
        ground="f",
        deletion_date=date(2025, 10, 1),
        destination_school=r.school,
        consecutive_days_absent=12,
        exclusion_type="suspension",
        exclusion_start_date=date(2025, 9, 29),
        exclusion_days=Decimal("2.5"),
        is_late=True,
        warnings=["Received after the deletion date"],
        child=r.child,
        opened_ehe_episode=r.episode,
        match_score=Decimal("0.8765"),
        match_explanation=AWKWARD,
        match_candidates=[{"child": str(r.child.pk), "score": 0.8, "evidence": ["dob"]}],
    )
    plain = Notification(
        submission=r.submission,
        school=r.school,
        kind=NotificationKind.DELETION,
        natural_key="bulk-test-2",
        legal_forenames="Sam",
        legal_surname="Patel",
        date_of_birth=date(2014, 9, 1),
        fsm_eligible=False,
        nc_year=8,  # not a str: Django turns it into "8" for a CharField
        match_score=0.5,
    )
    # simple-history lets an instance carry its own user and reason; both writers honour them.
    plain._change_reason = ChangeReason.MATCH_REVIEW
    own_user = Notification(
        submission=r.submission,
        school=r.school,
        kind=NotificationKind.NEW_PUPIL,
        natural_key="bulk-test-3",
        legal_forenames="Ali",
        legal_surname="Khan",
        date_of_birth=date(2013, 1, 31),
        starting_date=date(2025, 9, 3),
    )
    own_user._history_user = r.other_user
    return [full, plain, own_user]


BUILDERS = {
    "child": (Child, build_children),
    "address": (Address, build_addresses),
    "carer": (Carer, build_carers),
    "ehe_episode": (EHEEpisode, build_episodes),
    "action": (Action, build_actions),
    "notification": (Notification, build_notifications),
}


def rows_written(write, objs, model):
    """Write ``objs``, read back their rows and historical rows, then roll the write back."""
    ids = [obj.pk for obj in objs]
    with transaction.atomic():
        write(objs)
        rows = list(model.objects.filter(pk__in=ids).order_by("pk").values())
        history = list(model.history.filter(id__in=ids).order_by("id").values())
        transaction.set_rollback(True)
    return rows, history


def without_history_keys(history: list[dict]) -> list[dict]:
    return [
        {key: value for key, value in row.items() if key not in ("history_id", "history_date")}
        for row in history
    ]


def copy_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("COPY ")]


def insert_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("INSERT ")]


@pytest.mark.parametrize("name", BUILDERS)
def test_rows_and_history_match_bulk_create_with_history_field_for_field(related, name):
    model, build = BUILDERS[name]
    objs = build(related)
    twins = copy.deepcopy(objs)

    expected_rows, expected_history = rows_written(
        lambda o: bulk_create_with_history(
            o,
            model,
            batch_size=500,
            default_user=related.user,
            default_change_reason=ChangeReason.SCHOOL_FEED,
        ),
        twins,
        model,
    )
    with CaptureQueriesContext(connection) as queries:
        rows, history = rows_written(
            lambda o: bulk_insert_with_history(
                o, model, user=related.user, reason=ChangeReason.SCHOOL_FEED
            ),
            objs,
            model,
        )

    # On PostgreSQL this compares COPY with INSERT (two COPYs: the rows, then their history).
    assert len(copy_statements(queries)) == (2 if connection.vendor == "postgresql" else 0)
    assert len(rows) == len(objs)
    assert rows == expected_rows
    assert len(history) == len(objs)
    assert without_history_keys(history) == without_history_keys(expected_history)
    assert {row["history_type"] for row in history} == {"+"}
    assert all(row["history_date"] is not None for row in history)


def test_history_rows_name_the_user_and_the_change_reason(related):
    children = build_children(related)

    bulk_insert_with_history(children, Child, user=related.user, reason=ChangeReason.CSV_IMPORT)

    records = Child.history.filter(id__in=[c.pk for c in children])
    assert records.count() == len(children)
    for record in records:
        assert record.history_user == related.user
        assert record.history_change_reason == ChangeReason.CSV_IMPORT
        assert record.history_type == "+"
        assert record.instance.full_name == Child.objects.get(pk=record.id).full_name


def test_an_instance_own_history_user_reason_and_date_win_over_the_defaults(related):
    full, plain, own_user = build_notifications(related)
    backdated = datetime(2025, 10, 1, 9, 30, tzinfo=UTC)
    full._history_date = backdated

    bulk_insert_with_history(
        [full, plain, own_user], Notification, user=related.user, reason=ChangeReason.API
    )

    assert full.history.get().history_date == backdated
    assert plain.history.get().history_date > backdated
    assert full.history.get().history_user == related.user
    assert full.history.get().history_change_reason == ChangeReason.API
    assert plain.history.get().history_change_reason == ChangeReason.MATCH_REVIEW
    assert own_user.history.get().history_user == related.other_user


def test_history_user_is_empty_when_no_user_is_given(related):
    addresses = build_addresses(related)

    bulk_insert_with_history(addresses, Address, user=None, reason=ChangeReason.MIGRATION)

    records = Address.history.filter(id__in=[a.pk for a in addresses])
    assert [r.history_user_id for r in records] == [None, None]
    assert {r.history_change_reason for r in records} == {ChangeReason.MIGRATION}


def test_one_history_date_serves_the_batch_and_it_is_now(related):
    before = timezone.now()
    carers = build_carers(related)

    bulk_insert_with_history(carers, Carer, user=related.user, reason=ChangeReason.CSV_IMPORT)

    dates = set(Carer.history.filter(id__in=[c.pk for c in carers]).values_list("history_date"))
    assert len(dates) in (1, len(carers))  # one for COPY; one each for the library fallback
    assert all(before <= d <= timezone.now() for (d,) in dates)


def test_inserted_objects_are_marked_as_saved(related):
    episodes = build_episodes(related)

    result = bulk_insert_with_history(
        episodes, EHEEpisode, user=related.user, reason=ChangeReason.ROUTING
    )

    assert result == episodes
    assert all(not e._state.adding and e._state.db == "default" for e in episodes)
    episodes[0].refresh_from_db()
    assert episodes[0].estimated_hours_from_others in (Decimal("3.2"), Decimal("3.3"))


def test_postgresql_writes_with_copy_and_other_databases_with_inserts(related):
    notifications = build_notifications(related)

    with CaptureQueriesContext(connection) as queries:
        bulk_insert_with_history(
            notifications, Notification, user=related.user, reason=ChangeReason.SCHOOL_FEED
        )

    if connection.vendor == "postgresql":
        rows, history = copy_statements(queries)
        assert rows.startswith('COPY "schools_feed_notification" (')
        assert history.startswith('COPY "schools_feed_historicalnotification" (')
        assert rows.endswith("FROM STDIN -- 3 rows")
        assert history.endswith("FROM STDIN -- 3 rows")
        assert insert_statements(queries) == []
    else:
        assert copy_statements(queries) == []
        assert len(insert_statements(queries)) == 2


def test_objects_without_a_primary_key_go_through_bulk_create_with_history(related):
    carers = build_carers(related)
    carers[1].pk = None

    with CaptureQueriesContext(connection) as queries:
        bulk_insert_with_history(carers, Carer, user=related.user, reason=ChangeReason.CSV_IMPORT)

    assert copy_statements(queries) == []
    assert carers[1].pk is not None
    assert Carer.objects.filter(pk__in=[c.pk for c in carers]).count() == 2
    assert Carer.history.filter(id__in=[c.pk for c in carers]).count() == 2


def test_an_expression_value_goes_through_bulk_create_with_history(related):
    notifications = build_notifications(related)
    notifications[0].received_at = Now()

    with CaptureQueriesContext(connection) as queries:
        bulk_insert_with_history(
            notifications, Notification, user=related.user, reason=ChangeReason.SCHOOL_FEED
        )

    assert copy_statements(queries) == []
    written = Notification.objects.get(pk=notifications[0].pk)
    assert written.received_at is not None
    # Now() is evaluated by each INSERT, so the historical row's time may differ slightly.
    assert written.history.get().received_at is not None


def test_an_empty_list_writes_nothing(related):
    with CaptureQueriesContext(connection) as queries:
        assert bulk_insert_with_history([], Child, user=related.user, reason="csv_import") == []
        assert bulk_insert([], EpisodeStatusChange) == []

    assert copy_statements(queries) == []
    assert insert_statements(queries) == []


def test_an_error_later_in_the_callers_transaction_rolls_rows_and_history_back(related):
    children = build_children(related)
    ids = [c.pk for c in children]

    def write_then_fail():
        with transaction.atomic():
            bulk_insert_with_history(children, Child, user=related.user, reason="csv_import")
            assert Child.objects.filter(pk__in=ids).count() == 3
            raise RuntimeError("the rest of the batch failed")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert not Child.objects.filter(pk__in=ids).exists()
    assert not Child.history.filter(id__in=ids).exists()


def test_a_duplicate_natural_key_raises_integrity_error_and_writes_nothing(related):
    first, second, _ = build_notifications(related)
    second.natural_key = first.natural_key

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert_with_history(
            [first, second], Notification, user=related.user, reason=ChangeReason.SCHOOL_FEED
        )

    assert not Notification.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert not Notification.history.filter(id__in=[first.pk, second.pk]).exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_committed_before_the_callers_transaction_commits(related):
    user = related.user
    children = build_children(related)
    ids = [c.pk for c in children]

    def write_then_give_up():
        with transaction.atomic():
            bulk_insert_with_history(children, Child, user=user, reason="csv_import")
            assert connection.in_atomic_block
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError):
        write_then_give_up()

    assert not Child.objects.filter(pk__in=ids).exists()
    assert not Child.history.filter(id__in=ids).exists()

    with transaction.atomic():
        bulk_insert_with_history(copy.deepcopy(children), Child, user=user, reason="csv_import")

    assert Child.objects.filter(pk__in=ids).count() == 3
    assert Child.history.filter(id__in=ids).count() == 3


def build_status_changes(r: Related) -> list[EpisodeStatusChange]:
    return [
        EpisodeStatusChange(
            child=r.child,
            ehe_episode=r.episode,
            to_status=EHEStatus.NOTIFIED,
            effective_date=date(2025, 10, 1),
            reason=AWKWARD,
            changed_by=r.user,
        ),
        EpisodeStatusChange(
            child=r.child,
            ehe_episode=r.episode,
            from_status=EHEStatus.NOTIFIED,
            to_status=EHEStatus.FIRST_CONTACT,
            effective_date=date(2025, 10, 8),
            reason="First contact",
            changed_at=timezone.now() - timedelta(days=3),
        ),
    ]


def build_events(r: Related) -> list[NotificationEvent]:
    return [
        NotificationEvent(
            notification=r.notification,
            child=r.child,
            event_type=NotificationEventType.EHE_EPISODE_OPENED,
            detail=AWKWARD,
            by=r.user,
        ),
        NotificationEvent(notification=r.notification, event_type=NotificationEventType.RECEIVED),
    ]


@pytest.mark.parametrize(
    ("model", "build"),
    [(EpisodeStatusChange, build_status_changes), (NotificationEvent, build_events)],
    ids=["episode_status_change", "notification_event"],
)
def test_bulk_insert_writes_untracked_rows_the_same_as_bulk_create(related, model, build):
    objs = build(related)
    twins = copy.deepcopy(objs)
    ids = [obj.pk for obj in objs]

    def written(write, rows):
        with transaction.atomic():
            write(rows)
            values = list(model.objects.filter(pk__in=ids).order_by("pk").values())
            transaction.set_rollback(True)
        return values

    expected = written(lambda rows: model.objects.bulk_create(rows), twins)
    with CaptureQueriesContext(connection) as queries:
        actual = written(lambda rows: bulk_insert(rows, model), objs)

    assert len(actual) == len(objs)
    assert actual == expected
    assert all(not obj._state.adding and obj._state.db == "default" for obj in objs)
    assert bool(copy_statements(queries)) == (connection.vendor == "postgresql")


def test_bulk_insert_refuses_a_model_that_keeps_history(related):
    with pytest.raises(ValueError, match="keeps history"):
        bulk_insert(build_carers(related), Carer)

    assert not Carer.objects.exists()


def test_untracked_rows_without_a_primary_key_go_through_bulk_create(related):
    changes = build_status_changes(related)
    changes[0].pk = None

    bulk_insert(changes, EpisodeStatusChange)

    assert changes[0].pk is not None
    assert EpisodeStatusChange.objects.filter(pk__in=[c.pk for c in changes]).count() == 2


def test_status_change_with_no_episode_is_refused_by_the_database(related):
    change = EpisodeStatusChange(
        id=uuid.uuid4(),
        child=related.child,
        to_status=EHEStatus.NOTIFIED,
        effective_date=date(2025, 10, 1),
        reason="No episode",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([change], EpisodeStatusChange)

    assert not EpisodeStatusChange.objects.exists()


@pytest.mark.django_db
def test_insert_rows_writes_plain_values_as_the_model_would_read_them():
    import uuid
    from datetime import date

    from registry.bulk import insert_rows
    from schools_feed.models import OffRollingRun, SchoolIndicator
    from tests.factories import SchoolFactory

    school = SchoolFactory()
    run = OffRollingRun.objects.create(as_of=date(2026, 1, 5), method_version="t")
    row_id = uuid.uuid4()
    fields = (
        "id",
        "run",
        "school",
        "indicator",
        "period_type",
        "period_start",
        "period_end",
        "period_label",
        "observed",
        "denominator",
        "expected",
        "rate",
        "exact_limits",
        "band",
        "rules_met",
        "breakdown",
    )

    insert_rows(
        SchoolIndicator,
        fields,
        [
            (
                row_id,
                run.pk,
                school.pk,
                "N2",
                "year",
                date(2025, 9, 1),
                date(2026, 1, 5),
                "2025/26",
                3,
                120,
                1.25,
                None,
                True,
                "within",
                ["R3"],
                {"exits": {"fsm": 2}},
            ),
        ],
    )

    stored = SchoolIndicator.objects.get()
    assert (stored.pk, stored.school, stored.period_start, stored.rate) == (
        row_id,
        school,
        date(2025, 9, 1),
        None,
    )
    assert (stored.expected, stored.rules_met, stored.breakdown) == (
        1.25,
        ["R3"],
        {"exits": {"fsm": 2}},
    )


def test_insert_rows_refuses_a_model_that_keeps_history():
    from registry.bulk import insert_rows
    from registry.models import Child

    with pytest.raises(ValueError, match="keeps history"):
        insert_rows(Child, ("id",), [])


# --- Planner statistics after a bulk write (fresh databases) ----------------------------------


def analyze_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("ANALYZE ")]


def new_children(count: int) -> list[Child]:
    children = ChildFactory.build_batch(count)
    for child in children:
        child_refresh_search_fields(child)
    return children


def test_a_large_write_to_a_table_never_analysed_refreshes_its_statistics_on_postgresql(related):
    with CaptureQueriesContext(connection) as queries:
        bulk_insert_with_history(
            new_children(STATISTICS_MIN_ROWS), Child, user=related.user, reason="bulk test"
        )

    if connection.vendor == "postgresql":
        assert analyze_statements(queries) == [
            'ANALYZE (SKIP_LOCKED) "registry_child"',
            'ANALYZE (SKIP_LOCKED) "registry_historicalchild"',
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_child'")
            # ANALYZE inside the transaction saw the rows it wrote: the planner now knows them.
            assert cursor.fetchone()[0] >= STATISTICS_MIN_ROWS
    else:
        assert analyze_statements(queries) == []


def test_a_small_write_leaves_the_statistics_to_autovacuum(related):
    with CaptureQueriesContext(connection) as queries:
        bulk_insert_with_history(new_children(30), Child, user=related.user, reason="bulk test")

    assert analyze_statements(queries) == []


INDICATORS_ANALYSED = 'ANALYZE (SKIP_LOCKED) "schools_feed_schoolindicator"'


def _indicator_rows(count: int, first: int = 0):
    """``count`` off-rolling indicator rows for one school, as plain values (``insert_rows``)."""
    import uuid
    from datetime import date, timedelta

    from schools_feed.models import OffRollingRun, School
    from tests.factories import SchoolFactory

    school = School.objects.first() or SchoolFactory()
    run = OffRollingRun.objects.first() or OffRollingRun.objects.create(
        as_of=date(2026, 1, 5), method_version="t"
    )
    fields = ("id", "run", "school", "indicator", "period_type", "period_start", "period_end")
    fields += ("period_label", "observed", "denominator", "expected", "exact_limits", "band")
    fields += ("rules_met", "breakdown")
    start = date(2000, 1, 1)
    rows = [
        (uuid.uuid4(), run.pk, school.pk, "N2", "term", start + timedelta(days=n), start)
        + ("a term", 0, 10, 0.5, True, "within", [], {})
        for n in range(first, first + count)
    ]
    return fields, rows


def test_one_schools_few_indicators_do_not_analyse_the_table_and_a_county_of_them_does():
    """``insert_rows`` counts what it wrote: a school's own recompute writes a few dozen rows
    and must not pay for an ANALYZE of every school's (it took 300 ms on a county)."""
    from registry.bulk import insert_rows
    from schools_feed.models import SchoolIndicator

    few = _indicator_rows(40)
    many = _indicator_rows(STATISTICS_MIN_ROWS, first=40)

    with CaptureQueriesContext(connection) as small:
        insert_rows(SchoolIndicator, *few)
    with CaptureQueriesContext(connection) as large:
        insert_rows(SchoolIndicator, *many)

    assert SchoolIndicator.objects.count() == 40 + STATISTICS_MIN_ROWS
    assert analyze_statements(small) == []
    if connection.vendor == "postgresql":
        assert analyze_statements(large) == [INDICATORS_ANALYSED]


def test_a_table_filled_by_many_small_writes_is_analysed_once_it_holds_enough_rows():
    """No single write reaches the threshold (a benchmark wrote 750 flags a batch, and the
    flags table was never analysed: the off-rolling count then took twice as long)."""
    from registry.bulk import insert_rows
    from schools_feed.models import SchoolIndicator

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "schools_feed_schoolindicator"')  # known, and empty
    half = STATISTICS_MIN_ROWS // 2 + 1

    with CaptureQueriesContext(connection) as first:
        insert_rows(SchoolIndicator, *_indicator_rows(half))
    with CaptureQueriesContext(connection) as second:
        insert_rows(SchoolIndicator, *_indicator_rows(half, first=half))

    assert analyze_statements(first) == []
    if connection.vendor == "postgresql":
        assert analyze_statements(second) == [INDICATORS_ANALYSED]
    else:
        assert analyze_statements(second) == []


def test_a_table_analysed_before_is_analysed_again_once_it_has_grown_by_half():
    """Not after every part of a large file: an eighth more rows leaves the statistics as they
    are (the planner scales the counts it knows by the table's size); three quarters as many
    again, past half, refreshes them."""
    from registry.bulk import insert_rows
    from schools_feed.models import SchoolIndicator

    known = 12 * STATISTICS_MIN_ROWS
    insert_rows(SchoolIndicator, *_indicator_rows(known))
    _analyse_indicators()
    try:
        with CaptureQueriesContext(connection) as an_eighth_more:
            insert_rows(SchoolIndicator, *_indicator_rows(known // 8, first=known))
        with CaptureQueriesContext(connection) as past_half:
            insert_rows(SchoolIndicator, *_indicator_rows(known * 3 // 4, first=2 * known))
    finally:
        # ANALYZE writes the row count in place, outside the test's transaction: leave the
        # table known as empty, as the other tests expect it.
        SchoolIndicator.objects.all().delete()
        _analyse_indicators()

    assert analyze_statements(an_eighth_more) == []
    if connection.vendor == "postgresql":
        assert analyze_statements(past_half) == [INDICATORS_ANALYSED]
    else:
        assert analyze_statements(past_half) == []


def _analyse_indicators() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "schools_feed_schoolindicator"')
