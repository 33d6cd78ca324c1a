import pytest
from registry.models import Role
from tests.factories import *

@pytest.mark.django_db
def test_pages(client, user_with_role):
    u = user_with_role(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    child = ChildFactory()
    AddressFactory(child=child); CarerFactory(child=child); ChildFlagFactory(child=child, flag_type="cp_plan")
    e = EHEEpisodeFactory(child=child); c = CMEEpisodeFactory(child=ChildFactory())
    ContactFactory(child=child); a = ActionFactory(child=child, owner=u)
    n = NotificationFactory(child=child)
    client.force_login(u)
    from django.urls import reverse
    urls = [reverse("registry:home"), reverse("registry:child-list")+"?text=a", reverse("registry:child-detail", args=[child.pk]),
            reverse("registry:child-history", args=[child.pk]), reverse("registry:child-access-log", args=[child.pk]),
            reverse("registry:contact-create", args=[child.pk]), reverse("registry:action-create", args=[child.pk]),
            reverse("registry:action-complete", args=[a.pk]), reverse("registry:decision-create", args=[child.pk]),
            reverse("registry:ehe-episode-create", args=[child.pk]), reverse("registry:cme-episode-create", args=[child.pk]),
            reverse("registry:child-merge", args=[child.pk]), reverse("registry:child-identity", args=[child.pk]),
            reverse("registry:ehe-episode-status", args=[e.pk]), reverse("registry:ehe-episode-assign", args=[e.pk]),
            reverse("registry:ehe-episode-edit", args=[e.pk]), reverse("registry:cme-episode-status", args=[c.pk]),
            reverse("registry:cme-episode-assign", args=[c.pk]), reverse("registry:cme-enquiry-create", args=[c.pk]),
            reverse("registry:referral-create", args=[c.pk]), reverse("schools_feed:notification-list"),
            reverse("schools_feed:notification-detail", args=[n.pk]), "/admin/"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    r = client.post(reverse("registry:contact-create", args=[child.pk]), {"contact_date_0": "1", "contact_date_1":"10", "contact_date_2":"2025", "method":"phone","with_whom":"Mum","summary":"s","outcome":"spoke"})
    assert r.status_code == 302, r.content.decode()[:3000]
    r = client.post(reverse("registry:contact-create", args=[child.pk]), {"contact_date_0": "", "method":"phone"})
    assert b"There is a problem" in r.content
    print(r.content.decode()[r.content.decode().index("govuk-error-summary"):][:1500])
