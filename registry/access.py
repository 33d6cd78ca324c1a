"""Who may do what: the one capability table (ADR 0002).

Every check of a role in the code base reads this table: the views, the API, the admin, the
navigation, the templates (``{% load capabilities %}``, ``user|can:"change_child"``) and the
access gates in the selectors modules, which ask it which *scope* of children, notifications and
schools a role has. No other module names a set of roles. To give a role a new power, add the
capability to its row here; the permission-matrix test (tests/test_permission_matrix.py) then
shows every page that changed.
"""

from enum import StrEnum

from django.utils import timezone

from registry.models.users import Role
from registry.rulebook import rules


class Capability(StrEnum):
    # --- Which children a role sees (the child gate reads these; registry/selectors.py) ---------
    SEE_EVERY_CHILD = "see_every_child"
    # Children with an EHE episode (open or closed), and EHE episodes; such a role holds EHE cases.
    EHE_CASEWORK = "ehe_casework"
    CME_CASEWORK = "cme_casework"
    # Children with no episode yet, so duplicates are found and a first episode opened.
    SEE_CHILDREN_WITHOUT_EPISODE = "see_children_without_episode"
    # Children named in a school's notifications (the inclusion lead's reach).
    SEE_NOTIFIED_CHILDREN = "see_notified_children"

    # --- The child's record ----------------------------------------------------------------------
    VIEW_CHILD_RECORD = "view_child_record"
    # Must give a reason (logged) before a child's name or record is shown, in a record or a list.
    VIEW_WITH_REASON = "view_with_reason"
    CHANGE_CHILD = "change_child"
    SEARCH_REGISTER = "search_register"
    VIEW_ACCESS_LOG = "view_access_log"
    # The list of children likely to be recorded twice, found by the matching model (ADR 0012).
    FIND_DUPLICATES = "find_duplicates"

    # --- Schools and their returns (schools_feed/selectors.py) -----------------------------------
    SEE_EVERY_SCHOOL = "see_every_school"
    # Only the schools the user is linked to, and their returns (a school's own staff and clients).
    SEE_OWN_SCHOOLS = "see_own_schools"
    # Every school's notifications and submissions, with how each was routed.
    SEE_EVERY_NOTIFICATION = "see_every_notification"
    VIEW_NOTIFICATIONS = "view_notifications"
    QUERY_SCHOOLS = "query_schools"
    SEND_RETURNS = "send_returns"
    USE_SCHOOL_API = "use_school_api"
    REVIEW_MATCHES = "review_matches"
    # Joint enquiries before a deletion on an absence ground (docs/rules/registration.md §5): a
    # school opens them for its pupils; they are seen by the school and the CME officers.
    OPEN_JOINT_ENQUIRY = "open_joint_enquiry"
    VIEW_JOINT_ENQUIRIES = "view_joint_enquiries"

    # --- The off-rolling monitor (schools_feed/offrolling) ---------------------------------------
    VIEW_OFFROLLING = "view_offrolling"
    REVIEW_OFFROLLING = "review_offrolling"
    VIEW_OFFROLLING_CHILDREN = "view_offrolling_children"
    # Free-text notes on an alert's review may name a child or a family: not for aggregate roles.
    VIEW_ALERT_NOTES = "view_alert_notes"

    # --- Statistics (registry/reporting) ---------------------------------------------------------
    VIEW_REPORT_DFE_RETURN = "view_report_dfe_return"
    VIEW_REPORT_QUARTERLY_PACK = "view_report_quarterly_pack"
    PRODUCE_REPORTS = "produce_reports"
    # The children behind the DfE return's validation report.
    VIEW_DFE_CHILDREN = "view_dfe_children"

    # --- Managers' decisions (docs/rules/cme.md §7, docs/rules/ehe.md §4) -------------------------
    # Close a CME case without the child being found; record an enforcement step before the
    # parent's response date. No role is called a manager yet: administrators and the inclusion
    # lead hold it.
    DECIDE_AS_MANAGER = "decide_as_manager"
    # The statutory rulebook's values and sources ("Rules in force").
    VIEW_RULES_IN_FORCE = "view_rules_in_force"

    # --- The children-not-in-school register (ADR 0016), once commenced ------------------------
    KEEP_CNIS_REGISTER = "keep_cnis_register"

    # --- The parent portal (ADR 0014) -----------------------------------------------------------
    # A parent's own children only (ParentLink), through the portal's pages and nothing else:
    # a user holding this is kept to the portal (registry/portal/middleware.py).
    USE_PARENT_PORTAL = "use_parent_portal"
    # Parents' home-education notices waiting for an officer, and their evidence files.
    TRIAGE_PARENT_NOTICES = "triage_parent_notices"
    # Receive parents' complaints (never one about oneself or one's own case: docs/rules/ehe.md
    # §11).
    HANDLE_COMPLAINTS = "handle_complaints"

    # --- Running the service ---------------------------------------------------------------------
    # The text of an exception (it may quote data or internals), not only "it failed".
    VIEW_TECHNICAL_ERRORS = "view_technical_errors"
    # Every school's returns, with the children they were linked to, to a file.
    EXPORT_NOTIFICATIONS = "export_notifications"
    ADMINISTER = "administer"


