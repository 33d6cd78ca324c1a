"""What the parent portal reads. The one gate for a parent is ``parent_children``: the children
whose carer records their account is linked to (ADR 0014)."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from registry.access import Capability, user_can
from registry.models import (
    EHE_OPEN_STATUSES,
    Child,
    Complaint,
    EHEEpisode,
    EHEStatus,
    EnforcementStep,
    ParentLink,
    ParentSubmission,
    SentLetter,
    User,
)
from registry.models.episodes import NOTICES_NAMING_A_SCHOOL, NOTICES_TO_SATISFY
from registry.models.letters import LetterKind

# What a parent is told of the home-education case, in plain words (docs/rules/ehe.md §11).
PLAIN_STATUS = {
    EHEStatus.NOTIFIED: "We have been told your child is home educated.",
    EHEStatus.FIRST_CONTACT: "We have been in touch with you about your child's education.",
    EHEStatus.BEING_ASSESSED: "We are looking at the information about your child's education.",
    EHEStatus.SUITABLE: "We are satisfied that your child is receiving a suitable education.",
    EHEStatus.CONCERNS: (
        "We have asked you for more information because we are not yet satisfied that your "
        "child is receiving a suitable education."
    ),
    EHEStatus.UNSUITABLE: (
        "We are not satisfied that your child is receiving a suitable education."
    ),
    EHEStatus.S437_NOTICE_SERVED: (
        "We have sent you a formal notice asking you to show that your child is receiving a "
        "suitable education."
    ),
    EHEStatus.SAO_STEPS: "We are taking steps towards a school attendance order.",
}
# Letters that go to the family; an enquiry to another LA is not theirs to read.
LETTERS_TO_FAMILIES = frozenset(LetterKind) - {LetterKind.CME_OTHER_LA}
NOTICES_A_PARENT_ANSWERS = NOTICES_TO_SATISFY | NOTICES_NAMING_A_SCHOOL


def parent_children(*, user: User) -> QuerySet[Child]:
    """The children a parent may see: none for anyone else."""
    if not user_can(user, Capability.USE_PARENT_PORTAL):
        return Child.objects.none()
    carers = ParentLink.objects.filter(user=user).values("carer")
    return (
        Child.objects.active()
        .filter(carers__in=carers, anonymised_at__isnull=True)
        .distinct()
        .order_by("legal_forenames", "legal_surname")
    )


def portal_child_queryset() -> QuerySet[Child]:
    """A child with what the portal's record page shows."""
    return Child.objects.prefetch_related(
        "addresses",
        "carers",
        Prefetch(
            "ehe_episodes",
            queryset=EHEEpisode.objects.prefetch_related(
                "providers",
                Prefetch(
                    "enforcement_steps",
                    queryset=EnforcementStep.objects.select_related("grounds_request"),
                ),
            ),
        ),
        Prefetch(
            "parent_submissions",
            queryset=ParentSubmission.objects.prefetch_related("files").select_related(
                "enforcement_step"
            ),
        ),
        Prefetch("complaints", queryset=Complaint.objects.all()),
        Prefetch(
            "sent_letters",
            queryset=SentLetter.objects.filter(kind__in=LETTERS_TO_FAMILIES).defer("pdf", "docx"),
        ),
    )


def open_ehe_episode(child: Child) -> EHEEpisode | None:
    return next((e for e in child.ehe_episodes.all() if e.status in EHE_OPEN_STATUSES), None)


def plain_status(episode: EHEEpisode | None) -> str:
    if episode is None:
        return "We do not have an open home education case for your child."
    return PLAIN_STATUS.get(episode.status, episode.get_status_display())


def notices_to_answer(*, child: Child, on=None) -> QuerySet[EnforcementStep]:
    """Notices on the child's open EHE case whose date to answer has not passed."""
    on = on or timezone.localdate()
    return (
        EnforcementStep.objects.filter(
            episode__child=child,
            episode__status__in=EHE_OPEN_STATUSES,
            step_type__in=NOTICES_A_PARENT_ANSWERS,
        )
        .filter(Q(respond_by__gte=on))
        .select_related("grounds_request")
    )
