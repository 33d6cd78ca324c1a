"""The DfE return's validation report: each issue to fix before the return is sent, with the child
it is about, loaded through the children's gate (only for VIEW_DFE_CHILDREN)."""

from dataclasses import dataclass
from datetime import date

from registry.models import Child
from registry.reporting.dfe import dfe_return_issues
from registry.reporting.selectors import reports_user_may_see_children
from registry.selectors import child_queryset_for_user


@dataclass(frozen=True)
class IssueRow:
    """An issue of the DfE return with the child it is about, or ``child=None`` when the child is
    outside what the user may see (the issue is listed, the child is not named)."""

    child: Child | None
    kind: str  # EHE or CME
    code: str  # registry.reporting.dfe.IssueCode
    message: str


def dfe_return_issue_rows(*, user, census_date: date) -> list[IssueRow]:
    """The issues to fix before the return for ``census_date`` is sent, each with its child loaded
    through the children's gate. Empty for a role that may not see children."""
    if not reports_user_may_see_children(user=user):
        return []
    issues = dfe_return_issues(census_date)
    children = child_queryset_for_user(user=user).in_bulk({str(issue.child_id) for issue in issues})
    children = {str(pk): child for pk, child in children.items()}
    rows = [
        IssueRow(
            child=children.get(str(issue.child_id)),
            kind=issue.kind,
            code=issue.code,
            message=issue.message,
        )
        for issue in issues
    ]
    return sorted(
        rows,
        key=lambda row: (
            row.child is None,
            (row.child.legal_surname.lower(), row.child.legal_forenames.lower())
            if row.child
            else ("", ""),
            row.kind,
            row.code,
        ),
    )
