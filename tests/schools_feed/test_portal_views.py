"""The school portal and the review queue in the browser (Django's test client)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from registry.csv_output import write_csv
from registry.models import Child, Role
from schools_feed import templates_download
from schools_feed.forms import SchoolMessages
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.models import Notification, NotificationStatus, Submission, SubmissionStatus
from schools_feed.services import intake
from tests.factories import ChildFactory, NotificationFactory, SchoolFactory, SubmissionFactory
from tests.schools_feed.returns import csv_file, row

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def school(db):
    return SchoolFactory(name="Fenbridge Primary")


@pytest.fixture
def school_user(user_with_role, school):
    user = user_with_role(Role.SCHOOL_USER, username="data-manager")
    user.schools.add(school)
    return user


def upload(client, rows, name="returns.csv"):
    data = csv_file(*rows)
    return client.post(
        reverse("schools_feed:upload"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "return_type": ""},
    )


def test_a_school_user_uploads_previews_and_confirms_a_file(client, school_user):
    client.force_login(school_user)
    response = upload(client, [row(), row("Jones", ground="zz")])
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("schools_feed:submission-detail", args=[submission.pk])
    preview = client.get(response.url).content.decode()
    assert "Check your file before you send it" in preview
    assert "Ground zz is not a ground" in preview
    assert Notification.objects.count() == 0
    confirm = reverse("schools_feed:submission-confirm", args=[submission.pk])
    client.post(confirm, {})
    assert Notification.objects.count() == 0  # errors, and the valid rows were not chosen
    client.post(confirm, {"accept_valid_rows": "on"})
    submission.refresh_from_db()
    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 1)


def test_an_unreadable_upload_shows_the_problem_on_the_form(client, school_user):
    client.force_login(school_user)
    response = client.post(
        reverse("schools_feed:upload"),
        {"file": SimpleUploadedFile("x.csv", b"Name\nTom\n", content_type="text/csv")},
    )
    assert response.status_code == 200
    assert "The file has no column for" in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_school_user_cannot_see_another_schools_submission(client, school_user):
    other = SubmissionFactory(school=SchoolFactory())
    client.force_login(school_user)
    url = reverse("schools_feed:submission-detail", args=[other.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("schools_feed:submission-confirm", args=[other.pk])).status_code == 404
    )


def test_the_single_notification_form_sends_one_return(client, school_user):
    client.force_login(school_user)
    url = reverse("schools_feed:notification-form", args=["deletion"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "legal_forenames": "Tom",
            "legal_surname": "Smith",
            "sex": "M",
            "date_of_birth_0": "14",
            "date_of_birth_1": "3",
            "date_of_birth_2": "2015",
            "address_line_1": "1 High St",
            "postcode": "CB7 9QT",
            "parent_1_name": "Jane Smith",
            "parent_1_phone": "07700900123",
            "ground": "9(1)(k)",
            "deletion_date_0": str(timezone.localdate().day),
            "deletion_date_1": str(timezone.localdate().month),
            "deletion_date_2": str(timezone.localdate().year),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Notification.objects.get().ground == "k"


def test_the_single_notification_form_shows_the_intakes_own_messages(client, school_user):
    client.force_login(school_user)
    response = client.post(
        reverse("schools_feed:notification-form", args=["deletion"]),
        {"legal_forenames": "Tom", "legal_surname": "Smith"},
    )
    page = response.content.decode()
    assert "There is a problem" in page
    assert RowMessages.GROUND_REQUIRED in page
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_templates_download_for_every_return(client, school_user, file_format):
    client.force_login(school_user)
    response = client.get(reverse("schools_feed:template-download", args=["deletion", file_format]))
    assert response.status_code == 200
    if file_format == "csv":
        assert response.content.decode("utf-8-sig").startswith("UPN,Legal forename")
    else:
        from openpyxl import load_workbook

        book = load_workbook(BytesIO(response.content))
        assert book.sheetnames == ["Returns", "Guidance"]
        assert book["Returns"]["A1"].value == "UPN"


def test_officers_see_the_review_queue_and_confirm_a_candidate(db, client, ehe_officer, school):
    child = ChildFactory(legal_forenames="Amelia", legal_surname="Hartley")
    notification = NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        legal_forenames="Amelia",
        legal_surname="Hartly",
        date_of_birth=child.date_of_birth,
        status=NotificationStatus.REVIEW,
        ground="k",
        deletion_date=timezone.localdate(),
        match_candidates=[{"child": str(child.pk), "score": 0.8, "evidence": ["Surname similar"]}],
    )
    client.force_login(ehe_officer)
    queue = client.get(reverse("schools_feed:review-queue")).content.decode()
    assert "Hartly" in queue
    url = reverse("schools_feed:review-notification", args=[notification.pk])
    page = client.get(url).content.decode()
    assert "Surname similar" in page
    response = client.post(url, {"decision": str(child.pk), "why": "Same family"})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert (notification.child, notification.status) == (child, NotificationStatus.ROUTED)
    assert notification.events.filter(event_type="link_confirmed").exists()


def _waiting_for_review(school):
    return NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        status=NotificationStatus.REVIEW,
        ground="k",
        deletion_date=timezone.localdate(),
    )


def test_an_officer_adds_a_new_child_from_the_review_queue(db, client, cme_officer, school):
    notification = _waiting_for_review(school)
    client.force_login(cme_officer)
    url = reverse("schools_feed:review-notification", args=[notification.pk])
    client.post(url, {"decision": "new"})
    notification.refresh_from_db()
    assert notification.child == Child.objects.get()
    assert notification.status == NotificationStatus.ROUTED


@pytest.mark.parametrize(
    ("upn", "message"),
    [
        ("", "Enter the UPN of the child"),
        ("H801200001001", "No child on the register has that UPN"),
        ("H80120000100!", "has that UPN: UPN invalid (character 13 not a recognised value)"),
        ("H8012000010", "has that UPN: UPN invalid (must be 13 characters)"),
    ],
)
def test_another_child_named_by_a_upn_no_child_holds_is_refused_saying_what_is_wrong_with_it(
    db, client, cme_officer, school, upn, message
):
    notification = _waiting_for_review(school)
    client.force_login(cme_officer)
    url = reverse("schools_feed:review-notification", args=[notification.pk])

    page = client.post(url, {"decision": "other", "other_upn": upn}).content.decode()

    assert message in page
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.REVIEW


def test_an_automatic_link_can_be_undone_keeping_its_history(db, client, ehe_officer, school):
    child = ChildFactory()
    notification = NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        child=child,
        status=NotificationStatus.ROUTED,
    )
    client.force_login(ehe_officer)
    url = reverse("schools_feed:notification-undo-link", args=[notification.pk])
    response = client.post(url, {"why": "Different child: the DOB belongs to a cousin"})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert (notification.child, notification.status) == (None, NotificationStatus.REVIEW)
    assert notification.history.filter(child_id=child.pk).exists()
    assert notification.events.get(event_type="link_undone").detail.startswith("Was ")


def test_school_users_cannot_reach_the_review_queue(client, school_user):
    client.force_login(school_user)
    assert client.get(reverse("schools_feed:review-queue")).status_code == 404


def test_a_school_sees_its_notifications_status_but_not_the_las_routing(
    client, school_user, school
):
    child = ChildFactory()
    notification = NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        child=child,
        status=NotificationStatus.ROUTED,
    )
    notification.events.create(event_type="safeguarding", child=child)
    client.force_login(school_user)
    page = client.get(reverse("schools_feed:notification-detail", args=[notification.pk]))
    assert page.status_code == 200
    assert "Routed" in page.content.decode()
    assert "Safeguarding alert" not in page.content.decode()


def test_an_officer_queries_a_return_and_the_school_sees_the_question(
    db, client, cme_officer, school_user, school
):
    notification = NotificationFactory(school=school, submission=SubmissionFactory(school=school))
    client.force_login(cme_officer)
    url = reverse("schools_feed:notification-query", args=[notification.pk])
    assert client.post(url, {"question": ""}).status_code == 200
    client.post(url, {"question": "Please send the date of the parent's letter"})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUERIED
    client.force_login(school_user)
    page = client.get(reverse("schools_feed:notification-detail", args=[notification.pk]))
    assert "Please send the date of the parent&#x27;s letter" in page.content.decode()
    assert "Queried by the LA" in page.content.decode()
    assert client.post(url, {"question": "x"}).status_code == 404


# Sending for the right school, as the page says (the app's own template has no school column) --


@pytest.fixture
def trust_user(user_with_role, school):
    user = user_with_role(Role.SCHOOL_USER, username="trust-data-manager")
    user.schools.add(school, SchoolFactory(name="Marshfield Academy"))
    return user


def template_upload(client, rows, school=None):
    """The app's own CSV template, filled in: no School URN or LAESTAB column."""
    headers = templates_download.template_columns("deletion")
    data = write_csv(headers, [[values.get(h, "") for h in headers] for values in rows])
    post = {"file": SimpleUploadedFile("deletions.csv", data, content_type="text/csv")}
    if school is not None:
        post["school"] = str(school.pk)
    return client.post(reverse("schools_feed:upload"), post)


