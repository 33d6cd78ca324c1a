"""Forms validate input only; the services decide and write. They render as GOV.UK components
through crispy-forms-gds (template pack "gds")."""

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from registry.access import Capability, roles_with
from registry.cme_reasons import cme_reason_choices
from registry.dates import date_words
from registry.form_errors import GovukErrors, GovukForm
from registry.models import (
    SENSITIVE_FLAGS,
    AccessPurpose,
    CMESource,
    CMEStatus,
    ContactMethod,
    ContactOutcome,
    DecisionType,
    Educator,
    EHEReason,
    EHESource,
    EHEStatus,
    EnquiryType,
    FlagType,
    ReferralOutcome,
    ReferralTarget,
    School,
    Sex,
    User,
)
from registry.postcodes import (
    POSTCODE_SEARCH_HINT,
    POSTCODE_SEARCH_INVALID,
    postcode_search_parse,
)


class SignInForm(GovukErrors, AuthenticationForm):
    """Django's sign-in form, with GOV.UK wording."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account has been disabled. Contact your administrator.",
    }
    required_messages = {"username": "Enter your username", "password": "Enter your password"}


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field where the form has one."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def school_by_urn(form, urn: str, field: str) -> tuple[School | None, bool]:
    """The school a form's URN field names: (the school, True); (None, True) when left blank;
    (None, False) with the error on the field when no school in the register has that URN."""
    urn = (urn or "").strip()
    school = School.objects.filter(urn=urn).first() if urn else None
    if urn and school is None:
        form.add_error(field, "Enter the URN of a school in the register")
        return None, False
    return school, True


def date_field(label: str, *, required: bool = True, hint: str = "For example, 27 3 2025"):
    return DateInputField(label=label, required=required, help_text=hint, require_all_fields=False)


# Register search -----------------------------------------------------------------------------

NC_YEAR_CHOICES = (
    [("", "Any")] + [("R", "Reception")] + [(str(n), f"Year {n}") for n in range(1, 12)]
)
SORT_FIELDS = {
    "name": ("legal_surname", "legal_forenames"),
    "dob": ("date_of_birth",),
    "upn": ("upn",),
}


SENSITIVE_SEARCH_REASON_REQUIRED = (
    "Say why you need to search by this flag: the children it lists are recorded as seen"
)


STATUS_OF_ANOTHER_EPISODE = (
    "The status you chose is a {status_kind} status: choose {status_kind} or Any under Episode"
)


class ChildSearchForm(GovukForm):
    text = forms.CharField(
        label="Name",
        required=False,
        help_text=(
            "First name, surname or both, or the start of either (for example, ains). "
            "Similar names are shown when nothing matches exactly"
        ),
    )
    upn = forms.CharField(
        label="UPN",
        required=False,
        help_text="The 13-character unique pupil number, or a former one",
    )
    date_of_birth = date_field("Date of birth", required=False, hint="For example, 27 3 2014")
    postcode = forms.CharField(required=False, help_text=POSTCODE_SEARCH_HINT)
    school_urn = forms.CharField(
        label="School URN",
        required=False,
        help_text="The school's 6-digit URN: children named in that school's returns",
    )
    episode_type = forms.ChoiceField(
        label="Episode",
        required=False,
        choices=[("", "Any"), ("ehe", "EHE"), ("cme", "CME")],
    )
    # EHE and CME share some status names ("closed"): each option's value names its episode kind.
    status = forms.ChoiceField(
        required=False,
        help_text="Children with an EHE or CME episode, open or closed, in this status",
        choices=[("", "Any")]
        + [(f"ehe:{value}", f"EHE: {label}") for value, label in EHEStatus.choices]
        + [(f"cme:{value}", f"CME: {label}") for value, label in CMEStatus.choices],
    )
    officer = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Any",
        help_text="Children with an episode assigned to this officer",
    )
    nc_year = forms.ChoiceField(
        label="NC year",
        required=False,
        choices=NC_YEAR_CHOICES,
        help_text="The year group the child would be in at school by age",
    )
    flag = forms.ChoiceField(required=False, choices=[("", "Any")] + FlagType.choices)
    sensitive_reason = forms.CharField(
        label="Why do you need to search by this flag?",
        required=False,
        max_length=300,
        help_text=(
            "Only if you chose a safeguarding or health flag: the children it lists are "
            "sensitive, and your reason is recorded"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = User.objects.filter(
            is_active=True,
            role__in=roles_with(Capability.EHE_CASEWORK) + roles_with(Capability.CME_CASEWORK),
        )

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"]
        if postcode.strip() and postcode_search_parse(postcode) is None:
            raise ValidationError(POSTCODE_SEARCH_INVALID)
        return postcode

    def clean(self):
        data = super().clean()
        if data.get("flag") in SENSITIVE_FLAGS and not data.get("sensitive_reason", "").strip():
            self.add_error("sensitive_reason", SENSITIVE_SEARCH_REASON_REQUIRED)
        status_kind = data.get("status", "").partition(":")[0]
        if status_kind and data.get("episode_type") not in ("", status_kind):
            self.add_error(
                "status", STATUS_OF_ANOTHER_EPISODE.format(status_kind=status_kind.upper())
            )
        return data


class AccessReasonForm(GovukForm):
    purpose = forms.ChoiceField(
        choices=[
            (AccessPurpose.OFFROLLING_REVIEW, AccessPurpose.OFFROLLING_REVIEW.label),
            (AccessPurpose.DATA_QUALITY, AccessPurpose.DATA_QUALITY.label),
            (AccessPurpose.SAFEGUARDING, AccessPurpose.SAFEGUARDING.label),
        ],
        widget=forms.RadioSelect,
        label="Why do you need to open this child's record?",
        error_messages={"required": "Select why you need to open this child's record"},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=300,
        label="Give details",
        error_messages={"required": "Enter the details"},
        help_text="For example, the school and the alert you are reviewing",
    )


# Casework ------------------------------------------------------------------------------------


class EpisodeChoiceMixin:
    """Limit the optional episode choice to this child's episodes."""

    def set_episode_choices(self, child):
        choices = [("", "Not about one episode")]
        choices += [(f"ehe:{e.pk}", f"EHE: {e}") for e in child.ehe_episodes.all()]
        choices += [(f"cme:{e.pk}", f"CME: {e}") for e in child.cme_episodes.all()]
        self.fields["episode"].choices = choices

    def chosen_episode(self, child):
        kind, _, pk = self.cleaned_data.get("episode", "").partition(":")
        if kind == "ehe":
            return child.ehe_episodes.get(pk=pk)
        if kind == "cme":
            return child.cme_episodes.get(pk=pk)
        return None


