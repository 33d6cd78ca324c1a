"""The label of a CME primary reason code, read from the table of reasons
(docs/rules/statistics.md §4.2)."""

from django import template

from registry.cme_reasons import cme_reason_label as label_of

register = template.Library()


@register.filter
def cme_reason_label(code: str) -> str:
    return label_of(code)
