"""Each alert in words a headteacher would accept: what was counted, what was expected for a
school of this size and intake, why it stands out, and who left. Pure: built from the evidence
the alert stores, so the words can be rebuilt from it at any time."""

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


def pupils(count: int) -> str:
    return f"{count} pupil" if count == 1 else f"{count} pupils"


def _period(evidence: dict) -> str:
    so_far = " so far" if evidence.get("in_progress") else ""
    return f"in {evidence['period_label']}{so_far}"


def headline(indicator: str, evidence: dict) -> str:
    subject = pupils(evidence["observed"])
    if indicator == "N6":
        subject = f"{evidence['observed']} vulnerable pupils"
    expected = evidence["expected"]
    return (
        f"{subject} {WHAT_LEFT[indicator]} {_period(evidence)}; {expected:.1f} "
        f"{'was' if round(expected, 1) == 1 else 'were'} expected for a school of this size and "
        "intake."
    )


def most_overrepresented(evidence: dict) -> str:
    """The characteristic most over-represented among the leavers, against the roll."""
    exits, roll = evidence["breakdown"]["exits"], evidence["breakdown"]["roll"]
    observed, on_roll = evidence["observed"], roll.get("on_roll") or 0
    best, best_gap = None, 0.0
    for trait in TRAITS:
        if not observed or not on_roll:
            break
        gap = exits.get(trait, 0) / observed - roll.get(trait, 0) / on_roll
        if gap > best_gap:
            best, best_gap = trait, gap
    if best is None:
        return ""
    share = 100 * roll[best] / on_roll
    return f"{exits[best]} of the {observed} were {TRAITS[best]}, against {share:.0f}% on roll."


def rule_sentence(rule: str, evidence: dict) -> str:
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
                f"{before['period_label']} too ({pupils(before['observed'])} against "
                f"{before['expected']:.1f} expected)."
            )
        case "R3":
            level = "99.8%" if evidence["band"] == "above_998" else "95%"
            limit = evidence["alert_upper"] if level == "99.8%" else evidence["warning_upper"]
            return f"That is above the {level} control limit of {limit:.1f}."
        case "R4":
            timing = evidence["timing"]
            share = 100 * timing["window_exits"] / timing["key_stage_4_exits"]
            rest = timing["la_key_stage_4_exits"]
            la_share = 100 * timing["la_window_exits"] / rest if rest else 0.0
            return (
                f"{timing['window_exits']} of the school's {timing['key_stage_4_exits']} exits "
                f"from Years 10 and 11 ({share:.0f}%) came before the Year 11 January census or "
                f"in the Year 10 summer term, against {la_share:.0f}% in the LA's other schools "
                f"(p = {timing['p_value']:.3f})."
            )
        case "R5":
            risk = evidence["relative_risk"]
            return (
                f"Pupils {TRAITS[evidence['group']]} were {risk['ratio']:.1f} times as likely to "
                f"leave as other pupils (95% confidence interval {risk['lower']:.1f} to "
                f"{risk['upper']:.1f}): {risk['group_exits']} of the {evidence['observed']} "
                f"leavers, from {risk['group_on_roll']} such pupils on roll."
            )
        case "R6":
            parts = [
                f"{count} where {PROMPT_LABELS[prompt]}"
                for prompt, count in sorted(evidence["prompt_counts"].items())
            ]
            cases = len(evidence["cases"])
            return (
                f"{cases} of these home education exits {'has' if cases == 1 else 'have'} a "
                f"prompt for a conversation: {'; '.join(parts)}."
            )
    raise ValueError(rule)


def explanation(rule: str, indicator: str, evidence: dict) -> str:
    sentences = [headline(indicator, evidence), rule_sentence(rule, evidence)]
    if rule in ("R1", "R2", "R3"):
        sentences.append(most_overrepresented(evidence))
    return " ".join(sentence for sentence in sentences if sentence)