class ContactForm(EpisodeChoiceMixin, GovukForm):
    contact_date = date_field("Date of contact")
    method = forms.ChoiceField(
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the contact was made"},
    )
    with_whom = forms.CharField(
        label="With whom",
        max_length=200,
        error_messages={"required": "Enter who the contact was with"},
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(choices=ContactOutcome.choices, widget=forms.RadioSelect)
    follow_up = forms.CharField(
        label="Follow-up needed", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    follow_up_date = date_field(
        "Follow up by",
        required=False,
        hint="Adds an action to your list, due on this date. For example, 27 3 2025",
    )
    episode = forms.ChoiceField(label="Which episode is this about?", required=False)


class ActionForm(EpisodeChoiceMixin, GovukForm):
    description = forms.CharField(label="What needs doing", max_length=300)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Who will do it")
    due_date = date_field("Due date")
    episode = forms.ChoiceField(label="Which episode is this about?", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, role__in=roles_with(Capability.CHANGE_CHILD)
        )


class ActionCompleteForm(GovukForm):
    outcome = forms.ChoiceField(
        choices=[("done", "Done"), ("cancelled", "Cancelled: no longer needed")],
        widget=forms.RadioSelect,
        label="What happened?",
        error_messages={"required": "Select what happened"},
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DecisionForm(EpisodeChoiceMixin, GovukForm):
    decision_type = forms.ChoiceField(choices=DecisionType.choices, label="Type of decision")
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Reason for the decision"
    )
    decided_on = date_field("Date of the decision")
    episode = forms.ChoiceField(label="Which episode is this about?", required=False)


class ConsentDecisionForm(GovukForm):
    """The LA's decision on a withdrawal that needs its consent (s.434A, docs/rules/ehe.md §5)."""

    outcome = forms.ChoiceField(
        choices=[("given", "Consent given"), ("refused", "Consent refused")],
        widget=forms.RadioSelect,
        label="The local authority's decision",
    )
    decided_on = date_field("Date of the decision")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Reason for the decision"
    )


class IdentityForm(GovukForm):
    legal_forenames = forms.CharField(max_length=100)
    middle_names = forms.CharField(max_length=100, required=False)
    legal_surname = forms.CharField(max_length=100)
    preferred_forename = forms.CharField(max_length=100, required=False)
    preferred_surname = forms.CharField(max_length=100, required=False)
    former_surnames = forms.CharField(max_length=200, required=False)
    date_of_birth = date_field("Date of birth")
    sex = forms.ChoiceField(choices=Sex.choices, widget=forms.RadioSelect)
    upn = forms.CharField(label="UPN", max_length=13, required=False)
    uln = forms.CharField(label="ULN", max_length=10, required=False)
    nhs_number = forms.CharField(label="NHS number", max_length=12, required=False)
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are you correcting the identity?",
        error_messages={"required": "Enter why you are correcting the identity"},
        help_text="For example, birth certificate seen on the home visit",
    )


