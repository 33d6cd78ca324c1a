"""The "Rules in force" page: every clock, commencement date and policy choice the register
applies, with its value and where it comes from (registry/rulebook.py)."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from registry.access import Capability, user_can
from registry.dates import date_words
from registry.rulebook import rules_in_force

NOT_COMMENCED = "Not commenced (no date set)"


def rule_value_text(value, unit: str) -> str:
    """A rule's value as a reader says it: "15 days", "1 September 2027", "not commenced"."""
    if value is None:
        return NOT_COMMENCED
    if isinstance(value, date):
        return date_words(value)
    if isinstance(value, tuple):
        return ", ".join(value) or "None"
    if value == "":
        return "Not set"
    if unit:
        return f"{value} {unit}"
    return str(value)


@login_required
def rules_in_force_list(request):
    if not user_can(request.user, Capability.VIEW_RULES_IN_FORCE):
        raise PermissionDenied
    rows = [
        {
            "name": name,
            "label": source.label,
            "value": rule_value_text(value, source.unit),
            "source": source.source,
        }
        for name, value, source in rules_in_force()
    ]
    return render(request, "registry/rules_in_force.html", {"rules": rows})