C = Capability

_CASEWORK = {
    C.VIEW_CHILD_RECORD,
    C.CHANGE_CHILD,
    C.SEARCH_REGISTER,
    C.SEE_CHILDREN_WITHOUT_EPISODE,
    C.SEE_EVERY_SCHOOL,
    C.SEE_EVERY_NOTIFICATION,
    C.VIEW_NOTIFICATIONS,
    C.QUERY_SCHOOLS,
    C.REVIEW_MATCHES,
    C.FIND_DUPLICATES,
    C.VIEW_REPORT_DFE_RETURN,
    C.VIEW_DFE_CHILDREN,
}

CAPABILITIES: dict[str, frozenset[Capability]] = {
    # The administrator (data manager) may do everything, without the limits that hold the
    # other roles back: no reason asked first, and not confined to linked schools as school staff
    # are (the schools' API is for schools' own clients only).
    Role.ADMINISTRATOR: frozenset(Capability)
    - {C.VIEW_WITH_REASON, C.SEE_OWN_SCHOOLS, C.USE_SCHOOL_API, C.USE_PARENT_PORTAL},
    Role.EHE_OFFICER: frozenset(
        _CASEWORK | {C.EHE_CASEWORK, C.TRIAGE_PARENT_NOTICES, C.KEEP_CNIS_REGISTER}
    ),
    Role.CME_OFFICER: frozenset(_CASEWORK | {C.CME_CASEWORK, C.VIEW_JOINT_ENQUIRIES}),
    Role.INCLUSION_LEAD: frozenset(
        {
            C.SEE_NOTIFIED_CHILDREN,
            C.VIEW_CHILD_RECORD,
            C.VIEW_WITH_REASON,
            C.SEARCH_REGISTER,
            C.SEE_EVERY_SCHOOL,
            C.SEE_EVERY_NOTIFICATION,
            C.VIEW_NOTIFICATIONS,
            C.QUERY_SCHOOLS,
            C.VIEW_OFFROLLING,
            C.REVIEW_OFFROLLING,
            C.VIEW_OFFROLLING_CHILDREN,
            C.VIEW_ALERT_NOTES,
            C.VIEW_REPORT_DFE_RETURN,
            C.VIEW_REPORT_QUARTERLY_PACK,
            C.DECIDE_AS_MANAGER,
            C.VIEW_RULES_IN_FORCE,
            C.HANDLE_COMPLAINTS,
        }
    ),
    # The DCS and performance analysts: aggregates only, never a child.
    Role.DCS: frozenset(
        {
            C.SEE_EVERY_SCHOOL,
            C.VIEW_OFFROLLING,
            C.VIEW_REPORT_DFE_RETURN,
            C.VIEW_REPORT_QUARTERLY_PACK,
            C.PRODUCE_REPORTS,
        }
    ),
    Role.SCHOOL_USER: frozenset(
        {
            C.SEE_OWN_SCHOOLS,
            C.VIEW_NOTIFICATIONS,
            C.SEND_RETURNS,
            C.USE_SCHOOL_API,
            C.OPEN_JOINT_ENQUIRY,
            C.VIEW_JOINT_ENQUIRIES,
        }
    ),
    # Parents and carers: the portal, and nothing of the staff register (ADR 0014).
    Role.PARENT: frozenset({C.USE_PARENT_PORTAL}),
}

# Which home page each role lands on, and what the navigation calls it.
HOME_PAGES: dict[str, tuple[str, str]] = {
    Role.SCHOOL_USER: ("school", "Your returns"),
    Role.DCS: ("overview", "Overview"),
    Role.INCLUSION_LEAD: ("inclusion_lead", "Home"),
    Role.EHE_OFFICER: ("officer", "Home"),
    Role.CME_OFFICER: ("officer", "Home"),
    Role.ADMINISTRATOR: ("officer", "Home"),
    Role.PARENT: ("portal", "Your children"),
}

