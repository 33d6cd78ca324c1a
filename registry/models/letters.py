"""Letters and notices to families and other LAs (docs/rules/ehe.md §10).

- ``LetterTemplate``: the wording of one kind of letter, versioned. A version is drafted, then
  published (the one the officers use), then superseded by the next; the text of a published
  version never changes. Each carries its statutory basis and the date an administrator last
  recorded its legal review.
- ``ForbiddenPhrase``: wording a letter may not use because it claims a power the LA does not
  have (a right of entry, a duty on parents to prove, a mandatory visit). Held as data so an
  administrator can add to it; publishing a template checks against every active phrase.
- ``SentLetter``: the exact document sent (its bytes and their SHA-256), to whom, how, by whom
  and when, and the template version it came from. Never changed once written.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words


class LetterKind(models.TextChoices):
    EHE_ACKNOWLEDGEMENT = "ehe_acknowledgement", "Acknowledgement of home education"
    EHE_INFORMAL_ENQUIRY = "ehe_informal_enquiry", "Informal enquiry about home education"
    S437_NOTICE = "s437_notice", "s.437(1) notice"
    NOTICE_OF_INTENTION = "notice_of_intention", "Notice of intention to serve an SAO"
    SAO = "sao", "School attendance order"
    SAO_REVOCATION = "sao_revocation", "Revocation of a school attendance order"
    CME_WHEREABOUTS = "cme_whereabouts", "CME: letter to the family's last known address"
    CME_OTHER_LA = "cme_other_la", "CME: enquiry to another local authority"
    # The 2026 Act's procedure (ss.436H-436Q), offered once it commences (docs/rules/ehe.md §4).
    PRELIMINARY_NOTICE = "preliminary_notice", "Preliminary notice (2026 procedure)"
    SCHOOL_NOMINATION_NOTICE = "school_nomination", "School nomination notice (2026 procedure)"
    # The register of children not in school (ss.436B-436G), offered once it commences (ADR 0016).
    CNIS_UPDATE = "cnis_update", "Request to update the register information"
    CNIS_HOME_VISIT = "cnis_home_visit", "Request for a home visit (register)"


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class LetterTemplate(models.Model):
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, help_text="The letter's heading.")
    body = models.TextField(
        help_text="The letter's text. Placeholders such as {{ child.full_name }} are filled from "
        "the child's record; a paragraph between [[editable: name]] and [[/editable]] is one the "
        "officer may change before sending."
    )
    statutory_basis = models.TextField(help_text="The law or guidance the letter rests on.")
    status = models.CharField(
        max_length=12, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    legal_review_on = models.DateField("last legal review", null=True, blank=True)
    legal_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The administrator who recorded the review.",
    )
    legal_review_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="letter_template_version"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status="published"),
                name="letter_template_one_published_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, version {self.version} ({self.get_status_display()})"


class ForbiddenPhrase(models.Model):
    """Words a letter may not use (matched case-insensitively on the words, whatever the
    punctuation or line breaks between them)."""

    phrase = models.CharField(max_length=200, unique=True)
    why = models.CharField(
        max_length=300, help_text="The power it wrongly claims, shown when a letter is refused."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class DeliveryMethod(models.TextChoices):
    POST = "post", "Post"
    EMAIL = "email", "Email"
    HAND = "hand", "By hand"


class SentLetterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("A sent letter is never changed")


class SentLetter(models.Model):
    """The exact document sent. Written once by ``letter_send``; ``save`` refuses to change it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="sent_letters"
    )
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="+")
    template_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    title = models.CharField(max_length=200)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    recipient_carer = models.ForeignKey(
        "registry.Carer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    sent_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body_text = models.TextField(help_text="The letter as sent, as text.")
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    docx = models.BinaryField(null=True, blank=True)
    docx_sha256 = models.CharField(max_length=64, blank=True)
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_letters",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_letters",
    )
    # A notice served by this letter: the step recorded in the same action.
    enforcement_step = models.OneToOneField(
        "registry.EnforcementStep",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letter",
    )

    objects = SentLetterQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ehe_episode__isnull=True) | models.Q(cme_episode__isnull=True),
                name="sent_letter_at_most_one_episode",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} to {self.recipient_name} on {date_words(self.sent_on)}"

    def save(self, *args, **kwargs):
        # Only a merge of two records of the same child moves it, and only its child: the
        # document sent never changes (registry/services/children.py, child_merge).
        moved_only = set(kwargs.get("update_fields") or ()) == {"child"}
        if not self._state.adding and not moved_only:
            raise TypeError("A sent letter is never changed")
        super().save(*args, **kwargs)
