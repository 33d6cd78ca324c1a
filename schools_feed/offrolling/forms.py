"""The off-rolling review forms: input only, the services decide (style.md)."""

from django import forms

from registry.form_errors import GovukForm
from registry.forms import date_field
from schools_feed.models import AlertOutcome, AlertStatus
from schools_feed.offrolling import selectors as offrolling


class AlertStatusForm(GovukForm):
    to_status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label="Outcome",
        help_text="Needed when you close the alert",
        required=False,
        choices=AlertOutcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        help_text="Needed when you reopen a closed alert",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, AlertStatus(s).label) for s in statuses]


class AlertAssignForm(GovukForm):
    owner = forms.ModelChoiceField(
        label="Owner", queryset=None, required=False, empty_label="No owner"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = offrolling.offrolling_reviewers()


class AlertDueDateForm(GovukForm):
    due_date = date_field("Due date", required=False, hint="For example, 27 3 2026")


class AlertNoteForm(GovukForm):
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}))
    in_briefing = forms.BooleanField(
        label="Include in the school briefing",
        help_text=(
            "Notes about the conversation with the school. Leave unticked for an internal note."
        ),
        required=False,
    )


class ChildrenReasonForm(GovukForm):
    reason = forms.CharField(
        label="Why do you need to see the children behind these figures?",
        error_messages={"required": "Enter why you need to see the children behind these figures"},
        help_text="For example, the alert you are reviewing. This is recorded against each child.",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
