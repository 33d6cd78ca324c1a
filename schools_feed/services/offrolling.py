"""Recomputing the off-rolling monitor (docs/rules/offrolling.md §3, ADR 0007): read the
deletions and rolls, compute, replace the indicators, raise new alerts. Idempotent, and one run at
a time.

The database does the counting: one grouped query turns up to a million deletions into a few
thousand groups (school, period markers, characteristics as at the deletion date); the pure
``offrolling.compute`` does the statistics on those.
"""

import logging
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from registry.bulk import bulk_insert, bulk_insert_with_history, insert_rows
from registry.census import january_census_day, term_of
from registry.locks import try_lock
from registry.models import ChildFlag, CMEEpisode, EHEEpisode, EHEStatus
from registry.queueing import enqueue, enqueue_on_commit
from registry.school_age import academic_year_start
from registry.school_days import academic_term_starts
from registry.services.history import ChangeReason
from schools_feed.models import (
    NOT_ARRIVED_STATUSES,
    AlertEvent,
    AlertEventType,
    DestinationCheck,
    ExclusionType,
    IndicatorReference,
    Notification,
    NotificationKind,
    OffRollingAlert,
    OffRollingRecomputeRequest,
    OffRollingRun,
    RunStatus,
    School,
    SchoolIndicator,
    SchoolRoll,
)
from schools_feed.offrolling import compute as computation
from schools_feed.offrolling.explain import explanation
from schools_feed.offrolling.method import (
    FLAG_BITS,
    METHOD_VERSION,
    Category,
    ExitCount,
    HomeEducationExit,
    Parameters,
    Period,
    earliest_date,
    periods,
)

logger = logging.getLogger(__name__)

TERM_MONTHS = {"autumn": (9, 10, 11, 12), "spring": (1, 2, 3), "summer": (4, 5, 6, 7, 8)}
# Rolls a little older than the first period still give its denominators (a term with no census).
ROLL_LOOKBACK = timedelta(days=400)
# An EHE episode is taken to follow a deletion when it opened within this many days of it.
EPISODE_FOLLOWS_DAYS = 60
RETURN_STATUSES = (EHEStatus.RETURNED_TO_SCHOOL, EHEStatus.BECAME_CME)

# Queued by name (registry/queueing.py): the tasks module imports this one.
SCHOOL_RECOMPUTE_TASK = "schools_feed.tasks.offrolling_school_recompute_task"


# The one-run-at-a-time lock on PostgreSQL (registry.locks, ADR 0009).
RUN_LOCK = "schools_feed.offrolling.recompute"
ABANDONED = "Abandoned: the process running it stopped before it finished"
TIMED_OUT = "Timed out"


class RunInProgress(Exception):
    """Another recompute holds the run slot: try again later."""


def parameters_current() -> Parameters:
    return Parameters.from_settings(settings.OFFROLLING)


# --- Entry points -------------------------------------------------------------------------------


def offrolling_recompute(
    *,
    school: School | None = None,
    as_of: date | None = None,
    triggered_by: str = "",
    parameters: Parameters | None = None,
) -> OffRollingRun:
    """Recompute every local school, or one against the LA figures of the last full run.

    Counts only returns received by the end of ``as_of`` (today by default), so a run as at a
    past date reproduces what the register knew then. Raises ``RunInProgress`` when another run
    is under way.
    """
    parameters = parameters or parameters_current()
    as_of = as_of or timezone.localdate()
    references = _stored_references() if school is not None else None
    if school is not None and not references:
        school = None  # nothing to compare one school with yet: compute them all
    with try_lock(RUN_LOCK) as locked:
        if locked is False:
            raise RunInProgress
        run = _run_start(
            school=school, as_of=as_of, parameters=parameters, by=triggered_by, locked=locked
        )
        started = time.monotonic()
        try:
            result = offrolling_compute(
                school=school, as_of=as_of, parameters=parameters, references=references
            )
            with transaction.atomic():
                run.indicators = _indicators_replace(result, run=run, school=school)
                run.alerts_raised = _alerts_raise(result, run=run, parameters=parameters)
                run.status, run.finished_at = RunStatus.FINISHED, timezone.now()
                run.save()
        except Exception as error:
            OffRollingRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
            )
            raise
    logger.info(
        "Off-rolling recompute %s: %s indicators, %s new alerts in %.1f s",
        school or "all schools",
        run.indicators,
        run.alerts_raised,
        time.monotonic() - started,
    )
    return run


