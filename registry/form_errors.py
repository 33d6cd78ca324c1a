"""Error messages that say what is missing, as the GOV.UK Design System asks ("Enter the reason
for the change", "Select the new status"), never Django's "This field is required.", which says
nothing in an error summary of five such lines.

Every form of the service derives from ``GovukForm`` (or ``GovukModelForm``). A required field
with no message of its own gets one made from its label: "Select" for a choice, "Choose" for a
file, "Enter" for anything typed, then the label as a phrase ("the" added before a noun). A
label that is a question cannot be turned into a phrase by rule: such a field must give its own
``error_messages={"required": ...}``, and a test holds every form to that.
"""

from django import forms
from django.forms.utils import pretty_name

DJANGO_REQUIRED = forms.Field.default_error_messages["required"]
# A phrase starting with one of these needs no "the": "Enter what needs doing", "Enter their
# email address".
_NO_ARTICLE = {"what", "who", "how", "which", "why", "where", "when", "the", "a", "an", "their"}


def required_message(field: forms.Field, name: str) -> str | None:
    """The message for ``field`` left empty, made from its label; None when its label is a
    question (the field must say its own)."""
    label = str(field.label or pretty_name(name)).strip()
    if label.endswith("?"):
        return None
    first = label.split()[0]
    # "UPN", "DfE": an initialism keeps its capitals.
    phrase = label if sum(c.isupper() for c in first) > 1 else label[0].lower() + label[1:]
    if first.lower() not in _NO_ARTICLE:
        phrase = f"the {phrase}"
    if isinstance(field, forms.FileField):
        return f"Choose {phrase}"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return f"Select {phrase}"
    return f"Enter {phrase}"


class GovukErrors:
    """Gives each required field that kept Django's message one made from its label, or the one
    ``required_messages`` names (for a form whose fields another library declares)."""

    required_messages: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.error_messages.get("required") != DJANGO_REQUIRED:
                continue
            message = self.required_messages.get(name) or required_message(field, name)
            if message is not None:
                field.error_messages = {**field.error_messages, "required": message}


class GovukForm(GovukErrors, forms.Form):
    pass


class GovukModelForm(GovukErrors, forms.ModelForm):
    pass
