"""Demo parents: accounts in the parent portal for a few demo families (ADR 0014).

Each is linked to the carer record of a child with an open EHE case, with a demo email address
(example.org, which never delivers). A parent signs in on the portal's sign-in page with that
address; the console email backend prints the one-time link, and seed_demo prints one too.
"""

from django.db.models import Q

from registry.models import EHE_OPEN_STATUSES, Carer, ParentLink, User
from registry.portal.services import parent_account_create, sign_in_link
from registry.services.history import ChangeReason, save_with_history

DEMO_PARENT_COUNT = 3
DEMO_PARENT_DOMAIN = "parents.demo.example.org"
SIGN_IN_LINK_PATH = "/parents/sign-in/link/"


def demo_parents_create(*, count: int = DEMO_PARENT_COUNT) -> list[User]:
    """Parents for the first ``count`` children (by name) with an open EHE case and a carer."""
    carers = (
        Carer.objects.filter(
            child__ehe_episodes__status__in=EHE_OPEN_STATUSES,
            child__merged_into__isnull=True,
        )
        .select_related("child")
        .order_by("child__legal_surname", "child__legal_forenames", "full_name")
        .distinct()
    )
    parents, seen = [], set()
    for carer in carers:
        if carer.child_id in seen:
            continue
        seen.add(carer.child_id)
        number = len(parents) + 1
        carer.email = f"parent{number}@{DEMO_PARENT_DOMAIN}"
        save_with_history(carer, by=None, reason=ChangeReason.SEED_DEMO, detail="Demo parent")
        parents.append(parent_account_create(carer=carer, email=carer.email, by=None))
        if len(parents) == count:
            break
    return parents


def demo_parents() -> list[tuple[User, list[str]]]:
    """The demo parents and their children's names, for printing."""
    users = User.objects.filter(
        Q(username__endswith=f"@{DEMO_PARENT_DOMAIN}"), parent_links__isnull=False
    ).distinct()
    return [
        (
            user,
            sorted(
                link.carer.child.full_name
                for link in ParentLink.objects.filter(user=user).select_related("carer__child")
            ),
        )
        for user in users.order_by("username")
    ]


def demo_sign_in_link(user: User, host: str) -> str:
    return sign_in_link(user=user, base_url=f"{host}{SIGN_IN_LINK_PATH}")
