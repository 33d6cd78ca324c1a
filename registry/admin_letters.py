"""The administrators' pages for letters (docs/rules/ehe.md §10): the templates (drafted here,
published through the check, a new version to change a published one, the date of the last
legal review recorded with who recorded it), the forbidden phrasings (extended here, switched
off rather than deleted), and the letters sent (read-only; the document itself is downloaded
from the child's record, where the download is logged). Registered from ``registry/admin.py``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from registry.admin_base import AdministratorsOnly, ChildPagesLogged
from registry.models import ForbiddenPhrase, LetterTemplate, SentLetter, TemplateStatus
from registry.services import letters as letter_services
from registry.services.history import ChangeReason, save_with_history

TEXT_FIELDS = ("title", "body", "statutory_basis")


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ("kind", *TEXT_FIELDS, "legal_review_on", "legal_review_note")
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 100})}


@admin.register(LetterTemplate)
class LetterTemplateAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    form = LetterTemplateForm
    list_display = ("kind", "version", "status", "legal_review_on", "published_at")
    list_filter = ("kind", "status")
    actions = ("publish", "new_version")

    def get_readonly_fields(self, request, obj=None):
        fixed = ["version", "status", "published_at", "published_by", "legal_reviewed_by"]
        if obj is not None:
            fixed += ["kind", "publishing_check"]
            if obj.status != TemplateStatus.DRAFT:
                fixed += list(TEXT_FIELDS)
        return fixed

    @admin.display(description="What publishing would refuse")
    def publishing_check(self, obj):
        problems = letter_services.letter_template_problems(obj)
        if not problems:
            return "Nothing: the wording passes the check."
        return format_html_join("", "<p>{}</p>", ((problem,) for problem in problems))

    def save_model(self, request, obj, form, change):
        reviewed = "legal_review_on" in form.changed_data and obj.legal_review_on
        if obj.pk is None:
            latest = LetterTemplate.objects.filter(kind=obj.kind).aggregate(Max("version"))
            obj.version = (latest["version__max"] or 0) + 1
        if reviewed:
            try:
                letter_services.letter_template_review_record(
                    template=obj,
                    by=request.user,
                    on=obj.legal_review_on,
                    note=obj.legal_review_note,
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        save_with_history(obj, by=request.user, reason=ChangeReason.MANUAL_EDIT)

    @admin.action(description="Publish the selected drafts (after the wording check)")
    def publish(self, request, queryset):
        for template in queryset:
            try:
                letter_services.letter_template_publish(template=template, by=request.user)
            except ValidationError as error:
                refusal = "; ".join(error.messages)
                self.message_user(request, f"{template}: not published. {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{template}: published", messages.SUCCESS)

    @admin.action(description="Make a new draft version of each selected template")
    def new_version(self, request, queryset):
        for template in queryset:
            draft = letter_services.letter_template_new_version(template=template, by=request.user)
            self.message_user(request, f"{draft} made", messages.SUCCESS)


@admin.register(ForbiddenPhrase)
class ForbiddenPhraseAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """Wording no letter may use; switch one off rather than delete it."""

    list_display = ("phrase", "why", "active")
    list_filter = ("active",)

    def save_model(self, request, obj, form, change):
        save_with_history(obj, by=request.user, reason=ChangeReason.MANUAL_EDIT)


@admin.register(SentLetter)
class SentLetterAdmin(ChildPagesLogged, AdministratorsOnly, admin.ModelAdmin):
    """Read-only: a letter sent is never changed."""

    list_display = ("title", "child_id", "recipient_name", "method", "sent_on", "sent_by")
    list_filter = ("kind", "method")
    fields = (
        "child_id",
        "kind",
        "template_version",
        "title",
        "recipient_name",
        "recipient_address",
        "method",
        "sent_on",
        "sent_at",
        "sent_by",
        "pdf_sha256",
        "docx_sha256",
        "enforcement_step",
        "body_text",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf", "docx").select_related("sent_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
