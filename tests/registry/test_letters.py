"""Letters and notices (docs/rules/ehe.md §10): versioned templates, the forbidden-phrasing
check, letters generated from a child's record and stored as sent, notices that record their
enforcement step."""

import datetime
import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.letter_defaults import TEMPLATES
from registry.models import (
    ChildAccessLog,
    ChildListAccessLog,
    Disclosure,
    EnforcementStep,
    EnforcementStepType,
    ForbiddenPhrase,
    LetterKind,
    LetterTemplate,
    Role,
    SentLetter,
    TemplateStatus,
)
from registry.rulebook import rules
from registry.services import letters as letter_services
from registry.services.children import child_merge
from registry.timeline import child_timeline
from tests.factories import (
    AddressFactory,
    CarerFactory,
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db

SENT_ON = datetime.date(2026, 11, 2)


def _draft(kind: str, body: str) -> LetterTemplate:
    latest = LetterTemplate.objects.filter(kind=kind).order_by("-version").first()
    return LetterTemplate.objects.create(
        kind=kind,
        version=latest.version + 1,
        title="A letter",
        body=body,
        statutory_basis="Education Act 1996 s.436A",
    )


@pytest.fixture
def family():
    """A child in EHE with two parents: one at the child's address, one elsewhere."""
    child = ChildFactory(legal_forenames="Amira", legal_surname="Okafor")
    AddressFactory(child=child, line_1="4 Mill Lane", town="Worthing", postcode="BN11 2AB")
    mother = CarerFactory(child=child, full_name="Grace Okafor", relationship="mother")
    father = CarerFactory(
        child=child,
        full_name="Daniel Okafor",
        relationship="father",
        lives_with_child=False,
        address="12 Station Road, Crawley",
        postcode="RH10 1AA",
    )
    episode = EHEEpisodeFactory(child=child, first_contact_date=datetime.date(2026, 10, 1))
    return child, episode, mother, father


def _recipient(carer) -> letter_services.Recipient:
    return next(
        each
        for each in letter_services.letter_recipients(child=carer.child, on=SENT_ON)
        if each.carer == carer
    )


def _send(child, officer, carer, kind=LetterKind.S437_NOTICE, **kwargs) -> SentLetter:
    template = letter_services.letter_template_in_use(kind)
    context = letter_services.letter_context(
        child=child,
        kind=kind,
        recipient=_recipient(carer),
        by=officer,
        on=kwargs.get("sent_on", SENT_ON),
        school=kwargs.get("school"),
    )
    paragraphs = {
        name: "We asked about the education in October and have had no reply."
        for name in letter_services.letter_paragraphs_default(template=template, context=context)
    }
    return letter_services.letter_send(
        child=child,
        kind=kind,
        by=officer,
        recipient=_recipient(carer),
        method="post",
        sent_on=kwargs.pop("sent_on", SENT_ON),
        paragraphs=kwargs.pop("paragraphs", paragraphs),
        **kwargs,
    )


# --- Templates and the forbidden-phrasing check --------------------------------------------


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_every_default_template_passes_the_check_and_publishes(kind, administrator):
    """Every default letter is lawful wording: no forbidden phrase, nothing the sandbox refuses
    (docs/rules/ehe.md §10)."""
    published = LetterTemplate.objects.get(kind=kind, status=TemplateStatus.PUBLISHED)
    assert letter_services.letter_template_problems(published) == []
    draft = letter_services.letter_template_new_version(template=published, by=administrator)
    letter_services.letter_template_publish(template=draft, by=administrator)
    published.refresh_from_db()
    assert published.status == TemplateStatus.SUPERSEDED
    assert LetterTemplate.objects.get(kind=kind, status=TemplateStatus.PUBLISHED).version == 2


def test_a_template_saying_you_must_allow_us_to_visit_is_refused_naming_the_phrase_and_line(
    administrator,
):
    """The LA has no right of entry; a letter may not claim one (docs/rules/ehe.md §10)."""
    draft = _draft(
        LetterKind.EHE_INFORMAL_ENQUIRY,
        "Dear {{ recipient.name }},\n\nYou MUST allow us\nto visit your home.",
    )
    with pytest.raises(ValidationError) as refused:
        letter_services.letter_template_publish(template=draft, by=administrator)
    assert refused.value.messages[0].startswith('Line 3 says "must allow us to visit"')
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT


@pytest.mark.parametrize(
    "text",
    ["You must prove the education is suitable.", "A visit is required.", "Our right to enter."],
)
def test_the_default_list_refuses_a_duty_to_prove_a_mandatory_visit_and_a_right_of_entry(
    text, administrator
):
    """docs/rules/ehe.md §10: the powers the LA does not have."""
    draft = _draft(LetterKind.EHE_ACKNOWLEDGEMENT, text)
    with pytest.raises(ValidationError):
        letter_services.letter_template_publish(template=draft, by=administrator)


def test_a_phrase_an_administrator_adds_is_enforced(administrator):
    """The list is data an administrator extends (docs/rules/ehe.md §10)."""
    draft = _draft(LetterKind.EHE_ACKNOWLEDGEMENT, "Please send us your timetable.")
    assert letter_services.letter_template_problems(draft) == []
    ForbiddenPhrase.objects.create(phrase="send us your timetable", why="No timetable is needed")
    with pytest.raises(ValidationError) as refused:
        letter_services.letter_template_publish(template=draft, by=administrator)
    assert '"send us your timetable": No timetable is needed' in refused.value.messages[0]


def test_a_template_that_includes_another_template_or_an_unknown_field_is_refused(administrator):
    """The sandbox: only the context given, no tags that load or include."""
    draft = _draft(
        LetterKind.EHE_ACKNOWLEDGEMENT, "{% include 'base.html' %}\n{{ settings.SECRET_KEY }}"
    )
    problems = letter_services.letter_template_problems(draft)
    assert any("{% include %}" in problem for problem in problems)
    assert any("settings" in problem for problem in problems)


# --- Generating and sending --------------------------------------------------------------


def test_a_s437_notice_holds_the_response_date_from_the_rulebook_and_the_parents_address(
    family, ehe_officer
):
    """s.437(1)-(2): the response date is the date served plus s437_response_days, computed,
    never typed (docs/rules/ehe.md §4)."""
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    respond_by = SENT_ON + timedelta(days=rules().s437_response_days)
    assert "17 November 2026" in letter.body_text
    assert respond_by == datetime.date(2026, 11, 17)
    assert letter.recipient_address == "12 Station Road, Crawley\nRH10 1AA"
    assert letter.pdf.startswith(b"%PDF")
    assert letter.pdf_sha256 == hashlib.sha256(letter.pdf).hexdigest()
    assert letter.docx_sha256 == hashlib.sha256(letter.docx).hexdigest()


def test_a_letter_to_the_parent_at_the_childs_address_goes_to_that_address(family, ehe_officer):
    child, _, mother, _ = family
    letter = _send(child, ehe_officer, mother, kind=LetterKind.EHE_ACKNOWLEDGEMENT)
    assert letter.recipient_address.startswith("4 Mill Lane")
    assert "Grace Okafor" in letter.body_text


def test_a_cme_letter_goes_to_the_parent_or_carer_at_the_childs_last_known_address(
    cme_officer,
):
    """CME enquiries write to the home (docs/rules/cme.md §4), whoever the family are; the
    letter is recorded as one of the case's enquiries."""
    episode = CMEEpisodeFactory()
    AddressFactory(child=episode.child, line_1="9 Brook Close", postcode="BN12 4QQ")
    household = next(
        each
        for each in letter_services.letter_recipients(child=episode.child, on=SENT_ON)
        if each.carer is None
    )
    letter = letter_services.letter_send(
        child=episode.child,
        kind=LetterKind.CME_WHEREABOUTS,
        by=cme_officer,
        recipient=household,
        method="post",
        sent_on=SENT_ON,
        paragraphs={"what_we_know": "We have not been able to reach you by phone."},
    )
    assert letter.recipient_address.startswith("9 Brook Close")
    assert letter.recipient_name == f"Parent or carer of {episode.child.full_name}"
    assert letter.cme_episode == episode
    assert "We have not been able to reach you by phone." in letter.body_text
    enquiry = episode.enquiries.get()
    assert enquiry.enquiry_type == "letter"
    assert enquiry.made_on == SENT_ON


def test_the_stored_document_never_changes_when_the_record_is_edited(family, ehe_officer):
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    pdf, digest, text = bytes(letter.pdf), letter.pdf_sha256, letter.body_text
    father.address = "1 New Street"
    father.save()
    child.legal_surname = "Changed"
    child.save()
    stored = SentLetter.objects.get(pk=letter.pk)
    assert bytes(stored.pdf) == pdf
    assert stored.pdf_sha256 == digest == hashlib.sha256(bytes(stored.pdf)).hexdigest()
    assert stored.body_text == text
    with pytest.raises(TypeError):
        stored.save()
    with pytest.raises(TypeError):
        SentLetter.objects.filter(pk=letter.pk).update(recipient_name="Someone else")


def test_a_carer_removed_from_the_record_leaves_the_letter_as_it_was_sent(family, ehe_officer):
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    father.delete()
    stored = SentLetter.objects.get(pk=letter.pk)
    assert stored.recipient_carer is None
    assert stored.recipient_name == "Daniel Okafor"
    assert stored.pdf_sha256 == letter.pdf_sha256


def test_merging_two_records_of_the_child_moves_the_letters_and_keeps_the_document(
    family, ehe_officer
):
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    kept = ChildFactory()
    child_merge(kept=kept, merged=child, by=ehe_officer, why="The same child")
    moved = SentLetter.objects.get(pk=letter.pk)
    assert moved.child == kept
    assert bytes(moved.pdf) == bytes(letter.pdf)
    assert moved.pdf_sha256 == letter.pdf_sha256


def test_serving_a_notice_records_one_enforcement_step_with_its_dates(family, ehe_officer):
    """Serving a s.437(1) notice by letter records the step in the same action
    (docs/rules/ehe.md §4, §10)."""
    child, episode, _, father = family
    letter = _send(child, ehe_officer, father)
    step = EnforcementStep.objects.get(episode=episode)
    assert step.step_type == EnforcementStepType.S437_NOTICE
    assert step.served_on == SENT_ON
    assert step.respond_by == SENT_ON + timedelta(days=rules().s437_response_days)
    assert letter.enforcement_step == step


def test_a_notice_of_intention_before_the_response_date_is_refused_and_nothing_is_stored(
    family, ehe_officer
):
    """The response-date gate of the enforcement-step service applies to the letter too
    (docs/rules/ehe.md §4)."""
    child, episode, _, father = family
    _send(child, ehe_officer, father)
    with pytest.raises(ValidationError):
        _send(
            child,
            ehe_officer,
            father,
            kind=LetterKind.NOTICE_OF_INTENTION,
            sent_on=SENT_ON + timedelta(days=3),
            school=SchoolFactory(),
        )
    assert EnforcementStep.objects.filter(episode=episode).count() == 1
    assert SentLetter.objects.filter(child=child).count() == 1


def test_a_notice_of_intention_names_the_school_and_the_earlier_notice(family, ehe_officer):
    child, _, _, father = family
    _send(child, ehe_officer, father)
    school = SchoolFactory(name="Downlands Community School")
    after = SENT_ON + timedelta(days=rules().s437_response_days + 1)
    letter = _send(
        child,
        ehe_officer,
        father,
        kind=LetterKind.NOTICE_OF_INTENTION,
        sent_on=after,
        school=school,
    )
    assert "Downlands Community School" in letter.body_text
    assert "2 November 2026" in letter.body_text
    assert letter.enforcement_step.school_named == school


def test_an_officers_paragraph_with_a_forbidden_phrase_or_square_brackets_is_refused(
    family, ehe_officer
):
    child, _, _, father = family
    with pytest.raises(ValidationError):
        _send(child, ehe_officer, father, paragraphs={"reasons": "You must prove it."})
    with pytest.raises(ValidationError):
        _send(child, ehe_officer, father, paragraphs={"reasons": "[Say what you know]"})
    assert not SentLetter.objects.exists()


def _offered(user) -> list:
    return letter_services.letter_kinds_offered(user=user, on=SENT_ON)


def test_the_2026_notices_are_offered_only_once_the_procedure_commences(settings, ehe_officer):
    """ss.436H-436Q behind sao_2026_procedure_commenced_on (docs/rules/ehe.md §4, §8)."""
    before = {
        kind for kind, _ in letter_services.letter_kinds_offered(user=ehe_officer, on=SENT_ON)
    }
    assert LetterKind.S437_NOTICE in before
    assert LetterKind.PRELIMINARY_NOTICE not in before
    assert LetterKind.SCHOOL_NOMINATION_NOTICE not in before
    settings.STATUTORY_RULES = '{"sao_2026_procedure_commenced_on": "2026-09-01"}'
    after = {kind for kind, _ in _offered(ehe_officer)}
    assert {LetterKind.PRELIMINARY_NOTICE, LetterKind.SCHOOL_NOMINATION_NOTICE} <= after
    assert LetterKind.S437_NOTICE not in after


def test_cme_letters_are_offered_to_the_cme_team_and_ehe_letters_to_the_ehe_team(
    ehe_officer, cme_officer
):
    ehe = {kind for kind, _ in _offered(ehe_officer)}
    cme = {kind for kind, _ in _offered(cme_officer)}
    assert LetterKind.CME_WHEREABOUTS in cme
    assert LetterKind.CME_WHEREABOUTS not in ehe
    assert LetterKind.S437_NOTICE in ehe
    assert LetterKind.S437_NOTICE not in cme


def test_a_sent_letter_is_on_the_childs_timeline(family, ehe_officer):
    child, _, _, father = family
    _send(child, ehe_officer, father)
    entries = [entry for entry in child_timeline(child) if entry.kind == "letter"]
    assert len(entries) == 1
    assert "section 437(1)" in entries[0].title
    assert "Daniel Okafor" in entries[0].detail


# --- Pages --------------------------------------------------------------------------------


def test_an_officer_previews_and_sends_a_letter_from_the_record(client, family, ehe_officer):
    child, episode, _, father = family
    sign_in(client, ehe_officer)
    url = reverse(
        "registry:letter-compose", kwargs={"child_id": child.pk, "kind": LetterKind.S437_NOTICE}
    )
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "recipient": str(father.pk),
        "method": "post",
        "sent_on_0": str(SENT_ON.day),
        "sent_on_1": str(SENT_ON.month),
        "sent_on_2": str(SENT_ON.year),
        "paragraph_reasons": "We asked in October and have had no reply.",
    }
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert "17 November 2026" in preview.content.decode()
    assert not SentLetter.objects.exists()
    sent = client.post(url, {**data, "send": "1"})
    assert sent.status_code == 302
    letter = SentLetter.objects.get(child=child)
    assert EnforcementStep.objects.filter(episode=episode).count() == 1
    download = client.get(
        reverse("registry:letter-download", kwargs={"letter_id": letter.pk, "format": "pdf"})
    )
    assert download.status_code == 200
    assert b"".join(
        download.streaming_content if download.streaming else [download.content]
    ) == bytes(letter.pdf)
    assert ChildAccessLog.objects.filter(child=child, path__contains=str(letter.pk)).exists()
    assert Disclosure.objects.filter(kind="sent_letter", children=child).exists()