def template_row(surname="Smith"):
    return {
        "Legal surname": surname,
        "Legal forename": "Tom",
        "Date of birth": "14/03/2015",
        "Sex": "M",
        "Address line 1": "1 High St",
        "Postcode": "CB7 9QT",
        "Parent 1 full name": f"Jane {surname}",
        "Parent 1 emergency phone": "07700900123",
        "Ground for deletion": "9(1)(g)",
        "New address": "4 Mill Lane, Leeds",
        "Date of deletion": timezone.localdate().strftime("%d/%m/%Y"),
    }


def test_a_school_user_with_one_school_is_never_asked_for_it_and_sees_what_they_sent(
    client, school_user, school
):
    client.force_login(school_user)
    page = client.get(reverse("schools_feed:upload")).content.decode()
    assert 'name="school"' not in page
    assert school.name in page  # the school is shown, fixed
    response = template_upload(client, [template_row()])
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert submission.school == school
    assert client.get(response.url).status_code == 200
    sent = client.get(reverse("schools_feed:submission-list")).content.decode()
    assert reverse("schools_feed:submission-detail", args=[submission.pk]) in sent


def test_a_trust_user_who_leaves_the_school_blank_is_asked_for_it_on_the_form(client, trust_user):
    client.force_login(trust_user)
    page = client.get(reverse("schools_feed:upload")).content.decode()
    assert SchoolMessages.HINT_SCHOOL_USER in page
    assert "Leave blank" not in page
    response = template_upload(client, [template_row()])
    assert response.status_code == 200
    assert SchoolMessages.CHOOSE in response.content.decode()
    assert 'href="#id_school"' in response.content.decode()  # the error summary links to it
    assert Submission.objects.count() == 0


