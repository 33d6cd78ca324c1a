"""Families the council does not know yet (ADR 0014, docs/rules/ehe.md §11): a parent makes
their own account to tell the council about home education, and the officer finds the child's
record among those suggested, or makes a new one from the notice."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from registry.models import (
    ChildListAccessLog,
    EHESource,
    ParentLink,
    ParentSubmission,
    PortalLinkRequest,
    Role,
    SubmissionStatus,
    User,
)
from tests.factories import ChildFactory, UserFactory, sign_in
from tests.pages import page_text
from tests.registry.test_parent_portal import (  # noqa: F401 - family is the fixture
    DATES,
    PARENTS,
    PROVIDERS,
    _notify,
    family,
)

NEW_CHILD = {
    "legal_forenames": "Rowan",
    "legal_surname": "Selfnoticeqx",
    "date_of_birth_0": "4",
    "date_of_birth_1": "5",
    "date_of_birth_2": "2015",
    "address": "7 Mill Lane, Worthing",
    "postcode": "bn11 2bb",
}


def _create_account(client, django_capture_on_commit_callbacks, email, name="Morgan Newqx"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:account-create"), {"full_name": name, "email": email})


# --- A parent's own account ---------------------------------------------------------------------


def test_a_parent_new_to_the_council_makes_an_account_that_sees_no_child(
    client, db, django_capture_on_commit_callbacks
):
    response = _create_account(client, django_capture_on_commit_callbacks, "Morgan@Example.org")

    assert response.url == reverse("portal:sign-in-sent")
    parent = User.objects.get(username="morgan@example.org")
    assert (parent.role, parent.first_name, parent.last_name) == (Role.PARENT, "Morgan", "Newqx")
    assert not parent.has_usable_password()
    assert not ParentLink.objects.filter(user=parent).exists()
    (message,) = mail.outbox
    assert message.to == ["morgan@example.org"]
    client.force_login(parent)
    home = page_text(client.get(reverse("portal:home")))
    assert "has not linked any children to your account yet" in home


def test_making_an_account_with_a_staff_address_changes_nothing_and_says_nothing(
    client, db, django_capture_on_commit_callbacks
):
    staff_address = "officer@council.example"
    officer = UserFactory(role=Role.EHE_OFFICER, username="jsmith", email="Officer@Council.example")

    response = _create_account(client, django_capture_on_commit_callbacks, staff_address)

    assert response.url == reverse("portal:sign-in-sent")  # the same page as any other address
    assert mail.outbox == []
    officer.refresh_from_db()
    assert officer.role == Role.EHE_OFFICER
    assert not User.objects.filter(role=Role.PARENT).exists()


def test_account_making_shares_the_sign_in_rate_limits(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_LINK_REQUESTS_PER_IP = 3
    for n in range(5):
        _create_account(client, django_capture_on_commit_callbacks, f"parent{n}@example.org")

    assert User.objects.filter(role=Role.PARENT).count() == 3
    assert len(mail.outbox) == 3
    assert PortalLinkRequest.objects.filter(refused=True).count() == 2


def test_a_missing_name_or_a_bad_address_is_said_on_the_form(client, db):
    response = client.post(reverse("portal:account-create"), {"full_name": "", "email": "x@"})
    text = page_text(response)
    assert "Enter your full name" in text
    assert "Enter an email address in the correct format" in text
    assert not User.objects.exists()


# --- The officer's side: suggested records, or a new one ---------------------------------------


def _notice_from_new_parent(client, family):  # noqa: F811 - the fixture
    parent = UserFactory(role=Role.PARENT, username="new@example.org")
    sign_in(client, parent)
    _notify(client, "another", NEW_CHILD)
    client.logout()
    sign_in(client, family.officer)
    return ParentSubmission.objects.get(details__child__legal_surname="Selfnoticeqx")


def test_the_officer_is_shown_records_with_the_same_birth_date_and_a_similar_name(
    client,
    family,  # noqa: F811 - the fixture
):
    likely = ChildFactory(
        legal_forenames="Rowena", legal_surname="Selfnotice", date_of_birth=date(2015, 5, 4)
    )
    ChildFactory(legal_forenames="Rowan", legal_surname="Other", date_of_birth=date(2016, 5, 4))
    notice = _notice_from_new_parent(client, family)

    page = client.get(reverse("registry:parent-notice-list"))
    client.post(
        reverse("registry:parent-notice-list"),
        {"submission": notice.pk, "child": str(likely.pk), "child_id": ""},
    )

    candidates = page.context["rows"][0].candidates
    assert candidates == [likely]
    notice.refresh_from_db()
    assert (notice.child, notice.status) == (likely, SubmissionStatus.SEEN)


def test_the_notices_list_is_logged_with_the_child_it_names_though_no_record_holds_them(
    client,
    family,  # noqa: F811 - the fixture
):
    _notice_from_new_parent(client, family)

    page = client.get(reverse("registry:parent-notice-list"))

    assert "Selfnoticeqx" in page_text(page)
    row = ChildListAccessLog.objects.get(
        user=family.officer, path=reverse("registry:parent-notice-list")
    )
    assert (row.shown, row.children.count()) == (1, 0)


def test_a_notice_about_a_child_not_on_the_register_becomes_a_record_with_its_case(
    client,
    family,  # noqa: F811 - the fixture
):
    notice = _notice_from_new_parent(client, family)

    response = client.post(
        reverse("registry:parent-notice-list"), {"submission": notice.pk, "new_record": "1"}
    )

    notice.refresh_from_db()
    child = notice.child
    assert response.url == reverse("registry:child-detail", args=[child.pk])
    assert (child.legal_forenames, child.date_of_birth) == ("Rowan", date(2015, 5, 4))
    assert child.addresses.get().postcode == "BN11 2BB"
    assert [(c.full_name, c.is_educating) for c in child.carers.all()] == [("Alex Portalqx", True)]
    episode = child.ehe_episodes.get()
    assert (episode.source, episode.start_date) == (EHESource.PARENT, date(2025, 9, 1))
    # The parent sees the record only once an officer gives them a sign-in from it.
    assert not ParentLink.objects.filter(carer__child=child).exists()
    again = client.post(
        reverse("registry:parent-notice-list"), {"submission": notice.pk, "new_record": "1"}
    )
    assert again.status_code == 404  # matched: no longer waiting, no second record
    assert type(child).objects.filter(legal_surname="Selfnoticeqx").count() == 1


def test_a_role_that_cannot_change_records_cannot_make_one_from_a_notice(
    client,
    family,  # noqa: F811 - the fixture
):
    notice = _notice_from_new_parent(client, family)
    lead = UserFactory(role=Role.INCLUSION_LEAD)
    sign_in(client, lead)

    response = client.post(
        reverse("registry:parent-notice-list"), {"submission": notice.pk, "new_record": "1"}
    )

    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.child is None


pytestmark = pytest.mark.django_db


def test_the_parents_page_for_a_child_the_council_does_not_hold_starts_from_the_parents_name(
    client,
    family,  # noqa: F811 - the fixture
):
    """It was a server error: the page looked up the child "another" as a record id."""
    parent = UserFactory(
        role=Role.PARENT, username="jo@example.org", first_name="Jo", last_name="Newqx"
    )
    sign_in(client, parent)
    client.get(reverse("portal:notice-start"))
    client.post(reverse("portal:notice-step", args=["child"]), {"child": "another"})
    client.post(reverse("portal:notice-step", args=["child-details"]), NEW_CHILD)

    response = client.get(reverse("portal:notice-step", args=["parents"]))

    assert response.status_code == 200
    assert response.context["form"].initial == {"parent_1_name": "Jo Newqx"}


def test_once_the_register_is_in_force_the_notice_asks_the_estimates_of_time(
    client,
    family,  # noqa: F811 - the fixture
    settings,
):
    """docs/rules/ehe.md §6: s.436C(1)(d) and (da), asked only from commencement."""
    parent = UserFactory(role=Role.PARENT, username="new@example.org")
    sign_in(client, parent)
    before = _notify(client, "another", NEW_CHILD)[0]
    settings.STATUTORY_RULES = '{"cnis_register_commenced_on": "2026-09-01"}'
    client.get(reverse("portal:notice-start"))
    client.post(reverse("portal:notice-step", args=["child"]), {"child": "another"})
    client.post(reverse("portal:notice-step", args=["child-details"]), NEW_CHILD)
    client.post(reverse("portal:notice-step", args=["parents"]), PARENTS)
    providers = client.post(reverse("portal:notice-step", args=["providers"]), PROVIDERS)
    client.post(
        reverse("portal:notice-step", args=["time"]),
        {"hours_from_parents": "20", "hours_from_others": "2.5"},
    )
    client.post(reverse("portal:notice-step", args=["dates"]), DATES)
    check = page_text(client.get(reverse("portal:notice-check")))
    client.post(reverse("portal:notice-check"))

    assert "Time educated" not in page_text(before)
    assert providers.url == reverse("portal:notice-step", args=["time"])
    assert "20 hours a week" in check
    notice = ParentSubmission.objects.filter(details__hours_from_parents="20").get()
    client.logout()
    sign_in(client, family.officer)
    client.post(
        reverse("registry:parent-notice-list"), {"submission": notice.pk, "new_record": "1"}
    )
    notice.refresh_from_db()
    episode = notice.child.ehe_episodes.get()
    assert (episode.estimated_hours_from_parents, episode.estimated_hours_from_others) == (
        Decimal("20.0"),
        Decimal("2.5"),
    )
