"""s.434A Education Act 1996 (inserted by s.37 of the Children's Wellbeing and Schools Act 2026):
the LA's consent before a parent withdraws a "relevant child" from school to educate them at
home (docs/rules/ehe.md §5).

Which children: Condition A (registered at a special school under LA arrangements; the caller
says whether the school's return shows that, with the register's one test for it) or Condition B
(a s.47 enquiry or a child protection plan), and the flags the regulations may add, listed in
``rules().consent_s434a_extra_flags``. Whether the section is in force is
``rules().consent_s434a_commenced_on``: before it, the episode carries an advisory; from it, a
withdrawal of such a child opens a consent case and the episode is not lawful (it cannot be found
suitable) until consent is recorded.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import (
    CONSENT_S434A_OUTSTANDING,
    ConsentS434A,
    Decision,
    DecisionType,
    EHEEpisode,
    FlagType,
    User,
)
from registry.rulebook import rules
from registry.services.history import ChangeReason, save_with_history

CONDITION_B_FLAGS = frozenset({FlagType.CHILD_PROTECTION_PLAN, FlagType.SECTION_47_ENQUIRY})
CONDITION_A = "Condition A: special school placement"
CONDITION_B = "Condition B: {flags}"
ADVISORY_ACTION = "Advisory ({grounds}): LA consent will be needed once s.434A commences"
CASE_ACTION = (
    "s.434A consent case ({grounds}): decide whether the LA consents to withdrawal; "
    "home education is not lawful until consent is recorded"
)


class ConsentErrors:
    NOT_AWAITED = "This episode is not waiting for a consent decision"
    DATE_IN_FUTURE = "The date must be today or in the past"


def _label(flag: str) -> str:
    try:
        return FlagType(flag).label
    except ValueError:
        return flag.replace("_", " ")


def s434a_grounds(*, flags, special_school_placement: bool) -> list[str]:
    """Why a withdrawal of this child needs the LA's consent; empty when it does not."""
    grounds = [CONDITION_A] if special_school_placement else []
    counted = CONDITION_B_FLAGS | set(rules().consent_s434a_extra_flags)
    condition_b = sorted(set(flags) & counted)
    if condition_b:
        grounds.append(CONDITION_B.format(flags=", ".join(_label(f) for f in condition_b)))
    return grounds


def ehe_consent_mark(*, episode: EHEEpisode, grounds: list[str], withdrawn_on: date) -> str:
    """Mark an EHE episode (in memory; the caller writes it) as needing consent: "awaited" when
    s.434A is in force on the day of withdrawal, else the advisory. Returns the state."""
    if not grounds:
        return ConsentS434A.NOT_NEEDED
    episode.consent_s434a_grounds = "; ".join(grounds)[:200]
    if rules().commenced("consent_s434a_commenced_on", withdrawn_on):
        episode.consent_s434a = ConsentS434A.AWAITED
    else:
        episode.consent_s434a = ConsentS434A.ADVISORY
    return episode.consent_s434a


def consent_action_text(episode: EHEEpisode) -> str:
    template = CASE_ACTION if episode.consent_s434a_outstanding else ADVISORY_ACTION
    return template.format(grounds=episode.consent_s434a_grounds)


@transaction.atomic
def ehe_consent_record(
    *, episode: EHEEpisode, by: User, given: bool, decided_on: date, reason: str
) -> Decision:
    """The LA's consent decision on a withdrawal: a decision on the child's file (who, when, why)
    and the episode's consent state. Consent makes the home education lawful; a refusal keeps it
    unlawful."""
    episode = EHEEpisode.objects.select_for_update().get(pk=episode.pk)
    if episode.consent_s434a not in CONSENT_S434A_OUTSTANDING:
        raise ValidationError(ConsentErrors.NOT_AWAITED)
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": [ConsentErrors.DATE_IN_FUTURE]})
    decision = Decision(
        child_id=episode.child_id,
        ehe_episode=episode,
        decision_type=DecisionType.CONSENT,
        decision="Consent given" if given else "Consent refused",
        reason=reason,
        decided_on=decided_on,
        decided_by=by,
    )
    save_with_history(decision, by=by, reason=ChangeReason.MANUAL_EDIT)
    episode.consent_s434a = ConsentS434A.GIVEN if given else ConsentS434A.REFUSED
    save_with_history(episode, by=by, reason=ChangeReason.MANUAL_EDIT, detail=decision.decision)
    return decision
