"""A return as matching sees it, and how its decision is taken: shared by the intake, the legacy
register load and the judging of a trained model (ADR 0012)."""

from django.conf import settings

from schools_feed import matching
from schools_feed.grounds import DEATH_GROUNDS
from schools_feed.models import Notification


def match_record(notification: Notification) -> matching.MatchRecord:
    return matching.MatchRecord(
        key=None,
        upn=notification.upn,
        forenames=notification.legal_forenames,
        surname=notification.legal_surname,
        other_surnames=tuple(filter(None, (notification.preferred_surname,))),
        preferred_forename=notification.preferred_forename,
        middle_names=notification.middle_names,
        date_of_birth=notification.date_of_birth,
        sex=notification.sex,
        postcode=notification.postcode,
        address=notification.address,
    )


def match_decide(notification: Notification, ranked: list) -> matching.MatchDecision:
    """``matching.decide`` with the thresholds in settings; a death links automatically only on
    the same UPN."""
    return matching.decide(
        ranked,
        auto_link=settings.MATCH_AUTO_LINK_THRESHOLD,
        review=settings.MATCH_REVIEW_THRESHOLD,
        only_on_the_same_upn=(notification.legal_basis, notification.ground) in DEATH_GROUNDS,
    )
