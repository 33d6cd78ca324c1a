"""Every required field of every form says what is missing (registry/form_errors.py), as the
GOV.UK Design System asks, and never Django's "This field is required."."""

import importlib
import inspect

import pytest
from django import forms

from registry.form_errors import DJANGO_REQUIRED, GovukErrors, GovukForm, required_message

FORM_MODULES = (
    "registry.forms",
    "registry.cnis.forms",
    "registry.portal.forms",
    "registry.reporting.forms",
    "registry.views.calendar",
    "registry.views.letters",
    "registry.views.second_factor",
    "schools_feed.forms",
    "schools_feed.offrolling.forms",
)


def _forms():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and form.__module__ == name:
                yield form


def _required_messages(form):
    """(field, the message shown when it is left empty) for each required field, as built."""
    for name, field in form.base_fields.items():
        if not field.required:
            continue
        made = field.error_messages.get("required")
        if made == DJANGO_REQUIRED:
            made = (
                form.required_messages.get(name) or required_message(field, name)
                if issubclass(form, GovukErrors)
                else None
            )
        yield name, made


def test_no_required_field_of_any_form_is_left_with_djangos_message():
    left = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _forms()
        for name, message in _required_messages(form)
        if not message
    ]
    assert left == []


@pytest.mark.parametrize(
    ("field", "name", "message"),
    [
        (
            forms.CharField(label="Reason for the change"),
            "reason",
            "Enter the reason for the change",
        ),
        (forms.ChoiceField(label="New status"), "status", "Select the new status"),
        (forms.CharField(), "summary", "Enter the summary"),
        (forms.CharField(label="What needs doing"), "description", "Enter what needs doing"),
        (forms.ChoiceField(label="DfE primary reason"), "reason", "Select the DfE primary reason"),
        (forms.EmailField(label="Their email address"), "email", "Enter their email address"),
        (forms.FileField(label="A file to upload"), "file", "Choose a file to upload"),
        (forms.CharField(label="Why?"), "why", None),
    ],
)
def test_a_required_message_is_made_from_the_label(field, name, message):
    assert required_message(field, name) == message


def test_an_empty_form_lists_each_missing_answer_by_name():
    class Contact(GovukForm):
        summary = forms.CharField()
        method = forms.ChoiceField(choices=[("visit", "Visit")])
        why = forms.CharField(label="Why?", error_messages={"required": "Enter why"})

    form = Contact(data={})

    assert not form.is_valid()
    assert form.errors == {
        "summary": ["Enter the summary"],
        "method": ["Select the method"],
        "why": ["Enter why"],
    }
