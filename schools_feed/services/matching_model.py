"""The matching model's versions: the one in use, and training a new one on the LA's own register
(ADR 0012)."""

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from registry.models import User
from schools_feed import linkage, matching
from schools_feed.models import MatchingModel, Notification
from schools_feed.selectors import (
    DecidedReturn,
    child_match_records,
    child_match_records_as_of,
    matching_model_adopted,
    register_terms,
    returns_decided,
)
from schools_feed.services.match_decision import match_decide, match_record

DEFAULT_METHOD = (
    "starting parameters set by hand (no training), with the prior and the name and crowded "
    "postcode frequencies counted on the register: ADR 0012"
)
STARTING_LABEL = "the starting parameters"
TRAINED_METHOD = (
    "u by random sampling of register pairs; m by expectation maximisation on pairs blocked "
    "by {sessions}; term frequencies of forenames, surnames and crowded postcodes"
)
MINIMUM_REGISTER_SIZE = linkage.MINIMUM_REGISTER_SIZE


class TooLittleToTrainOn(Exception):
    pass


_MODELS: dict[tuple, linkage.Model] = {}  # by (row, version, when trained)


def model_record_default() -> MatchingModel:
    """The starting model as the code sets it now, fitted to the register
    (``linkage.starting_model_fitted``), recorded (and adopted) the first time it is needed.
    When a release changes the starting parameters, they are recorded as a new version rather
    than changing what an old version meant: every link names the parameters that made it
    (ADR 0012)."""
    latest = _latest_starting()
    if latest is not None and _same_parameters(latest.settings, linkage.default_settings()):
        return latest
    return _record_starting(linkage.starting_model_fitted(register_terms()), first=latest is None)


def model_fit_starting() -> MatchingModel:
    """Fit the starting model to the register as it is now (its size and name frequencies,
    counted: nothing here is learnt, so it cannot learn a household) and, when the register's
    fit has changed since the last, record it as a new version and use it. A trained
    version the data manager adopted stays in use. Run weekly and by the demo seed."""
    in_use = matching_model_adopted().first()
    if in_use is not None and in_use.trained_by_label != STARTING_LABEL:
        return in_use
    # The register's names are read once: the fit is compared with the latest starting version
    # (a release's new parameters differ from it too, and are recorded the same way).
    fitted = linkage.starting_model_fitted(register_terms())
    settings, frequencies, _size = fitted
    latest = _latest_starting()
    if latest is not None and (latest.settings, latest.term_frequencies) == (settings, frequencies):
        return latest
    return _record_starting(fitted, first=latest is None)


def _latest_starting() -> MatchingModel | None:
    return (
        MatchingModel.objects.filter(trained_by_label=STARTING_LABEL).order_by("-version").first()
    )


def _record_starting(fitted: tuple[dict, dict, int], *, first: bool) -> MatchingModel:
    settings, frequencies, size = fitted
    try:
        with transaction.atomic():
            # The first starting model is version 0 (trained versions count from 1); a
            # revision or a new fit comes after every version recorded so far.
            highest = MatchingModel.objects.aggregate(v=Max("version"))["v"]
            return MatchingModel.objects.create(
                version=0 if first else highest + 1,
                settings=settings,
                term_frequencies=frequencies,
                method=DEFAULT_METHOD,
                trained_by_label=STARTING_LABEL,
                register_size=size,
                adopted_at=timezone.now(),
            )
    except IntegrityError:  # another worker recorded it at the same moment
        return _latest_starting()


def _same_parameters(stored: dict, wanted: dict) -> bool:
    """Whether two settings hold the same comparisons and parameters, whatever register size
    each prior was fitted to."""
    prior = "probability_two_random_records_match"
    return json.dumps({**stored, prior: None}, sort_keys=True) == json.dumps(
        {**wanted, prior: None}, sort_keys=True
    )


