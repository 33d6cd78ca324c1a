"""The quarterly pack's section on off-rolling: where each school's alert reviews stood at the
quarter end. The pack belongs to the register; the monitor adds this section to it
(``registry.reporting.pack.contribute_section``, called from this app's ``ready``)."""

from collections import Counter, defaultdict

from registry.reporting.pack import Quarter, section
from schools_feed.models import AlertStatus
from schools_feed.offrolling import selectors as offrolling_selectors

STAGE = "Off-rolling alerts"


def offrolling_alerts_section(quarter: Quarter) -> dict:
    statuses = offrolling_selectors.alert_review_statuses_on(day=quarter.last)
    open_statuses = [s for s in AlertStatus.values if s != AlertStatus.CLOSED]
    by_school: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for (school, urn), status, closed_on in statuses:
        if status != AlertStatus.CLOSED:
            by_school[(school, urn)][status] += 1
        elif closed_on >= quarter.first:
            by_school[(school, urn)]["closed_in_quarter"] += 1
    keys = [*open_statuses, "closed_in_quarter"]
    rows = [
        [school, urn, *(c[k] for k in keys), sum(c[k] for k in open_statuses)]
        for (school, urn), c in sorted(by_school.items())
    ]
    totals = [sum(c[k] for c in by_school.values()) for k in keys]
    rows.append(["All schools", "", *totals, sum(totals[: len(open_statuses)])])
    labels = dict(AlertStatus.choices)
    return section(
        "offrolling_alerts",
        "Schools with off-rolling alerts: where the reviews stand",
        "Alerts raised by the quarter's last day that were open then or closed during the "
        "quarter, by their review status on that day. Each alert is a prompt for a "
        "conversation with the school, not a finding.",
        [
            "School",
            "URN",
            *(labels[s] for s in open_statuses),
            "Closed in the quarter",
            "Open alerts",
        ],
        rows,
        published=False,
    )