def test_a_trust_users_file_is_tied_to_the_school_they_choose(client, trust_user, school):
    client.force_login(trust_user)
    response = template_upload(client, [template_row()], school=school)
    submission = Submission.objects.get()
    assert (response.status_code, submission.school) == (302, school)
    sent = client.get(reverse("schools_feed:submission-list")).content.decode()
    assert reverse("schools_feed:submission-detail", args=[submission.pk]) in sent


def test_a_file_without_a_school_column_and_no_school_chosen_is_refused_whole(db, media_root):
    headers = templates_download.template_columns("deletion")
    data = write_csv(headers, [[template_row().get(h, "") for h in headers]])
    with pytest.raises(FileProblem) as problem:
        intake.submission_preview(school=None, by=None, file_name="d.csv", data=data)
    assert problem.value.message == FileMessages.NO_SCHOOL
    assert Submission.objects.count() == 0


def test_a_file_of_headings_only_is_refused_on_the_form(client, school_user):
    client.force_login(school_user)
    response = template_upload(client, [])
    assert response.status_code == 200
    assert FileMessages.NO_ROWS in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_trust_users_one_pupil_form_gives_every_error_in_one_round(client, trust_user):
    client.force_login(trust_user)
    url = reverse("schools_feed:notification-form", args=["deletion"])
    response = client.post(
        url,
        {
            "legal_forenames": "Tom",
            "legal_surname": "Smith",
            "ground": "9(1)(f)",
            "date_of_birth_0": "31",
            "date_of_birth_1": "2",
            "date_of_birth_2": "2015",
            "deletion_date_0": str(timezone.localdate().day),
            "deletion_date_1": str(timezone.localdate().month),
            "deletion_date_2": str(timezone.localdate().year),
        },
    )
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    # The school, the date that is not a date and the intake's rule for the ground, at once.
    assert SchoolMessages.CHOOSE in page
    assert 'href="#id_school"' in page
    assert 'href="#id_date_of_birth_0"' in page
    assert RowMessages.HOME_EDUCATION_NOTICE_REQUIRED.split("(")[0] in page
    assert RowMessages.ADDRESS_REQUIRED in page
    assert Submission.objects.count() == 0


def test_a_one_school_users_one_pupil_form_shows_the_school_and_sends_for_it(
    client, school_user, school
):
    client.force_login(school_user)
    url = reverse("schools_feed:notification-form", args=["new_pupil"])
    page = client.get(url).content.decode()
    assert 'name="school"' not in page
    assert school.name in page


# The preview: whom the sender is about to send, and the declaration's error where it belongs ----