def model_current() -> linkage.Model:
    """The model matching uses now: the highest adopted version, or the starting model. A
    starting model whose parameters a release has revised gives way to the revision; a trained
    version the data manager adopted stays in use."""
    record = matching_model_adopted().first()
    if record is None or record.trained_by_label == STARTING_LABEL:
        record = model_record_default()
    key = (record.pk, record.version, record.trained_at)
    model = _MODELS.get(key)
    if model is None:
        model = linkage.Model(
            version=record.version,
            settings=record.settings,
            term_frequencies=record.term_frequencies,
            register_size=record.register_size,
        )
        _MODELS[key] = model
    return model


def _returns_for_training(since):
    notifications = Notification.objects.filter(received_at__gte=since).values_list(
        "upn",
        "legal_forenames",
        "middle_names",
        "legal_surname",
        "preferred_forename",
        "preferred_surname",
        "date_of_birth",
        "sex",
        "postcode",
        "address",
    )
    for (
        upn,
        forenames,
        middle,
        surname,
        preferred,
        other,
        dob,
        sex,
        postcode,
        address,
    ) in notifications.iterator(chunk_size=5000):
        yield linkage.MatchRecord(
            upn=upn,
            forenames=forenames,
            middle_names=middle,
            surname=surname,
            preferred_forename=preferred,
            other_surnames=(other,) if other else (),
            date_of_birth=dob,
            sex=sex,
            postcode=postcode,
            address=address,
        )


def model_adopt(*, version: int) -> MatchingModel:
    """Make ``version`` the one matching uses (after the data manager has checked it)."""
    record = MatchingModel.objects.get(version=version)
    record.adopted_at = timezone.now()
    record.save(update_fields=["adopted_at"])
    return record


def model_train(*, by: User | None = None, label: str = "", adopt: bool = False) -> MatchingModel:
    """Train a new version on the register and the returns of the last
    ``MATCH_TRAINING_RETURNS_DAYS`` days. When neither has changed since the current version was
    trained (same number of children, same returns), the current version is kept: retraining on
    the same data would learn the same model. The new version is judged against the version in
    use on the returns whose child has been decided (``model_judge``, kept as its
    ``evaluation``) and used for matching when it does no worse there, or when ``adopt`` is
    given (or ``model_adopt`` later)."""
    since = timezone.now() - timedelta(days=settings.MATCH_TRAINING_RETURNS_DAYS)
    register = [replace(record, key=None) for record, _key in child_match_records(Q())]
    recent = Notification.objects.filter(received_at__gte=since).aggregate(
        first=Min("received_at"), last=Max("received_at")
    )
    returns = list(_returns_for_training(since))
    # The latest trained version (a starting model fitted since is not one).
    current = (
        MatchingModel.objects.exclude(trained_by_label=STARTING_LABEL).order_by("-version").first()
    )
    data_to = recent["last"].date() if recent["last"] else None
    if current is not None and (current.register_size, current.returns_count, current.data_to) == (
        len(register),
        len(returns),
        data_to,
    ):
        return model_adopt(version=current.version) if adopt else current
    if len(register) < MINIMUM_REGISTER_SIZE:
        raise TooLittleToTrainOn(
            f"The register holds {len(register)} children; training needs at least "
            f"{MINIMUM_REGISTER_SIZE}. Matching keeps using version {model_current().version}."
        )
    trained, frequencies, sessions = linkage.train(register, returns)
    in_use = model_current()
    evaluation = model_judge(
        linkage.Model(in_use.version + 1, trained, frequencies, register_size=len(register)),
        in_use,
        returns_decided(since),
    )
    with transaction.atomic():
        latest = MatchingModel.objects.aggregate(v=Max("version"))["v"] or 0
        return MatchingModel.objects.create(
            version=latest + 1,
            settings=trained,
            term_frequencies=frequencies,
            trained_by=by,
            trained_by_label=label or (str(by) if by else ""),
            method=TRAINED_METHOD.format(
                sessions=", then ".join(sessions) or "nothing (too few pairs: m kept as it was)"
            )[:300],
            register_size=len(register),
            returns_count=len(returns),
            data_from=recent["first"].date() if recent["first"] else None,
            data_to=data_to,
            evaluation=evaluation,
            adopted_at=timezone.now() if adopt or evaluation["adopted"] else None,
        )