def offrolling_compute(
    *,
    as_of: date,
    parameters: Parameters,
    school: School | None = None,
    references: dict | None = None,
) -> computation.Computation:
    """The figures as at ``as_of``, written nowhere: the recompute writes them, and an alert's
    stored parameters and date reproduce its evidence through this."""
    found = periods(as_of, parameters.academic_years, _calendar_term_starts(as_of, parameters))
    schools = _local_schools(school)
    school_ids = list(schools.values_list("pk", flat=True))
    return computation.compute(
        exits=_exit_counts(
            schools=schools, found=found, as_of=as_of, one_school=school is not None
        ),
        rolls=_roll_counts(schools=schools, found=found, as_of=as_of),
        school_ids=school_ids,
        periods=found,
        parameters=parameters,
        references=references,
        cases=_home_education_exits(schools=schools, found=found, as_of=as_of, p=parameters),
    )


def offrolling_recompute_request(*, school_ids) -> None:
    """New returns arrived for these schools: recompute each once they have been quiet for
    OFFROLLING_DEBOUNCE_SECONDS (each request moves the school's time on; see the task)."""
    requested_at = timezone.now()
    local = list(
        School.objects.filter(pk__in=set(school_ids), is_local=True).values_list("pk", flat=True)
    )
    # One statement for a file from every school in the county, not one a school.
    OffRollingRecomputeRequest.objects.bulk_create(
        [OffRollingRecomputeRequest(school_id=pk, requested_at=requested_at) for pk in local],
        update_conflicts=True,
        unique_fields=["school"],
        update_fields=["requested_at"],
    )
    for school_id in local:
        enqueue_on_commit(
            SCHOOL_RECOMPUTE_TASK,
            school_id,
            requested_at.isoformat(),
            countdown=settings.OFFROLLING_DEBOUNCE_SECONDS,
        )


def offrolling_requested_recompute(*, school_id: int, requested_at: str) -> str:
    """Run a debounced school recompute, unless a later request superseded this one."""
    latest = OffRollingRecomputeRequest.objects.filter(school_id=school_id).first()
    if latest is None or latest.requested_at != datetime.fromisoformat(requested_at):
        return "superseded"
    offrolling_recompute(school=latest.school, triggered_by="new returns")
    OffRollingRecomputeRequest.objects.filter(
        pk=latest.pk, requested_at=latest.requested_at
    ).delete()
    return "recomputed"


def offrolling_requests_requeue(*, older_than: timedelta) -> int:
    """Queue again the school recomputes requested more than the debounce plus ``older_than``
    ago and still standing: their task was lost (the broker was down when they were queued, or a
    worker died). A request done meanwhile is deleted; a copy of one still queued finds itself
    superseded or done, so queueing one twice changes nothing."""
    cutoff = timezone.now() - timedelta(seconds=settings.OFFROLLING_DEBOUNCE_SECONDS) - older_than
    standing = OffRollingRecomputeRequest.objects.filter(requested_at__lt=cutoff)
    return sum(
        enqueue(SCHOOL_RECOMPUTE_TASK, school_id, requested_at.isoformat())
        for school_id, requested_at in standing.values_list("school_id", "requested_at")
    )


# --- The run slot -------------------------------------------------------------------------------


def _run_start(*, school, as_of, parameters: Parameters, by: str, locked) -> OffRollingRun:
    """Record the run. Holding the advisory lock (PostgreSQL), any run still marked running was
    left by a process that died, because its session would otherwise hold the lock: it is marked
    abandoned at once. Without advisory locks (SQLite), the partial unique constraint is the
    guard and a run is taken to have died after OFFROLLING_RUN_TIMEOUT_MINUTES."""
    left_running = OffRollingRun.objects.filter(status=RunStatus.RUNNING)
    if locked:
        left_running.update(status=RunStatus.FAILED, finished_at=timezone.now(), error=ABANDONED)
    else:
        timed_out = timezone.now() - timedelta(minutes=settings.OFFROLLING_RUN_TIMEOUT_MINUTES)
        left_running.filter(started_at__lt=timed_out).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=TIMED_OUT
        )
    try:
        with transaction.atomic():
            return OffRollingRun.objects.create(
                school=school,
                as_of=as_of,
                method_version=METHOD_VERSION,
                parameters=parameters.as_dict(),
                triggered_by=by,
            )
    except IntegrityError as error:
        raise RunInProgress from error