def test_the_preview_lists_the_pupils_by_name_to_their_sender_only(
    client, school_user, school, user_with_role
):
    client.force_login(school_user)
    response = upload(client, [row("Ainsworth", "Maisie"), row("Jones", ground="zz")])
    page = client.get(response.url).content.decode()
    assert "Maisie Ainsworth" in page
    assert "Tom Jones" in page
    colleague = user_with_role(Role.SCHOOL_USER, username="head-teacher")
    colleague.schools.add(school)
    client.force_login(colleague)
    assert "Maisie Ainsworth" not in client.get(response.url).content.decode()


def test_sending_without_ticking_the_declaration_shows_the_error_summary_linked_to_it(
    client, school_user
):
    client.force_login(school_user)
    response = upload(client, [row(), row("Jones", ground="zz")])
    submission = Submission.objects.get()
    confirm = reverse("schools_feed:submission-confirm", args=[submission.pk])
    page = client.post(confirm, {})
    html = page.content.decode()
    assert page.status_code == 200
    assert "govuk-error-summary" in html
    assert 'href="#id_accept_valid_rows"' in html
    assert 'id="id_accept_valid_rows-error"' in html
    assert intake.SubmissionErrors.HAS_ERRORS in html
    assert "govuk-notification-banner" not in html
    assert Notification.objects.count() == 0
    assert response.status_code == 302


def test_a_file_with_no_row_to_send_neither_asks_to_check_it_nor_offers_send(client, school_user):
    client.force_login(school_user)
    response = upload(client, [row("Jones", ground="zz"), row("Brown", ground="zz")])
    page = client.get(response.url).content.decode()
    assert "Check your file before you send it" not in page
    assert "Nothing in this file can be sent" in page
    assert "Send to the local authority" not in page
    assert reverse("schools_feed:upload") in page


def test_a_preview_never_lists_notifications_routed_from_elsewhere(client, school_user, school):
    """The demo once left its imported submissions in preview: the page listed routed pupils."""
    submission = SubmissionFactory(school=school, status=SubmissionStatus.PREVIEW)
    NotificationFactory(
        school=school,
        submission=submission,
        legal_surname="Routedbefore",
        status=NotificationStatus.ROUTED,
    )
    client.force_login(school_user)
    page = client.get(reverse("schools_feed:submission-detail", args=[submission.pk]))
    assert "Routedbefore" not in page.content.decode()


# A school's list of its returns: all of them, paged and filterable, from the navigation --------


def test_a_schools_home_is_its_returns_paged_past_the_latest_fifty(client, school_user, school):
    submission = SubmissionFactory(school=school)
    NotificationFactory.create_batch(51, school=school, submission=submission)
    NotificationFactory(
        school=school,
        submission=submission,
        legal_surname="Oldestreturn",
        received_at=timezone.now() - timezone.timedelta(days=400),
    )
    client.force_login(school_user)
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home.url == reverse("schools_feed:notification-list")
    first = client.get(home.url).content.decode()
    assert "Your school's returns" in first
    assert "52 notifications" in first
    assert "Oldestreturn" not in first
    second = client.get(home.url, {"page": 2}).content.decode()
    assert "Oldestreturn" in second


def test_a_schools_returns_filter_by_kind_and_by_its_own_school(client, trust_user, school):
    other = trust_user.schools.exclude(pk=school.pk).get()
    NotificationFactory(
        school=school, submission=SubmissionFactory(school=school), legal_surname="Fenbridgepupil"
    )
    NotificationFactory(
        school=other, submission=SubmissionFactory(school=other), legal_surname="Marshfieldpupil"
    )
    stranger = SchoolFactory()
    NotificationFactory(
        school=stranger,
        submission=SubmissionFactory(school=stranger),
        legal_surname="Strangerpupil",
    )
    client.force_login(trust_user)
    url = reverse("schools_feed:notification-list")
    everything = client.get(url).content.decode()
    assert "Fenbridgepupil" in everything
    assert "Marshfieldpupil" in everything
    assert "Strangerpupil" not in everything
    assert 'name="school"' in everything
    only_other = client.get(url, {"school": other.urn}).content.decode()
    assert "Marshfieldpupil" in only_other
    assert "Fenbridgepupil" not in only_other
    assert "Strangerpupil" not in client.get(url, {"school": stranger.urn}).content.decode()
    assert "Fenbridgepupil" not in client.get(url, {"kind": "new_pupil"}).content.decode()


def test_a_schools_list_of_files_and_forms_sent_is_paged(client, school_user, school):
    SubmissionFactory.create_batch(51, school=school)
    client.force_login(school_user)
    url = reverse("schools_feed:submission-list")
    assert 'aria-label="Page 2"' in client.get(url).content.decode()
    assert client.get(url, {"page": 2}).status_code == 200