# What a model does with a decided return, as the officers' decision has it, in the order they
# are shown (PostgreSQL's JSON does not keep the order they were written in).
OUTCOMES = RIGHT_LINK, WRONG_LINK, REVIEW, MISSED, RIGHT_NEW = (
    "right link",
    "wrong link",
    "review",
    "missed",
    "right new child",
)


def judgement_lines(judged: dict) -> list[str]:
    """A version's judgement (``MatchingModel.evaluation``) in words, for the data manager."""
    lines = [
        f"{judged['officer_decisions']} returns decided by officers and "
        f"{judged['automatic_decisions']} decided automatically: {judged['why']}."
    ]
    for name, key in (
        ("This version", "this_version"),
        (f"Version {judged['compared_with']}", "version_in_use"),
    ):
        counts = judged[key]
        lines.append(f"{name}: " + ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in OUTCOMES))
    return lines


def model_judge(
    trained: linkage.Model, in_use: linkage.Model, decided: list[DecidedReturn]
) -> dict:
    """How a trained version and the version in use each match the returns whose child has been
    decided (``selectors.returns_decided``), and whether the trained one may be adopted without
    a person: only when there are at least ``MATCH_ADOPT_MINIMUM_DECISIONS`` officers'
    decisions, and it makes no more wrong links, misses no more children and sends no more
    returns to review than the version in use (ADR 0012)."""
    cases = _cases(decided)
    this, before = _outcomes(trained, cases), _outcomes(in_use, cases)
    officers = sum(1 for case, _record, _candidates in cases if case.by_officer)
    minimum = settings.MATCH_ADOPT_MINIMUM_DECISIONS
    worse = [kind for kind in (WRONG_LINK, MISSED, REVIEW) if this[kind] > before[kind]]
    if officers < minimum:
        why = f"{officers} returns decided by officers; at least {minimum} are needed to compare"
    elif worse:
        why = f"more of these than version {in_use.version}: {', '.join(worse)}"
    else:
        why = f"no worse than version {in_use.version} on any count"
    return {
        "compared_with": in_use.version,
        "officer_decisions": officers,
        "automatic_decisions": len(cases) - officers,
        "this_version": this,
        "version_in_use": before,
        "adopted": officers >= minimum and not worse,
        "why": why,
    }


def _cases(decided: list[DecidedReturn]) -> list[tuple]:
    """(the decided return, its record, its candidates' records as the register held them when
    the return arrived), for the returns with a candidate the matcher can still see (not merged
    away, not anonymised) and whose child, if any, was on the register then (not one an earlier
    row of the same file made)."""
    records = child_match_records_as_of(
        {(pk, case.notification.received_at) for case in decided for pk in case.candidate_ids}
    )
    cases = []
    for case in decided:
        when = case.notification.received_at
        candidates = [records[(pk, when)] for pk in case.candidate_ids if (pk, when) in records]
        if case.child_id is not None and (case.child_id, when) not in records:
            continue
        if candidates:
            cases.append((case, match_record(case.notification), candidates))
    return cases


def _outcomes(model: linkage.Model, cases: list[tuple]) -> dict[str, int]:
    ranked_all = matching.rank_many(
        [(record, candidates) for _case, record, candidates in cases], model=model
    )
    counts = Counter({kind: 0 for kind in OUTCOMES})
    for (case, _record, _candidates), ranked in zip(cases, ranked_all, strict=True):
        decision = match_decide(case.notification, ranked)
        if decision.outcome == matching.LINK:
            counts[RIGHT_LINK if decision.candidate.key == case.child_id else WRONG_LINK] += 1
        elif decision.outcome == matching.REVIEW:
            counts[REVIEW] += 1
        else:
            counts[MISSED if case.child_id is not None else RIGHT_NEW] += 1
    return dict(counts)
