"""The demo has letters already sent (docs/rules/ehe.md §10), through the officers' service."""

import pytest

from ehe_register.demo.letters import demo_letters_send
from registry.models import LetterKind, Role, SentLetter
from tests.factories import AddressFactory, CarerFactory, EHEEpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_families_have_an_acknowledgement_and_some_an_informal_enquiry():
    officer = UserFactory(role=Role.EHE_OFFICER)
    episodes = [EHEEpisodeFactory(assigned_officer=officer) for _ in range(3)]
    for episode in episodes:
        AddressFactory(child=episode.child)
        CarerFactory(child=episode.child)

    sent = demo_letters_send(families=2)

    assert sent == SentLetter.objects.count() == 3
    assert SentLetter.objects.filter(kind=LetterKind.EHE_ACKNOWLEDGEMENT).count() == 2
    assert SentLetter.objects.filter(kind=LetterKind.EHE_INFORMAL_ENQUIRY).count() == 1
    assert set(SentLetter.objects.values_list("sent_by", flat=True)) == {officer.pk}
    assert all(letter.pdf_sha256 for letter in SentLetter.objects.all())
