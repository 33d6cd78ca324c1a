"""Each alert in words a headteacher would accept: what was counted, what was expected for a
school of this size and intake, why it stands out, and who left. Pure: built from the evidence
the alert stores, so the words can be rebuilt from it at any time.

The same words serve the LA's own pages, with exact counts, and everything that leaves the LA
(the school briefing, the export), where a count under 3 reads "fewer than 3" and a share or a
ratio that would give such a count away is not shown (``Counts``).
"""

from dataclasses import dataclass

from schools_feed.offrolling.method import PROMPT_LABELS

WHAT_LEFT = {
    "N1": "left the school's roll other than by a normal transfer to another school",
    "N2": "left to home education",
    "N3": "left to an unknown destination or to missing education",
    "N4": "left Years 10 and 11 other than by a normal transfer",
    "N5": "left Year 11 before the January census, or Year 10 in the summer term",
    "N6": (
        "with SEN, free school meals, social care involvement or an attendance or behaviour "
        "history left other than by a normal transfer"
    ),
}
TRAITS = {
    "fsm": "eligible for free school meals",
    "sen": "on SEN support or with an EHC plan",
    "social_care": "looked after, in need or on a child protection plan",
}
SMALL_NUMBER = 3
FEWER_THAN = "fewer than 3"
SUPPRESSED = "suppressed"
NOT_KNOWN = "–"


@dataclass(frozen=True)
class Counts:
    """How counts of pupils are written: exactly, or suppressed below 3."""

    suppressed: bool

    def hides(self, count: int | None) -> bool:
        return self.suppressed and (count is None or count < SMALL_NUMBER)

    def count(self, count: int | None) -> str:
        if count is None:
            return NOT_KNOWN
        return FEWER_THAN if self.hides(count) else f"{count:,}"

    def pupils(self, count: int) -> str:
        text = self.count(count)
        return f"{text} pupil" if text == "1" else f"{text} pupils"

    def share(self, count: int | None, total: int | None) -> str:
        """count / total as a percentage, unless the count is hidden."""
        if not total:
            return NOT_KNOWN
        return SUPPRESSED if self.hides(count) else f"{100 * count / total:.0f}%"


EXACT = Counts(suppressed=False)
SUPPRESSING = Counts(suppressed=True)


def suppress(count: int | None) -> str:
    """A count of pupils as it may leave the LA: "fewer than 3" for 0, 1 or 2."""
    return SUPPRESSING.count(count)


def suppress_rate(observed: int | None, rate: float | None) -> str:
    """A rate as it may leave the LA: "suppressed" when the count it rests on is under 3."""
    if rate is None:
        return NOT_KNOWN
    return SUPPRESSED if SUPPRESSING.hides(observed) else f"{100 * rate:.1f}%"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _period(evidence: dict) -> str:
    so_far = " so far" if evidence.get("in_progress") else ""
    return f"in {evidence['period_label']}{so_far}"


def headline(indicator: str, evidence: dict, counts: Counts = EXACT) -> str:
    subject = counts.pupils(evidence["observed"])
    if indicator == "N6":
        subject = subject.replace("pupil", "vulnerable pupil")
    expected = evidence["expected"]
    verb = "was" if round(expected, 1) == 1 else "were"
    return _capital(
        f"{subject} {WHAT_LEFT[indicator]} {_period(evidence)}; {expected:.1f} {verb} expected "
        "for a school of this size and intake."
    )


def most_overrepresented(evidence: dict, counts: Counts = EXACT) -> str:
    """The characteristic most over-represented among the leavers, against the roll."""
    breakdown = evidence.get("breakdown") or {}
    exits, roll = breakdown.get("exits") or {}, breakdown.get("roll") or {}
    observed, on_roll = evidence["observed"], roll.get("on_roll") or 0
    if not observed or not on_roll:
        return ""
    best, best_gap = None, 0.0
    for trait in TRAITS:
        gap = exits.get(trait, 0) / observed - roll.get(trait, 0) / on_roll
        if gap > best_gap:
            best, best_gap = trait, gap
    if best is None:
        return ""
    on_roll_share = counts.share(roll[best], on_roll)
    if on_roll_share == SUPPRESSED:
        against = "very few pupils on roll"
    else:
        against = f"{on_roll_share} on roll"
    return _capital(
        f"{counts.count(exits[best])} of the {counts.count(observed)} were {TRAITS[best]}, "
        f"against {against}."
    )


def rule_sentence(rule: str, evidence: dict, counts: Counts = EXACT) -> str:
    match rule:
        case "R1":
            return (
                f"That is above the 99.8% control limit of {evidence['alert_upper']:.1f}: a count "
                "this high would arise by chance at about 1 school in 1,000."
            )
        case "R2":
            before = evidence["previous"]
            return (
                f"It is above the 95% control limit of {evidence['warning_upper']:.1f}, and was in "
                f"{before['period_label']} too ({counts.pupils(before['observed'])} against "
                f"{before['expected']:.1f} expected)."
            )
        case "R3":
            level = "99.8%" if evidence["band"] == "above_998" else "95%"
            limit = evidence["alert_upper"] if level == "99.8%" else evidence["warning_upper"]
            return f"That is above the {level} control limit of {limit:.1f}."
        case "R4":
            return _timing_sentence(evidence["timing"], counts)
        case "R5":
            return _disproportion_sentence(evidence, counts)
        case "R6":
            parts = [
                f"{counts.count(count)} where {PROMPT_LABELS[prompt]}"
                for prompt, count in sorted(evidence["prompt_counts"].items())
            ]
            cases = len(evidence["cases"])
            verb = "has" if counts.count(cases) == "1" else "have"
            return _capital(
                f"{counts.count(cases)} of these home education exits {verb} a prompt for a "
                f"conversation: {'; '.join(parts)}."
            )
    raise ValueError(rule)


def _timing_sentence(timing: dict, counts: Counts) -> str:
    window, exits = timing["window_exits"], timing["key_stage_4_exits"]
    rest_window, rest = timing["la_window_exits"], timing["la_key_stage_4_exits"]
    p_value = "" if counts.suppressed else f" (p = {timing['p_value']:.3f})"
    return _capital(
        f"{counts.count(window)} of the school's {counts.count(exits)} exits from Years 10 and "
        f"11 ({counts.share(window, exits)}) came before the Year 11 January census or in the "
        f"Year 10 summer term, against {counts.share(rest_window, rest)} in the LA's other "
        f"schools{p_value}."
    )


def _disproportion_sentence(evidence: dict, counts: Counts) -> str:
    risk, who = evidence["relative_risk"], TRAITS[evidence["group"]]
    if counts.hides(risk["group_exits"]):
        return f"Pupils {who} were more likely to leave than other pupils."  # a ratio tells
    return (
        f"Pupils {who} were {risk['ratio']:.1f} times as likely to leave as other pupils (95% "
        f"confidence interval {risk['lower']:.1f} to {risk['upper']:.1f}): "
        f"{counts.count(risk['group_exits'])} of the {counts.count(evidence['observed'])} "
        f"leavers, from {counts.count(risk['group_on_roll'])} such pupils on roll."
    )


def explanation(rule: str, indicator: str, evidence: dict, counts: Counts = EXACT) -> str:
    sentences = [headline(indicator, evidence, counts), rule_sentence(rule, evidence, counts)]
    if rule in ("R1", "R2", "R3"):
        sentences.append(most_overrepresented(evidence, counts))
    return " ".join(sentence for sentence in sentences if sentence)
