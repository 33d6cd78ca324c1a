"""The school portal and the review queue in the browser (Django's test client)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from registry.models import Child, Role
from schools_feed.intake.messages import RowMessages
from schools_feed.models import Notification, NotificationStatus, Submission, SubmissionStatus
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


def test_an_officer_adds_a_new_child_from_the_review_queue(db, client, cme_officer, school):
    notification = NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        status=NotificationStatus.REVIEW,
        ground="k",
        deletion_date=timezone.localdate(),
    )
    client.force_login(cme_officer)
    url = reverse("schools_feed:review-notification", args=[notification.pk])
    client.post(url, {"decision": "new"})
    notification.refresh_from_db()
    assert notification.child == Child.objects.get()
    assert notification.status == NotificationStatus.ROUTED


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
