"""Who a new case from a school's return goes to (OfficerAssignmentRule, kept in the admin).

A rule for the return's school wins over a rule for the family's postcode district; with neither,
the officer of that kind with the fewest open actions takes it, as the first actions always did.
Whatever decided it is said in words, so the officer and the manager can see why the case is hers.
Loaded once per batch of returns: routing a file of 500 returns reads the rules once."""

from dataclasses import dataclass

from registry.models import AssignmentRegister, OfficerAssignmentRule, User

BY_RULE = "Assigned to {officer} by the rule for {basis}"
BY_LOAD = (
    "Assigned to {officer}, the {register} officer with the fewest open actions: no assignment "
    "rule covers this school or postcode district"
)


def postcode_district(postcode: str) -> str:
    """The outward code of a UK postcode: "rh10 1ab" and "RH101AB" give "RH10"."""
    compact = "".join(postcode.split()).upper()
    if " " in postcode.strip():
        return postcode.strip().split()[0].upper()
    return compact[:-3] if len(compact) > 4 else compact


@dataclass(frozen=True)
class Assignment:
    officer: User
    basis: str  # said on the child's timeline


class AssignmentRules:
    def __init__(self, rules: list[OfficerAssignmentRule]):
        self.by_school = {(r.register, r.school_urn): r for r in rules if r.school_urn}
        self.by_district = {
            (r.register, r.postcode_district.upper()): r for r in rules if r.postcode_district
        }

    @classmethod
    def load(cls) -> "AssignmentRules":
        """The rules whose officer can still take cases (a rule for someone who has left is
        skipped, so her cases are not assigned to an account nobody reads)."""
        return cls(
            list(
                OfficerAssignmentRule.objects.filter(officer__is_active=True).select_related(
                    "officer"
                )
            )
        )

    def rule_for(self, register: str, *, school_urn: str, postcode: str):
        rule = self.by_school.get((register, school_urn or ""))
        if rule is None and postcode:
            rule = self.by_district.get((register, postcode_district(postcode)))
        return rule

    def assign(
        self, register: str, *, school_urn: str, postcode: str, fallback: User
    ) -> Assignment:
        rule = self.rule_for(register, school_urn=school_urn, postcode=postcode)
        if rule is not None:
            return Assignment(rule.officer, BY_RULE.format(officer=rule.officer, basis=rule.basis))
        label = AssignmentRegister(register).label
        return Assignment(fallback, BY_LOAD.format(officer=fallback, register=label))