# The service navigation: each item is shown to the roles holding its capability, in this order.
NAVIGATION: list[tuple[str, str, Capability]] = [
    ("registry:child-list", "Register search", C.SEARCH_REGISTER),
    ("schools_feed:notification-list", "Notifications", C.SEE_EVERY_NOTIFICATION),
    ("schools_feed:review-queue", "Returns to match", C.REVIEW_MATCHES),
    ("schools_feed:send", "Send returns", C.SEND_RETURNS),
    # Officers reach joint enquiries from Notifications, where they arrive as CME referrals.
    ("schools_feed:joint-enquiry-list", "Joint enquiries", C.OPEN_JOINT_ENQUIRY),
    ("schools_feed:submission-list", "Files and forms sent", C.SEE_OWN_SCHOOLS),
    ("offrolling:overview", "Off-rolling", C.VIEW_OFFROLLING),
    ("registry:cnis-register", "CNIS register", C.KEEP_CNIS_REGISTER),
    ("registry:report-list", "Statistics", C.VIEW_REPORT_DFE_RETURN),
    ("registry:parent-notice-list", "From parents", C.TRIAGE_PARENT_NOTICES),
    ("registry:complaint-list", "Complaints", C.HANDLE_COMPLAINTS),
    ("admin:index", "Administration", C.ADMINISTER),
]


# Reference pages, needed now and then rather than every day: links in the page footer, so the
# service navigation keeps to one line for every role.
FOOTER_LINKS: list[tuple[str, str, Capability]] = [
    ("registry:rules-in-force", "Rules in force", C.VIEW_RULES_IN_FORCE),
    ("registry:school-calendar", "School calendar", C.ADMINISTER),
]


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def capabilities_of(user) -> frozenset[Capability]:
    """What the user may do: nothing unless signed in and active."""
    if not _signed_in(user):
        return frozenset()
    return CAPABILITIES.get(user.role, frozenset())


def user_can(user, capability: Capability | str) -> bool:
    return Capability(capability) in capabilities_of(user)


def roles_with(capability: Capability | str) -> list[str]:
    """The roles holding a capability, for queries such as "who may be assigned an EHE case"."""
    capability = Capability(capability)
    return [role for role, held in CAPABILITIES.items() if capability in held]


def report_capability(kind: str) -> Capability:
    """The capability that reads a kind of report (``registry.models.ReportKind``)."""
    return Capability(f"view_report_{kind}")


def home_page_of(user) -> str:
    return HOME_PAGES.get(user.role, ("officer", "Home"))[0] if _signed_in(user) else ""


# The administrator holds every capability, but a navigation with every item would not fit one
# line: queues it rarely works are reached from its home page (parents' notices, complaints) and
# from Notifications (joint enquiries) instead.
NAVIGATION_LEFT_TO_HOME: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            "registry:parent-notice-list",
            "registry:complaint-list",
            "schools_feed:joint-enquiry-list",
            "registry:cnis-register",
        }
    ),
}

# Items for duties not yet in force: shown from the commencement date the rulebook holds.
NAVIGATION_FROM_COMMENCEMENT: dict[str, str] = {
    "registry:cnis-register": "cnis_register_commenced_on",
}


def _commenced(url_name: str) -> bool:
    commencement = NAVIGATION_FROM_COMMENCEMENT.get(url_name)
    return commencement is None or rules().commenced(commencement, timezone.localdate())


def footer_links_for(user) -> list[tuple[str, str]]:
    """(URL name, text) of the footer's reference links the user may follow."""
    return [(name, text) for name, text, needed in FOOTER_LINKS if user_can(user, needed)]


def navigation_for(user) -> list[tuple[str, str]]:
    """(URL name, text) of the items the user sees, their home page first."""
    if not _signed_in(user) or user.role not in HOME_PAGES:
        return []
    page, text = HOME_PAGES[user.role]
    # A school's home is its list of returns: link there, so the item is marked current on it.
    items = [("schools_feed:notification-list" if page == "school" else "home", text)]
    left_to_home = NAVIGATION_LEFT_TO_HOME.get(user.role, frozenset())
    return items + [
        (name, text)
        for name, text, needed in NAVIGATION
        if user_can(user, needed) and name not in left_to_home and _commenced(name)
    ]