class StatusForm(GovukForm):
    status = forms.ChoiceField(widget=forms.RadioSelect, label="New status")
    effective_date = date_field("Date the status changed")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Reason for the change"
    )

    def __init__(self, *args, current_status: str, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [c for c in choices if c[0] != current_status]


class CMEStatusForm(StatusForm):
    other_la_name = forms.CharField(
        label="Other local authority",
        required=False,
        help_text="Needed when the child is located in another LA",
    )
    other_la_confirmed_on = date_field(
        "Date the other LA confirmed it knows the child",
        required=False,
        hint="Needed when the child is located in another LA",
    )
    abroad_evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Evidence the child is abroad",
        help_text="Needed for 'confirmed abroad'",
    )
    located_school_urn = forms.CharField(
        label="URN of the school the child is on roll at",
        required=False,
        help_text="For 'located: on a school roll'",
    )
    manager_decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Manager's decision: why the case closes without the child being found",
        help_text=(
            "Needed for 'Closed'. Only a manager may close a case that way; otherwise choose "
            "the outcome that found the child"
        ),
    )


class EnforcementStepForm(GovukForm):
    """A s.437 / SAO step (docs/rules/ehe.md §4). The step types offered are those of the
    procedure in force (the view passes them); the parent's period is computed, not typed."""

    step_type = forms.ChoiceField(widget=forms.RadioSelect, label="Step")
    served_on = date_field("Date served")
    school_named_urn = forms.CharField(
        label="URN of the school named", required=False, help_text="For a notice naming a school"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note")
    before_response_date_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Manager's reason for not waiting for the parent's response date",
        help_text="Only for a notice naming a school or an order before that date",
    )

    grounds_request = forms.ChoiceField(
        required=False,
        label="Does this step follow a refusal or no answer on the register?",
        help_text="The register of children not in school's request it follows from, if any",
    )

    def __init__(self, *args, choices, non_compliance=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step_type"].choices = choices
        self.non_compliance = {str(request.pk): request for request in non_compliance}
        if self.non_compliance:
            self.fields["grounds_request"].choices = [("", "No")] + [
                (pk, str(request)) for pk, request in self.non_compliance.items()
            ]
        else:
            del self.fields["grounds_request"]

    def clean_grounds_request(self):
        return self.non_compliance.get(self.cleaned_data.get("grounds_request") or "")


class AssignOfficerForm(GovukForm):
    officer = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, casework: Capability, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = User.objects.filter(
            role__in=roles_with(casework), is_active=True
        )


class EHEEpisodeEditForm(GovukForm):
    primary_reason = forms.ChoiceField(choices=EHEReason.choices, label="DfE primary reason")
    secondary_reasons = forms.MultipleChoiceField(
        choices=EHEReason.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    parent_reason_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="The parent's own words"
    )
    educator = forms.ChoiceField(choices=Educator.choices, label="Who educates the child")
    estimated_hours_from_parents = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=99,
        decimal_places=1,
        label="Estimated hours a week of education from parents",
    )
    estimated_hours_from_others = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=99,
        decimal_places=1,
        label="Estimated hours a week of education from others",
    )
    next_review_due = date_field("Next review due", required=False)
    reason_effective_date = date_field(
        "If the primary reason has changed, the date the new reason applies from",
        required=False,
        hint="Leave blank for today. Use the date home education started if the reason was true "
        "from the start and only learnt later: returns as at earlier dates use this date.",
    )