# --- Reading ------------------------------------------------------------------------------------


def _local_schools(school: School | None) -> QuerySet[School]:
    schools = School.objects.filter(is_local=True).order_by("pk")
    return schools.filter(pk=school.pk) if school is not None else schools


def _received_by(as_of: date) -> datetime:
    return timezone.make_aware(datetime.combine(as_of + timedelta(days=1), datetime.min.time()))


def _deletions(*, schools, start: date, as_of: date) -> QuerySet[Notification]:
    return Notification.objects.filter(
        kind=NotificationKind.DELETION,
        school__in=schools,
        deletion_date__gte=start,
        deletion_date__lte=as_of,
        received_at__lt=_received_by(as_of),
    )


def _grounds(basis: str, *letters: str) -> Q:
    return Q(legal_basis=basis, ground__in=letters)


def _home_education() -> Q:
    return _grounds("2024", "f") | _grounds("2006", "d")


def _category() -> Case:
    """How a deletion counts (method.Category), from its legal basis, ground and destination."""
    destination = Q(destination_school__isnull=False) | ~Q(destination_reference="")
    new_address = ~Q(new_address="") | ~Q(new_postcode="")
    # NOT EXISTS, never NOT IN: on a freshly loaded database the planner cannot tell how many
    # unconfirmed checks there are, and an unhashed NOT IN is then run once per deletion.
    # A check that ended unconfirmed, or one an officer has yet to confirm (a destination in
    # another LA or not in GIAS), is not a normal transfer (docs/rules/offrolling.md §3).
    unconfirmed = Q(
        Exists(
            DestinationCheck.objects.filter(
                deletion=OuterRef("pk"), status__in=NOT_ARRIVED_STATUSES
            )
        )
    )
    return Case(
        When(
            (_grounds("2024", "a") | _grounds("2006", "b")) & destination & ~unconfirmed,
            then=Value(Category.TRANSFER),
        ),
        When(
            _grounds("2024", "b", "k", "l") | _grounds("2006", "j", "k", "n"),
            then=Value(Category.EXCLUDED),
        ),
        When(_home_education(), then=Value(Category.HOME_EDUCATION)),
        When(
            _grounds("2024", "h", "i")
            | _grounds("2006", "f", "h")
            | ((_grounds("2024", "g") | _grounds("2006", "e")) & ~new_address & ~destination)
            | ((_grounds("2024", "n") | _grounds("2006", "l")) & ~destination)
            | (Q(lost_pupil=True) & ~destination),
            then=Value(Category.UNKNOWN_OR_CME),
        ),
        default=Value(Category.OTHER),
    )


def _flag_bits() -> Coalesce:
    """The child's flags in force on the deletion date, as the bits of method.FLAG_BITS."""
    in_force = ChildFlag.objects.filter(
        child=OuterRef("child_id"),
        flag_type__in=list(FLAG_BITS),
        valid_from__lte=OuterRef("deletion_date"),
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("deletion_date")))
    bit = Case(
        *(When(flag_type=flag, then=Value(value)) for flag, value in FLAG_BITS.items()),
        output_field=IntegerField(),
    )
    # Distinct bit values summed are their bitwise OR, on SQLite and PostgreSQL alike.
    total = in_force.annotate(bit=bit).values("child").annotate(bits=Sum("bit", distinct=True))
    return Coalesce(Subquery(total.values("bits")[:1]), Value(0))


def _history() -> Exists:
    """A ten-day absence return or an exclusion before the deletion: an attendance or behaviour
    history (N6)."""
    return Exists(
        Notification.objects.filter(
            child=OuterRef("child_id"),
            kind__in=[NotificationKind.TEN_DAY_ABSENCE, NotificationKind.EXCLUSION],
        ).filter(
            Q(absence_start_date__lte=OuterRef("deletion_date"))
            | Q(exclusion_start_date__lte=OuterRef("deletion_date"))
        )
    )


