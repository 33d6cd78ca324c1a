"""Dates in the words people read: the one way Python code writes a date into a sentence.

GOV.UK style writes "5 December 2026": no leading zero, the month in full in sentences ("Dec" only
where space is short, as in a list or an admin title). strftime's ``%d`` pads the day ("05") and
``%-d`` works only with some C libraries, so the day is written from the number. Templates use
Django's ``j F Y`` / ``j M Y`` filters, which say the same.
"""

from datetime import date, datetime

from django.utils import timezone


def date_words(value: date | datetime, *, short_month: bool = False, time: bool = False) -> str:
    """ "5 December 2026" ("5 Dec 2026" with ``short_month``; "5 December 2026 at 14:05" with
    ``time``). A datetime is read in the register's time zone (Europe/London), as people live it:
    a file received at 00:30 on a summer morning was received that day, not the day before."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    words = f"{value.day} {value:%b %Y}" if short_month else f"{value.day} {value:%B %Y}"
    return f"{words} at {value:%H:%M}" if time else words
