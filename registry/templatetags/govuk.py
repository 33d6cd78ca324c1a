"""Small helpers for GOV.UK components that Django forms do not give directly."""

from django import forms, template

register = template.Library()


@register.filter
def error_anchor(bound_field) -> str:
    """The id of the first input of a field, which the error summary must link to. Radios and
    checkboxes (numbered from 1 by crispy-forms-gds) and date inputs (day box _0) need a suffix."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_1"
    if isinstance(widget, forms.MultiWidget):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id