def _exit_counts(*, schools, found: list[Period], as_of: date, one_school: bool) -> list[ExitCount]:
    start = earliest_date(found)
    deletions = _deletions(schools=schools, start=start, as_of=as_of)
    if one_school:  # a few thousand deletions: a subquery each costs less than the set below
        with _analytic_session():
            return _counted(deletions, found, flag_bits=_flag_bits(), history=_history())
    # Most children have no flag and no absence or exclusion return: their deletions are counted
    # without a subquery each (ADR 0007).
    with_history = _children_with_characteristics()
    plain = deletions.filter(Q(child__isnull=True) | ~Q(child__in=with_history))
    marked = deletions.filter(child__in=with_history)
    with _analytic_session():
        return [
            *_counted(plain, found, flag_bits=Value(0), history=Value(False)),
            *_counted(marked, found, flag_bits=_flag_bits(), history=_history()),
        ]


def _children_with_characteristics():
    """Children with a flag the method reads, or an absence or exclusion return."""
    flagged = ChildFlag.objects.filter(flag_type__in=list(FLAG_BITS)).values("child_id")
    returns = Notification.objects.filter(
        child__isnull=False,
        kind__in=[NotificationKind.TEN_DAY_ABSENCE, NotificationKind.EXCLUSION],
    ).values("child_id")
    return flagged.order_by().union(returns.order_by())


def _calendar_term_starts(as_of: date, parameters: Parameters) -> dict[int, dict[str, date]]:
    """Each academic year's term starts from the LA's school calendar (the months where none is
    loaded): docs/rules/registration.md §5.3."""
    current = academic_year_start(as_of)
    first = current - parameters.academic_years + 1
    return {year: academic_term_starts(year) for year in range(first, current + 1)}