class EHEEpisodeOpenForm(GovukForm):
    start_date = date_field("Date home education started")
    source = forms.ChoiceField(choices=EHESource.choices, label="How the LA found out")
    primary_reason = forms.ChoiceField(choices=EHEReason.choices, label="DfE primary reason")
    parent_reason_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="The parent's own words"
    )


class CMEEpisodeOpenForm(GovukForm):
    start_date = date_field("Date the CME enquiry opened")
    source = forms.ChoiceField(choices=CMESource.choices, label="Who told the LA")
    primary_reason = forms.ChoiceField(choices=cme_reason_choices, label="Primary reason")
    last_seen_date = date_field("Date last seen", required=False)
    missing_since = date_field("Missing education since", required=False)
    safeguarding_concerns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CMEReasonForm(GovukForm):
    primary_reason = forms.ChoiceField(choices=cme_reason_choices, label="Primary reason")
    effective_date = date_field(
        "The date the new reason applies from",
        required=False,
        hint="Leave blank for today. Use the date the enquiry opened if the reason was true from "
        "the start and only learnt later: returns as at earlier dates use this date.",
    )
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="How the LA learnt this")


class EnquiryForm(GovukForm):
    enquiry_type = forms.ChoiceField(choices=EnquiryType.choices, label="Enquiry made")
    made_on = date_field("Date of the enquiry")
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ReferralForm(GovukForm):
    referred_to = forms.ChoiceField(
        choices=ReferralTarget.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the child was referred to"},
    )
    referred_on = date_field("Date of the referral")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Concerns referred")


class ReferralOutcomeForm(GovukForm):
    outcome = forms.ChoiceField(
        choices=[
            choice for choice in ReferralOutcome.choices if choice[0] != ReferralOutcome.AWAITING
        ],
        widget=forms.RadioSelect,
        label="What did they decide?",
        error_messages={"required": "Select what they decided"},
    )
    outcome_on = date_field("Date of the decision")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="What happens next (optional)",
    )


class MergeForm(GovukForm):
    other = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Which record is the same child?",
        error_messages={"required": "Select the record that is the same child"},
    )
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are these the same child?",
        error_messages={"required": "Enter why these records are the same child"},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].choices = [
            (
                str(c.pk),
                f"{c.full_name}, born {date_words(c.date_of_birth)}, UPN {c.upn or 'not known'}",
            )
            for c in candidates[:20]
        ]


class ReasonForm(GovukForm):
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why?",
        error_messages={"required": "Enter why"},
    )
