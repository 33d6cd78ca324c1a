"""The parent portal's forms: input only (services decide). One question, or one small group of
questions, per page (GOV.UK "one thing per page")."""

from django import forms

from registry.cnis.forms import hours_field
from registry.form_errors import GovukForm
from registry.forms import date_field
from registry.models import EvidenceMethod
from registry.models.episodes import ProviderType

ANOTHER_CHILD = "another"


class PortalFormMessages:
    CHILD_DETAILS_NEEDED = "Enter the child's {field}"
    WRITTEN_REPORT_NEEDS_SOMETHING = "Upload your report, or write it in the box"
    SAMPLES_NEED_A_FILE = "Select a file of samples of work to upload"
    PROVIDER_NAME_NEEDED = "Enter the name of the person or organisation"


class LinkRequestForm(GovukForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address your council has for you. We will email you a link to sign in.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )


class AccountCreateForm(LinkRequestForm):
    """A parent the council does not know yet: their name and email address."""

    full_name = forms.CharField(
        label="Your full name",
        max_length=200,
        error_messages={"required": "Enter your full name"},
    )
    field_order = ["full_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.help_text = "We will email you a link to sign in. You do not need a password."


class SignInLinkForm(GovukForm):
    sesame = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "This sign-in link is not complete: open the whole link"},
    )


# --- Telling the council about home education (several pages) ----------------------------------


class NoticeChildChoiceForm(GovukForm):
    child = forms.ChoiceField(
        label="Which child is this about?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the child this is about"},
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(str(child.pk), child.full_name) for child in children] + [
            (ANOTHER_CHILD, "A child not listed here")
        ]


class NoticeChildDetailsForm(GovukForm):
    legal_forenames = forms.CharField(label="First names", max_length=100)
    legal_surname = forms.CharField(label="Last name", max_length=100)
    date_of_birth = date_field("Date of birth", hint="For example, 27 3 2014")
    address = forms.CharField(label="Home address", max_length=300)
    postcode = forms.CharField(label="Postcode", max_length=10)


class NoticeParentsForm(GovukForm):
    parent_1_name = forms.CharField(label="First parent's full name", max_length=200)
    parent_1_address = forms.CharField(
        label="First parent's home address, with postcode", max_length=300
    )
    parent_1_educates = forms.BooleanField(
        label="This parent provides the child's education", required=False
    )
    parent_2_name = forms.CharField(
        label="Second parent's full name (if there is one)", max_length=200, required=False
    )
    parent_2_address = forms.CharField(
        label="Second parent's home address, with postcode", max_length=300, required=False
    )
    parent_2_educates = forms.BooleanField(
        label="This parent provides the child's education", required=False
    )


class NoticeProvidersForm(GovukForm):
    provider_1_type = forms.ChoiceField(
        label="Who else educates your child? Type",
        choices=[("", "No one else")] + list(ProviderType.choices),
        required=False,
    )
    provider_1_name = forms.CharField(label="Name", max_length=200, required=False)
    provider_1_place = forms.CharField(
        label="Where: an address, or a website or email for online education",
        max_length=300,
        required=False,
    )
    provider_2_type = forms.ChoiceField(
        label="Another provider: type",
        choices=[("", "None")] + list(ProviderType.choices),
        required=False,
    )
    provider_2_name = forms.CharField(label="Name", max_length=200, required=False)
    provider_2_place = forms.CharField(
        label="Where: an address, or a website or email", max_length=300, required=False
    )

    def clean(self):
        cleaned = super().clean()
        for n in (1, 2):
            if cleaned.get(f"provider_{n}_type") and not cleaned.get(f"provider_{n}_name"):
                self.add_error(f"provider_{n}_name", PortalFormMessages.PROVIDER_NAME_NEEDED)
        return cleaned


