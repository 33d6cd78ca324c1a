"""Templates: Django's {# #} comment ends at the end of its line, so a comment spread over lines is
printed on the page. Every template is checked, and the pages themselves."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from registry.models import Role
from tests.factories import (
    ActionFactory,
    CMEEpisodeFactory,
    ContactFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    SubmissionFactory,
    UserFactory,
)


def _template_files():
    roots = [Path(directory) for directory in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(settings.BASE_DIR) / app for app in ("registry", "schools_feed")]
    return sorted({path for root in roots for path in root.rglob("*.html")})


def test_no_template_has_a_comment_spread_over_several_lines():
    spread = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in _template_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]

    assert _template_files(), "no templates found: the check would pass on nothing"
    assert spread == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.INCLUSION_LEAD])
def test_no_rendered_page_shows_a_template_comment(client, role):
    episode = EHEEpisodeFactory()
    child = episode.child
    ContactFactory(child=child, ehe_episode=episode)
    cme = CMEEpisodeFactory()
    alert = OffRollingAlertFactory()
    notification = NotificationFactory(
        child=child, submission=SubmissionFactory(school=alert.school)
    )
    user = UserFactory(role=role)
    ActionFactory(child=child, owner=user)
    client.force_login(user)
    session = client.session
    reason = {"purpose": "casework", "reason": "Checking the record"}
    session["child_access_reasons"] = {str(child.pk): reason, str(cme.child.pk): reason}
    session.save()
    urls = [
        reverse("home"),
        reverse("registry:child-list") + "?text=a",
        reverse("registry:child-detail", args=[child.pk]),
        reverse("registry:child-detail", args=[cme.child.pk]),
        reverse("registry:contact-create", args=[child.pk]),
        reverse("registry:action-create", args=[child.pk]),
        reverse("registry:ehe-episode-status", args=[episode.pk]),
        reverse("registry:cme-episode-status", args=[cme.pk]),
        reverse("registry:report-list"),
        reverse("schools_feed:notification-list"),
        reverse("schools_feed:notification-detail", args=[notification.pk]),
        reverse("offrolling:overview"),
        reverse("offrolling:alert-list"),
        reverse("offrolling:alert-detail", args=[alert.pk]),
        reverse("offrolling:school", args=[alert.school.urn]),
    ]
    shown = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page this role may not see: nothing rendered from the page's template
        text = response.content.decode()
        shown += [url for marker in ("{#", "#}") if marker in text]

    assert shown == []