def test_the_notice_page_warns_when_no_informal_enquiries_are_recorded(client, ehe_officer):
    """Informal enquiries first (docs/rules/ehe.md §4): a warning, not a refusal."""
    episode = EHEEpisodeFactory()
    sign_in(client, ehe_officer)
    url = reverse(
        "registry:letter-compose", kwargs={"child_id": episode.child_id, "kind": "s437_notice"}
    )
    warning = "No informal enquiries are recorded for this episode"
    assert warning in client.get(url).content.decode()
    episode.first_contact_date = datetime.date(2026, 10, 1)
    episode.save()
    assert warning not in client.get(url).content.decode()


def test_a_user_outside_the_gate_gets_404_for_another_childs_letters(client, family, ehe_officer):
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    other_child = ChildFactory()
    CMEEpisodeFactory(child=other_child)
    stranger = UserFactory(role=Role.SCHOOL_USER)
    sign_in(client, stranger)
    for url in (
        reverse("registry:letter-list", kwargs={"child_id": child.pk}),
        reverse("registry:letter-compose", kwargs={"child_id": child.pk, "kind": "s437_notice"}),
        reverse("registry:letter-download", kwargs={"letter_id": letter.pk, "format": "pdf"}),
    ):
        assert client.get(url).status_code == 404
    # A CME officer does not see an EHE child's letters (the child gate).
    sign_in(client, UserFactory(role=Role.CME_OFFICER))
    download = reverse("registry:letter-download", kwargs={"letter_id": letter.pk, "format": "pdf"})
    assert client.get(download).status_code == 404


