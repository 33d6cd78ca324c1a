"""Forms of the children-not-in-school register (docs/rules/ehe.md §6)."""

from django import forms

from registry.form_errors import GovukForm
from registry.forms import date_field
from registry.models import CNISCondition, CNISEndReason, CNISRequestStatus, ProviderType

HOURS_HINT = "An estimate of the overall time a week, in hours. Leave blank if not known."


def hours_field(
    label: str, *, help_text: str = HOURS_HINT, required: bool = False
) -> forms.DecimalField:
    """An estimate of hours a week (s.436C(1)(d), (da)): 0 to 168, to the half hour."""
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=168,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.5", "class": "govuk-input--width-4"}),
        error_messages={"required": "Enter an estimate of the hours a week, or 0"},
    )


def reason_field() -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="The reason the child is eligible (optional information)",
        help_text="Voluntary for parents to give: in their words, or from the LA's own records",
    )


class RegisterForm(GovukForm):
    condition = forms.ChoiceField(
        choices=CNISCondition.choices,
        widget=forms.RadioSelect,
        label="Why is the child eligible? (s.436B Condition C)",
        error_messages={"required": "Select why the child is eligible"},
    )
    registered_on = date_field("Date registered")
    school_urn = forms.CharField(
        label="URN of the school or institution whose roll the child is on",
        required=False,
        help_text="Only for C(b) and C(c)",
        max_length=6,
    )
    arrangement = forms.CharField(
        label="The arrangement",
        required=False,
        max_length=300,
        help_text="For C(b) and C(c): for example 'flexi-schooling, at school Monday to Wednesday'",
    )
    hours_from_parents = hours_field("Time educated by parents")
    hours_from_others = hours_field("Time educated by others")
    reason_for_eligibility = reason_field()


class InformationForm(GovukForm):
    confirmed_on = date_field("Date the parents gave or confirmed the information")
    hours_from_parents = hours_field("Time educated by parents")
    hours_from_others = hours_field("Time educated by others")
    reason_for_eligibility = reason_field()


class ProviderForm(GovukForm):
    name = forms.CharField(
        max_length=200,
        label="Name of the person or organisation",
        error_messages={"required": "Enter the name of the person or organisation"},
    )
    provider_type = forms.ChoiceField(
        choices=ProviderType.choices,
        label="Type of provider",
        error_messages={"required": "Select the type of provider"},
    )
    address = forms.CharField(
        max_length=300, required=False, label="Postal address of the place education is given"
    )
    website_or_email = forms.CharField(
        max_length=200, required=False, label="Website or email, if the education is online"
    )
    estimated_hours_per_week = hours_field("Time educated by this provider")
    hours_without_parent_per_week = hours_field("Of which, time without a parent present")

    def clean(self):
        cleaned = super().clean()
        if (
            not cleaned.get("address", "").strip()
            and not cleaned.get("website_or_email", "").strip()
        ):
            self.add_error(
                "address", "Enter the address of the place, or a website or email if online"
            )
        return cleaned


class SendRequestForm(GovukForm):
    sent_on = date_field("Date sent")
    provider = forms.ChoiceField(label="Provider to ask", required=False)

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is None:
            del self.fields["provider"]
        else:
            self.fields["provider"].choices = [("", "Choose a provider")] + [
                (str(p.pk), p.name) for p in providers
            ]
            self.fields["provider"].required = True
            self.fields["provider"].error_messages["required"] = "Choose the provider to ask"


CLOSING_STATUSES = [
    (value, label) for value, label in CNISRequestStatus.choices if value != CNISRequestStatus.OPEN
]


class CloseRequestForm(GovukForm):
    status = forms.ChoiceField(
        choices=CLOSING_STATUSES,
        widget=forms.RadioSelect,
        label="How did it end?",
        error_messages={"required": "Select how the request ended"},
    )
    closed_on = date_field("Date")
    visit_on = date_field("Day of the visit", required=False, hint="Only if the visit took place")
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="What happened",
        help_text="Needed unless the parents answered",
    )


class EndRegistrationForm(GovukForm):
    end_reason = forms.ChoiceField(
        choices=CNISEndReason.choices,
        widget=forms.RadioSelect,
        label="Why is the child leaving?",
        error_messages={"required": "Select why the child is leaving the register"},
    )
    ended_on = date_field("Date")
