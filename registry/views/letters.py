"""Letters and notices from a child's record (docs/rules/ehe.md §10): the letters sent, writing
one (recipient, how, the paragraphs the officer may change, a preview), and the document sent.

Each page opens the child through ``child_record_open`` (the gate and the access log) and needs
the casework of the letter's team; a download is also written to the disclosure log.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from registry.form_errors import GovukForm
from registry.forms import add_service_errors, date_field, school_by_urn
from registry.models import DeliveryMethod, DisclosureKind, LetterKind, School, SentLetter
from registry.services import episodes as episode_services
from registry.services import letters as letter_services
from registry.services.access_log import child_record_open
from registry.services.disclosure import disclosure_record_for_download

OTHER_ADDRESS_HINT = "Leave blank to use the address held for the person chosen"
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _letters_child(request, child_id):
    """The child, for a user who sends letters; 404 otherwise (nothing says the child exists)."""
    if not letter_services.letters_user_may_send(request.user):
        raise Http404
    return child_record_open(request=request, child_id=child_id)


class LetterForm(GovukForm):
    """Who the letter is to, how and when it goes, and the paragraphs the officer may change.
    Built per kind: a notice naming a school asks for it, a letter to another LA for its name
    and address, and each editable paragraph of the template is a field."""

    method = forms.ChoiceField(
        label="How it is sent", choices=DeliveryMethod.choices, widget=forms.RadioSelect
    )
    sent_on = date_field("Date sent (for a notice, the date it is served)")

    def __init__(self, *args, kind: str, recipients, paragraphs: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.paragraph_names = list(paragraphs)
        if kind in letter_services.TO_ANOTHER_LA:
            self.fields["recipient_name"] = forms.CharField(
                label="The local authority (and officer) it is to", max_length=200
            )
            self.fields["recipient_address"] = forms.CharField(
                label="Their address", widget=forms.Textarea(attrs={"rows": 4})
            )
        else:
            self.fields["recipient"] = forms.ChoiceField(
                label="Who it is to",
                widget=forms.RadioSelect,
                choices=[(each.key, f"{each.name} ({each.relationship})") for each in recipients],
                help_text="Each parent or carer held on the record, or whoever lives at the "
                "child's address",
            )
            self.fields["recipient_address"] = forms.CharField(
                label="Send to a different address",
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=OTHER_ADDRESS_HINT,
            )
        if kind in letter_services.NAMES_A_SCHOOL:
            self.fields["school_urn"] = forms.CharField(
                label="URN of the school the notice names", max_length=8
            )
        if kind in letter_services.NOTICE_STEPS:
            self.fields["before_response_date_reason"] = forms.CharField(
                label="Manager's reason for not waiting for the parent's response date",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="Only for a notice naming a school or an order before that date",
            )
        for name, text in paragraphs.items():
            self.fields[f"paragraph_{name}"] = forms.CharField(
                label=f"Paragraph you may change: {name.replace('_', ' ')}",
                initial=text,
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def paragraphs(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"paragraph_{name}", "") for name in self.paragraph_names
        }


@login_required
def letter_list(request, child_id):
    child = _letters_child(request, child_id)
    sent = letter_services.letters_sent_about(child=child, user=request.user)
    return render(
        request,
        "registry/letters/letter_list.html",
        {
            "child": child,
            "letters": sent,
            "kinds": letter_services.letter_kinds_offered(
                user=request.user, on=timezone.localdate()
            ),
        },
    )


def _recipient(form, kind: str, recipients) -> letter_services.Recipient | None:
    data = form.cleaned_data
    if kind in letter_services.TO_ANOTHER_LA:
        return letter_services.Recipient(data["recipient_name"], data["recipient_address"])
    chosen = next((each for each in recipients if each.key == data["recipient"]), None)
    if chosen and data.get("recipient_address", "").strip():
        return letter_services.Recipient(
            chosen.name, data["recipient_address"].strip(), chosen.carer, chosen.relationship
        )
    return chosen


def _school(form) -> School | None:
    return school_by_urn(form, form.cleaned_data.get("school_urn"), "school_urn")[0]


def _informal_enquiries_warning(child, kind: str) -> str:
    """Before a notice to satisfy the LA: warn, without refusing, when no informal enquiries
    are recorded (docs/rules/ehe.md §4), as the step page does."""
    if kind not in letter_services.NOTICES_TO_SATISFY_KINDS:
        return ""
    episode = child.ehe_episodes.filter(end_date__isnull=True).first()
    if episode is None or episode_services.informal_enquiries_recorded(episode):
        return ""
    return episode_services.EpisodeErrors.NO_INFORMAL_ENQUIRIES


@login_required
def letter_compose(request, child_id, kind):
    """Write a letter: GET shows the form with the template's paragraphs filled from the
    record; "Preview" shows the letter as it would be sent; "Send" stores it (and, for a
    notice, records the enforcement step) and returns to the letters."""
    today = timezone.localdate()
    offered = dict(letter_services.letter_kinds_offered(user=request.user, on=today))
    if kind not in offered:
        raise Http404
    child = _letters_child(request, child_id)
    template = letter_services.letter_template_in_use(kind)
    recipients = letter_services.letter_recipients(child=child, on=today)
    placeholder = letter_services.Recipient("", "")
    defaults = letter_services.letter_paragraphs_default(
        template=template,
        context=letter_services.letter_context(
            child=child, kind=kind, recipient=placeholder, by=request.user, on=today
        ),
    )
    form = LetterForm(
        request.POST or None,
        kind=kind,
        recipients=recipients,
        paragraphs=defaults,
        initial={"sent_on": today, "method": DeliveryMethod.POST},
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        recipient = _recipient(form, kind, recipients)
        school = _school(form)
        on = form.cleaned_data["sent_on"]
        if not form.errors and "send" in request.POST:
            try:
                letter_services.letter_send(
                    child=child,
                    kind=kind,
                    by=request.user,
                    recipient=recipient,
                    method=form.cleaned_data["method"],
                    sent_on=on,
                    paragraphs=form.paragraphs(),
                    school=school,
                    before_response_date_reason=form.cleaned_data.get(
                        "before_response_date_reason", ""
                    ),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{offered[kind]} sent to {recipient.name}")
                return redirect("registry:letter-list", child_id=child.pk)
        if not form.errors:
            context = letter_services.letter_context(
                child=child, kind=kind, recipient=recipient, by=request.user, on=on, school=school
            )
            preview = letter_services.letter_draft(
                template=template,
                context=context,
                paragraphs=form.paragraphs(),
                recipient=recipient,
                on=on,
            )
    return render(
        request,
        "registry/letters/letter_compose.html",
        {
            "child": child,
            "form": form,
            "title": offered[kind],
            "template": template,
            "preview": preview,
            "warning": _informal_enquiries_warning(child, kind),
            "back": reverse("registry:letter-list", kwargs={"child_id": child.pk}),
        },
    )


@login_required
def letter_download(request, letter_id, format):  # noqa: A002 - the URL's name for it
    """The document exactly as sent; the opening is logged (access log) and, as the letter
    leaves the register, so is the download (disclosure log)."""
    if format not in CONTENT_TYPES or not letter_services.letters_user_may_send(request.user):
        raise Http404
    letter = get_object_or_404(SentLetter.objects.only("id", "child_id", "kind"), pk=letter_id)
    if not letter_services.letter_user_may_read(request.user, letter.kind):
        raise Http404
    child = child_record_open(request=request, child_id=letter.child_id)
    letter = SentLetter.objects.get(pk=letter.pk)
    content = bytes(letter.pdf if format == "pdf" else (letter.docx or b""))
    if not content:
        raise Http404
    disclosure_record_for_download(request, kind=DisclosureKind.SENT_LETTER, children=[child])
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    filename = f"{LetterKind(letter.kind).value}-{letter.sent_on.isoformat()}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