def test_a_cme_officer_who_may_open_the_child_still_cannot_read_the_ehe_teams_notice(
    client, family, ehe_officer
):
    """The child also has a CME case, so the CME team may open the record; the s.437 notice is
    the EHE team's casework and stays theirs (docs/rules/ehe.md §10)."""
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    CMEEpisodeFactory(child=child)
    sign_in(client, UserFactory(role=Role.CME_OFFICER))

    listing = client.get(reverse("registry:letter-list", kwargs={"child_id": child.pk}))
    download = client.get(
        reverse("registry:letter-download", kwargs={"letter_id": letter.pk, "format": "pdf"})
    )

    assert listing.status_code == 200
    assert list(listing.context["letters"]) == []
    assert download.status_code == 404


# --- Administration -----------------------------------------------------------------------


@pytest.fixture
def data_manager():
    """An administrator with the Django admin open to them."""
    return UserFactory(role=Role.ADMINISTRATOR, username="data-manager", is_staff=True)


def test_an_administrator_records_a_legal_review_and_who_recorded_it(client, data_manager):
    """Each template carries the date of its last legal review and who recorded it."""
    template = LetterTemplate.objects.get(kind="s437_notice", status=TemplateStatus.PUBLISHED)
    sign_in(client, data_manager)
    url = reverse("admin:registry_lettertemplate_change", args=[template.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"legal_review_on": "2026-11-20", "legal_review_note": "Reviewed by legal services"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.legal_review_on == datetime.date(2026, 11, 20)
    assert template.legal_reviewed_by == data_manager
    assert template.history.first().history_user == data_manager


def test_a_sent_letter_opened_or_listed_in_the_admin_is_in_the_access_log(
    client, family, ehe_officer, data_manager
):
    """The letter names the child and the family: the admin logs it as every page does."""
    child, _, _, father = family
    letter = _send(child, ehe_officer, father)
    sign_in(client, data_manager)

    page = client.get(reverse("admin:registry_sentletter_change", args=[letter.pk]))
    listing = client.get(reverse("admin:registry_sentletter_changelist"))

    assert page.status_code == listing.status_code == 200
    assert ChildAccessLog.objects.filter(user=data_manager, child=child).count() == 1
    assert list(ChildListAccessLog.objects.get(user=data_manager).children.all()) == [child]


def test_publishing_in_the_admin_refuses_a_forbidden_phrase_and_says_which(client, data_manager):
    draft = _draft(LetterKind.EHE_ACKNOWLEDGEMENT, "Thank you.\nA home visit is required.")
    sign_in(client, data_manager)
    response = client.post(
        reverse("admin:registry_lettertemplate_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "Line 2 says &quot;home visit is required&quot;" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT


def test_an_officer_cannot_open_the_letter_templates_in_the_admin(client, ehe_officer):
    sign_in(client, ehe_officer)
    response = client.get(reverse("admin:registry_lettertemplate_changelist"))
    assert response.status_code in (302, 403)


@pytest.mark.parametrize(
    "role", [Role.INCLUSION_LEAD, Role.DCS, Role.SCHOOL_USER, Role.CME_OFFICER]
)
def test_a_role_that_does_not_work_the_case_cannot_send_a_letter_and_nothing_is_written(
    client, family, role
):
    child, episode, _, father = family
    sign_in(client, UserFactory(role=role))
    url = reverse(
        "registry:letter-compose", kwargs={"child_id": child.pk, "kind": LetterKind.S437_NOTICE}
    )
    response = client.post(
        url,
        {
            "recipient": str(father.pk),
            "method": "post",
            "sent_on_0": "2",
            "sent_on_1": "11",
            "sent_on_2": "2026",
            "paragraph_reasons": "No reply.",
            "send": "1",
        },
    )
    assert response.status_code == 404
    assert not SentLetter.objects.exists()
    assert not EnforcementStep.objects.filter(episode=episode).exists()