def _counted(deletions, found: list[Period], *, flag_bits, history) -> list[ExitCount]:
    rolling = next(p for p in found if p.period_type == "rolling")
    years = sorted({p.academic_year for p in found})
    rows = (
        deletions.annotate(
            category=_category(),
            academic_year=Case(
                When(deletion_date__month__gte=9, then=ExtractYear("deletion_date")),
                default=ExtractYear("deletion_date") - 1,
            ),
            # The terms of the periods (from the LA's calendar); the months outside them.
            term=Case(
                *(
                    When(deletion_date__range=(p.start, p.end), then=Value(term_of(p.start)))
                    for p in found
                    if p.period_type == "term"
                ),
                *(When(deletion_date__month__in=m, then=Value(t)) for t, m in TERM_MONTHS.items()),
            ),
            pre_census=Case(
                *(
                    When(
                        deletion_date__range=(date(year, 9, 1), january_census_day(year)),
                        then=Value(True),
                    )
                    for year in years
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            in_rolling=Case(
                When(deletion_date__gte=rolling.start, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            cohort=Case(
                When(
                    nc_year="",
                    then=Case(
                        When(date_of_birth__month__gte=9, then=ExtractYear("date_of_birth")),
                        default=ExtractYear("date_of_birth") - 1,
                    ),
                ),
                default=None,
            ),
            sen=Case(
                When(sen_provision__in=["E", "K"], then=F("sen_provision")), default=Value("")
            ),
            fsm=Coalesce("fsm_eligible", Value(False)),
            flag_bits=flag_bits,
            history=history,
        )
        .values_list(
            "school_id",
            "category",
            "academic_year",
            "term",
            "pre_census",
            "in_rolling",
            "nc_year",
            "cohort",
            "sen",
            "fsm",
            "flag_bits",
            "history",
        )
        .annotate(count=Count("id"))
        .order_by()
    )
    return [ExitCount._make(row) for row in rows]


@contextmanager
def _analytic_session():
    """Settings for the grouped counts, for this transaction only. At county scale PostgreSQL's
    JIT spent longer compiling the count than running it (1.6 s of 4.8 s), and the default
    work_mem sent its sort to disk."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '256MB'")
        yield


def _roll_counts(*, schools, found: list[Period], as_of: date) -> list[computation.RollCount]:
    rolls = SchoolRoll.objects.filter(
        school__in=schools,
        census_date__gte=earliest_date(found) - ROLL_LOOKBACK,
        census_date__lte=as_of,
    ).values_list(
        "school_id",
        "census_date",
        "nc_year",
        "number_on_roll",
        "fsm_count",
        "sen_support_count",
        "ehcp_count",
        "social_care_count",
    )
    return [computation.RollCount(*row) for row in rolls]


def _home_education_exits(*, schools, found, as_of, p: Parameters) -> list[HomeEducationExit]:
    """The home-education deletions of the years that can raise alerts, with what happened to
    each child around them (R6)."""
    years = sorted({period.academic_year for period in found if period.period_type == "year"})
    start = date(years[-p.alert_years :][0], 9, 1)
    deletions = (
        _deletions(schools=schools, start=start, as_of=as_of)
        .filter(_home_education())
        .annotate(flag_bits=_flag_bits())
    )
    rows = list(
        deletions.values(
            "id",
            "school_id",
            "child_id",
            "deletion_date",
            "parent_notice_date",
            "sen_provision",
            "flag_bits",
        )
    )
    facts = _child_facts({row["child_id"] for row in rows if row["child_id"]}, as_of)
    return [
        HomeEducationExit(
            notification_id=str(row["id"]),
            school_id=row["school_id"],
            deletion_date=row["deletion_date"],
            parent_notice_date=row["parent_notice_date"],
            sen_provision=row["sen_provision"],
            flag_bits=row["flag_bits"],
            reasons=facts.reasons_after(row["id"], row["child_id"], row["deletion_date"]),
            suspensions=facts.suspensions.get(row["child_id"], ()),
            permanent_exclusions=facts.permanent_exclusions.get(row["child_id"], ()),
            returns=facts.returns.get(row["child_id"], ()),
        )
        for row in rows
    ]


@dataclass
class _ChildFacts:
    episodes: dict  # child id -> [(opening notification id, start date, reasons)]
    suspensions: dict
    permanent_exclusions: dict
    returns: dict

    def reasons_after(self, notification_id, child_id, deleted_on: date) -> frozenset:
        """The reasons of the EHE episode this deletion opened, or one opened soon after it."""
        for opened_by, start, reasons in self.episodes.get(child_id, ()):
            soon_after = deleted_on <= start <= deleted_on + timedelta(days=EPISODE_FOLLOWS_DAYS)
            if opened_by == notification_id or soon_after:
                return reasons
        return frozenset()


def _child_facts(children: set, as_of: date) -> _ChildFacts:
    episodes, suspensions, exclusions, returns = (defaultdict(list) for _ in range(4))
    ehe = EHEEpisode.objects.filter(child_id__in=children).values_list(
        "child_id",
        "opening_notification",
        "start_date",
        "primary_reason",
        "secondary_reasons",
        "status",
        "end_date",
    )
    for child_id, opened_by, start, primary, secondary, status, end in ehe:
        episodes[child_id].append((opened_by, start, frozenset([primary, *(secondary or [])])))
        if status in RETURN_STATUSES and end:
            returns[child_id].append(end)
    for child_id, start in CMEEpisode.objects.filter(child_id__in=children).values_list(
        "child_id", "start_date"
    ):
        returns[child_id].append(start)
    related = Notification.objects.filter(
        child_id__in=children, received_at__lt=_received_by(as_of)
    )
    for child_id, kind, exclusion_type, excluded_on, started_on in related.filter(
        kind__in=[NotificationKind.EXCLUSION, NotificationKind.NEW_PUPIL]
    ).values_list("child_id", "kind", "exclusion_type", "exclusion_start_date", "starting_date"):
        if kind == NotificationKind.NEW_PUPIL and started_on:
            returns[child_id].append(started_on)
        elif exclusion_type == ExclusionType.PERMANENT:
            exclusions[child_id].append(excluded_on)
        elif excluded_on:
            suspensions[child_id].append(excluded_on)
    return _ChildFacts(episodes, suspensions, exclusions, returns)


def _stored_references() -> dict:
    return {
        (ref.indicator, ref.period_type, ref.period_start): computation.Reference(
            indicator=ref.indicator,
            period=None,
            observed=ref.observed,
            denominator=ref.denominator,
            rate=ref.rate,
            schools=ref.schools,
            phi=ref.phi,
            phi_applied=ref.phi_applied,
            strata=ref.strata,
            extra=ref.extra,
        )
        for ref in IndicatorReference.objects.all()
    }


# --- Writing ------------------------------------------------------------------------------------


INDICATOR_FIELDS = (
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
    "la_rate",
    "ratio",
    "warning_lower",
    "warning_upper",
    "alert_upper",
    "exact_limits",
    "band",
    "rules_met",
    "breakdown",
)


def _indicators_replace(result, *, run: OffRollingRun, school: School | None) -> int:
    """Replace the indicators (all, or one school's) with the run's. Written as plain rows:
    a county's 57,000 model instances would cost more than the write (registry.bulk)."""
    rows = [
        (
            uuid.uuid4(),
            run.pk,
            r.school_id,
            r.indicator,
            r.period.period_type,
            r.period.start,
            r.period.end,
            r.period.label,
            r.observed,
            r.denominator,
            r.expected,
            r.rate,
            r.la_rate,
            r.ratio,
            r.warning_lower,
            r.warning_upper,
            r.alert_upper,
            r.exact_limits,
            r.band,
            r.rules_met,
            r.breakdown,
        )
        for r in result.results
    ]
    if school is None:
        SchoolIndicator.objects.all().delete()
        IndicatorReference.objects.all().delete()
        bulk_insert([_reference_row(ref, run) for ref in result.references], IndicatorReference)
    else:
        SchoolIndicator.objects.filter(school=school).delete()
    insert_rows(SchoolIndicator, INDICATOR_FIELDS, rows)
    return len(rows)


def _reference_row(ref: computation.Reference, run: OffRollingRun) -> IndicatorReference:
    return IndicatorReference(
        run=run,
        indicator=ref.indicator,
        period_type=ref.period.period_type,
        period_start=ref.period.start,
        period_end=ref.period.end,
        period_label=ref.period.label,
        observed=ref.observed,
        denominator=ref.denominator,
        rate=ref.rate,
        schools=ref.schools,
        phi=ref.phi,
        phi_applied=ref.phi_applied,
        strata=ref.strata,
        extra=ref.extra,
    )


def alert_key(*, urn: str, rule: str, indicator: str, group: str, period: Period) -> str:
    return f"{urn}|{rule}|{indicator}|{group}|{period.period_type}:{period.start.isoformat()}"


def _alerts_raise(result, *, run: OffRollingRun, parameters: Parameters) -> int:
    """Raise the alerts not raised before. An alert already raised for the same school, rule,
    indicator and period keeps its evidence and its review: a recompute never rewrites it."""
    urns = dict(School.objects.filter(is_local=True).values_list("pk", "urn"))
    candidates = {
        alert_key(
            urn=urns[c.school_id],
            rule=c.rule,
            indicator=c.indicator,
            group=c.group,
            period=c.period,
        ): c
        for c in result.alerts
    }
    existing = set(
        OffRollingAlert.objects.filter(key__in=list(candidates)).values_list("key", flat=True)
    )
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=parameters.review_due_days)
    alerts = []
    for key, candidate in candidates.items():
        if key in existing:
            continue
        evidence = {**candidate.evidence, "group": candidate.group}
        alerts.append(
            OffRollingAlert(
                key=key,
                school_id=candidate.school_id,
                rule=candidate.rule,
                indicator=candidate.indicator,
                group=candidate.group,
                period_type=candidate.period.period_type,
                period_start=candidate.period.start,
                period_end=candidate.period.end,
                period_label=candidate.period.label,
                explanation=explanation(candidate.rule, candidate.indicator, evidence),
                evidence=evidence,
                parameters=run.parameters,
                method_version=run.method_version,
                run=run,
                raised_at=now,
                due_date=due,
            )
        )
    bulk_insert_with_history(alerts, OffRollingAlert, user=None, reason=ChangeReason.OFFROLLING)
    bulk_insert(
        [
            AlertEvent(
                alert=alert, event_type=AlertEventType.RAISED, to_status=alert.status, at=now
            )
            for alert in alerts
        ],
        AlertEvent,
    )
    return len(alerts)
