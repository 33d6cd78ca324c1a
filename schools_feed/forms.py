"""Forms for the school portal and the review queue. They validate input only; services decide."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from registry.dates import date_words
from registry.form_errors import GovukForm
from registry.forms import date_field
from registry.identifiers import UPN_LA_CODE, upn_errors
from schools_feed.grounds import GROUNDS_2006, GROUNDS_2024
from schools_feed.intake.fields import FIELD_BY_NAME
from schools_feed.intake.messages import FileMessages
from schools_feed.models import SCHOOL_ENQUIRY_CHOICES, ExclusionType, NotificationKind, School
from schools_feed.services import duplicates

NO_CHILD_WITH_UPN = "No child on the register has that UPN"

FILE_KIND_CHOICES = [
    ("", "The file says (a Return type column, or a common transfer file)"),
    *NotificationKind.choices,
]


class SchoolMessages:
    CHOOSE = "Choose the school"
    # For a school's staff: everyone linked to a school sees what is sent for it.
    HINT_SCHOOL_USER = "The school these returns are for"
    # For an LA administrator: the app's own templates have no school column.
    HINT_ADMINISTRATOR_FILE = (
        "Leave blank only for a file with a School URN or School LAESTAB column on every row. "
        "The templates on this service have no such column: choose the school"
    )


class SchoolChoiceMixin:
    """A school user with one school sends for it, shown but never asked; with several (a trust)
    they choose. An LA administrator chooses, or leaves it blank for a file whose rows name their
    schools. ``school_optional`` is whether a blank choice is allowed (a file, for an
    administrator); the one-pupil form always needs a school."""

    school_optional = False

    def add_school_field(self, schools, *, school_user: bool):
        self.schools = schools
        self.fixed_school = schools[0] if school_user and len(schools) == 1 else None
        if self.fixed_school is not None:
            return
        optional = self.school_optional and not school_user
        self.fields["school"] = forms.ModelChoiceField(
            queryset=School.objects.filter(pk__in=[s.pk for s in schools]).order_by("name"),
            label="School",
            required=not optional,
            empty_label="Choose the school",
            error_messages={"required": SchoolMessages.CHOOSE},
            help_text=SchoolMessages.HINT_ADMINISTRATOR_FILE
            if optional
            else SchoolMessages.HINT_SCHOOL_USER,
        )
        self.order_fields(["school"])

    def chosen_school(self):
        if self.fixed_school is not None:
            return self.fixed_school
        return self.cleaned_data.get("school")


class UploadForm(SchoolChoiceMixin, GovukForm):
    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Choose a file to upload"},
        help_text="CSV, Excel (.xlsx) or a common transfer file (.xml)",
    )
    return_type = forms.ChoiceField(
        label="What does the file hold?",
        choices=FILE_KIND_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )

    school_optional = True

    def __init__(self, *args, schools, school_user: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_school_field(schools, school_user=school_user)
        self.fields["starting_date"] = date_field(
            "Starting day, for a common transfer file of pupils joining your school",
            required=False,
            hint="A CTF from the previous school does not say when the pupils start with you",
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.FEED_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(FileMessages.TOO_LARGE.format(limit=filesizeformat(limit)))
        return upload


class ConfirmForm(GovukForm):
    accept_valid_rows = forms.BooleanField(
        label="Import the valid rows and leave out the rows with errors", required=False
    )


def _ground_choices():
    choices = [("", "Choose the ground")]
    choices += [(f"9(1)({k})", f"9(1)({k}) {v}") for k, v in GROUNDS_2024.items()]
    choices += [
        (f"8(1)({k})", f"8(1)({k}) {v} (before 19 August 2024)") for k, v in GROUNDS_2006.items()
    ]
    return choices


# The fields the one-notification form asks for, by return type.
IDENTITY = (
    "upn",
    "legal_forenames",
    "middle_names",
    "legal_surname",
    "preferred_forename",
    "date_of_birth",
    "sex",
    "nc_year",
)
FAMILY = (
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "parent_1_name",
    "parent_1_relationship",
    "parent_1_phone",
    "parent_2_name",
    "parent_2_relationship",
    "parent_2_phone",
)
NEEDS = ("sen_provision", "fsm")
FORM_FIELDS = {
    NotificationKind.DELETION: (
        *IDENTITY,
        *FAMILY,
        *NEEDS,
        "ground",
        "deletion_date",
        # Ground I: twenty school days of continuous absence from this day (registration.md §5).
        "last_attended_date",
        "parent_notice_date",
        "new_address",
        "new_postcode",
        "destination_urn",
        "destination_start_date",
        "lost_pupil",
        "notes",
    ),
    NotificationKind.NEW_PUPIL: (
        *IDENTITY,
        *FAMILY,
        *NEEDS,
        "starting_date",
        "previous_school",
        "notes",
    ),
    NotificationKind.CME_REFERRAL: (
        *IDENTITY,
        *FAMILY,
        "last_attended_date",
        "enquiries_made",
        "safeguarding_concerns",
        "referrer_name",
        "referrer_role",
        "notes",
    ),
    NotificationKind.TEN_DAY_ABSENCE: (
        *IDENTITY,
        "address_line_1",
        "postcode",
        "absence_start_date",
        "consecutive_days_absent",
        "notes",
    ),
    NotificationKind.EXCLUSION: (
        *IDENTITY,
        "exclusion_type",
        "exclusion_start_date",
        "exclusion_days",
        "exclusion_reason",
        "notes",
    ),
}
DATE_FIELDS = {
    "date_of_birth",
    "deletion_date",
    "parent_notice_date",
    "destination_start_date",
    "starting_date",
    "last_attended_date",
    "absence_start_date",
    "exclusion_start_date",
}
LONG_TEXT = {"notes", "enquiries_made", "safeguarding_concerns", "new_address"}
CHOICES = {
    "sex": [("", "Choose"), ("F", "Female"), ("M", "Male")],
    "sen_provision": [("", "Not known"), ("N", "No SEN"), ("K", "SEN support"), ("E", "EHC plan")],
    "fsm": [("", "Not known"), ("Y", "Yes"), ("N", "No")],
    "lost_pupil": [("", "No: the destination is known or given above"), ("Y", "Yes")],
    "exclusion_type": [("", "Choose"), *ExclusionType.choices],
}


def _form_field(name: str) -> forms.Field:
    spec = FIELD_BY_NAME[name]
    if name in DATE_FIELDS:
        return date_field(spec.label, required=False)
    if name == "ground":
        return forms.ChoiceField(label=spec.label, choices=_ground_choices(), required=False)
    if name in CHOICES:
        return forms.ChoiceField(label=spec.label, choices=CHOICES[name], required=False)
    widget = forms.Textarea(attrs={"rows": 3}) if name in LONG_TEXT else None
    return forms.CharField(label=spec.label, help_text=spec.help, required=False, widget=widget)


class NotificationForm(SchoolChoiceMixin, GovukForm):
    """The one-child form. Every field is optional here: the intake's own rules say what is
    required for this return and ground, so the form and a file give the same messages."""

    def __init__(self, *args, kind: str, schools, school_user: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_school_field(schools, school_user=school_user)
        for name in FORM_FIELDS[kind]:
            self.fields[name] = _form_field(name)

    def raw_values(self) -> dict[str, str]:
        values = {}
        for name, value in self.cleaned_data.items():
            if name == "school" or value in (None, ""):
                continue
            values[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return values


class ReviewForm(GovukForm):
    """Which child this return is about: a candidate, another child by UPN, or a new child."""

    NEW = "new"
    OTHER = "other"
    decision = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Which child is this?",
        error_messages={"required": "Select which child this is, or add a new child"},
    )
    other_upn = forms.CharField(label="UPN of another child on the register", required=False)
    why = forms.CharField(
        label="Your reasons (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            *(
                (str(c.child.pk), f"{c.child.full_name}, born {date_words(c.child.date_of_birth)}")
                for c in candidates
            ),
            (self.OTHER, "Another child on the register"),
            (self.NEW, "None of these: add a new child to the register"),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.OTHER and not cleaned.get("other_upn"):
            self.add_error("other_upn", "Enter the UPN of the child")
        return cleaned

    @staticmethod
    def no_child_with(upn: str) -> str:
        """Why no child was found by the UPN typed: with what is wrong with its shape, if
        anything (a register can hold a malformed UPN from a legacy system, so the shape alone
        does not refuse it; another LA's code is no fault)."""
        wrong = [e for e in upn_errors(upn) if e != UPN_LA_CODE]
        return f"{NO_CHILD_WITH_UPN}: {wrong[0]}" if wrong else NO_CHILD_WITH_UPN


class QueryForm(GovukForm):
    question = forms.CharField(
        label="Question for the school",
        help_text="The school sees this beside the return",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArrivalConfirmForm(GovukForm):
    evidence = forms.CharField(
        label="How do you know the pupil arrived?",
        help_text="For example: the other local authority's CME officer confirmed it by email on "
        "3 March",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": "Enter how you know the pupil arrived"},
    )


class UndoLinkForm(GovukForm):
    why = forms.CharField(
        label="Why is this the wrong child?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why this is the wrong child"},
    )


class SchoolEnquiryForm(GovukForm):
    """One enquiry the school made to find a pupil (a joint enquiry's row)."""

    enquiry_type = forms.ChoiceField(
        label="What did the school do?",
        choices=SCHOOL_ENQUIRY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the school did"},
    )
    made_on = date_field("Date it was done")
    outcome = forms.CharField(
        label="What happened", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class JointEnquiryForm(NotificationForm):
    """Open a joint enquiry: the pupil as a CME referral asks, and the school's first enquiry."""

    def __init__(self, *args, schools, school_user: bool, **kwargs):
        super().__init__(
            *args,
            kind=NotificationKind.CME_REFERRAL,
            schools=schools,
            school_user=school_user,
            **kwargs,
        )
        self.fields["last_attended_date"].label = "Last day the pupil attended"
        self.fields["last_attended_date"].required = True
        self.fields.update(SchoolEnquiryForm().fields)

    def raw_values(self) -> dict[str, str]:
        values = super().raw_values()
        for name in SchoolEnquiryForm.base_fields:
            values.pop(name, None)
        return values


class NotTheSameChildForm(GovukForm):
    why = forms.CharField(
        label="Why are these two children?",
        max_length=2000,
        help_text="For example, twins with different first names, or two children born the "
        "same day at different schools",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": duplicates.NO_REASON},
    )