class NoticeDatesForm(GovukForm):
    already_started = forms.TypedChoiceField(
        label="Has home education started?",
        choices=[("yes", "Yes, it has started"), ("no", "No, we intend to start")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether home education has started"},
    )
    starts_on = date_field("The date home education started or will start")
    school_leaving = forms.CharField(
        label="The school your child is leaving (leave blank if none)",
        max_length=200,
        required=False,
    )


# --- Evidence, replies, complaints ----------------------------------------------------------------


class EvidenceForm(GovukForm):
    method = forms.ChoiceField(
        label="How would you like to show us your child's education?",
        choices=EvidenceMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you would like to show your child's education"},
    )
    text = forms.CharField(
        label="Anything you want to tell us (optional)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        required=False,
    )
    upload = forms.FileField(
        label="Upload a file (optional for a meeting, visit or call)",
        help_text="A PDF, PNG or JPG file.",
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("method")
        if method == EvidenceMethod.SAMPLES and not cleaned.get("upload"):
            self.add_error("upload", PortalFormMessages.SAMPLES_NEED_A_FILE)
        if (
            method == EvidenceMethod.WRITTEN_REPORT
            and not cleaned.get("upload")
            and not cleaned.get("text")
        ):
            self.add_error("upload", PortalFormMessages.WRITTEN_REPORT_NEEDS_SOMETHING)
        return cleaned


class ReplyForm(GovukForm):
    about = forms.ChoiceField(
        label="What are you replying to?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you are replying to"},
    )
    text = forms.CharField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        error_messages={"required": "Enter your reply"},
    )

    def __init__(self, *args, notices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = [("", "Your council's enquiry about home education")] + [
            (str(step.pk), str(step)) for step in notices
        ]
        self.fields["about"].required = False


class ComplaintForm(GovukForm):
    about_case_officer = forms.TypedChoiceField(
        label="Is your complaint about the officer dealing with your child's case?",
        choices=[("yes", "Yes"), ("no", "No, it is about something or someone else")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether your complaint is about the officer"},
    )
    about_text = forms.CharField(
        label="Who or what is it about? (optional)", max_length=300, required=False
    )
    text = forms.CharField(
        label="Your complaint",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        error_messages={"required": "Enter your complaint"},
    )


# --- Staff ---------------------------------------------------------------------------------------


class PortalAccountForm(GovukForm):
    email = forms.EmailField(label="Their email address", max_length=254)


class NoticeMatchForm(GovukForm):
    child = forms.UUIDField(
        label="Register record ID",
        help_text="From the child's record address: /children/<this ID>/",
        required=False,
    )


class ComplaintProgressForm(GovukForm):
    to_status = forms.ChoiceField(
        label="What have you done?",
        error_messages={"required": "Select what you have done"},
        choices=[("acknowledged", "Acknowledged it"), ("responded", "Answered it")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class NoticeTimeForm(GovukForm):
    """The estimates of time of s.436C(1)(d) and (da), asked once the register is in force."""

    hours_from_parents = hours_field(
        "About how many hours a week do you (and the child's other parents) educate your child?",
        help_text="An estimate is enough",
        required=True,
    )
    hours_from_others = hours_field(
        "About how many hours a week do others (tutors, online schools, settings) educate your "
        "child?",
        help_text="An estimate is enough. Enter 0 if nobody else does",
        required=True,
    )


class RegisterInformationForm(NoticeTimeForm):
    """A parent's answer to the council's request to update the register information (s.436D)."""

    changes = forms.CharField(
        label="Has anything else changed? (optional)",
        help_text="For example a new address, or a tutor or setting your child now goes to, "
        "with its address or website",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )


class HomeVisitAnswerForm(GovukForm):
    agrees = forms.TypedChoiceField(
        label="Do you agree to a visit?",
        choices=[
            ("yes", "Yes, I agree to a visit"),
            ("no", "No, I do not agree to a visit"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you agree to a visit"},
    )
    text = forms.CharField(
        label="Days and times that suit you, or anything you want the council to know",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )
