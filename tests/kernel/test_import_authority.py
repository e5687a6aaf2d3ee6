"""What an import may do for its user: the pure rules of kernel/import_authority.py."""

from __future__ import annotations

from decimal import Decimal

from huikuan.kernel import import_authority as rules

LEAD = rules.Importer(7, rules.TEAM_LEAD, 1)
ADMIN = rules.Importer(9, rules.ADMIN, None)
OPERATOR = rules.Importer(None, rules.ADMIN, None)
D = Decimal


def test_who_may_import() -> None:
    assert rules.may_import(rules.ADMIN, None)
    assert rules.may_import(rules.TEAM_LEAD, 1)
    assert not rules.may_import(rules.TEAM_LEAD, None)  # a lead of no team has no team to import into
    assert not rules.may_import(rules.TEAM_LEAD, 1, active=False)
    for role in (rules.COLLECTOR, "qa", "legal", ""):
        assert not rules.may_import(role, 1)


def test_a_lead_keeps_to_their_team_and_an_administrator_to_none() -> None:
    assert rules.named_team_problem(LEAD, 2) == "team_not_yours"
    assert rules.named_team_problem(LEAD, 1) is None
    assert rules.debtor_problem(LEAD, 2) == "debtor_not_yours"
    assert rules.debtor_problem(LEAD, None) == "debtor_not_yours"  # a debtor no team has yet
    assert rules.debtor_problem(LEAD, 1) is None
    for importer in (ADMIN, OPERATOR):
        assert rules.named_team_problem(importer, 2) is None and rules.debtor_problem(importer, None) is None


def test_the_cases_team_is_the_named_then_the_stored_then_the_importers_or_the_collectors() -> None:
    carol = rules.Person(3, rules.COLLECTOR, 2, True)
    assert rules.case_team(ADMIN, 5, 4, carol) == 5
    assert rules.case_team(ADMIN, None, 4, carol) == 4
    assert rules.case_team(ADMIN, None, None, carol) == 2
    assert rules.case_team(LEAD, None, None, carol) == 1


def test_cases_go_to_active_collectors_of_the_cases_team() -> None:
    assert rules.collector_problem(rules.Person(3, rules.COLLECTOR, 1, True), 1) is None
    assert rules.collector_problem(rules.Person(3, rules.COLLECTOR, 2, True), 1) == "collector_other_team"
    assert rules.collector_problem(rules.Person(3, rules.COLLECTOR, None, True), None) == "collector_other_team"
    assert rules.collector_problem(rules.Person(3, rules.COLLECTOR, 1, False), 1) == "collector_inactive"
    for role in (rules.TEAM_LEAD, "qa", "legal", rules.ADMIN):
        assert rules.collector_problem(rules.Person(3, role, 1, True), 1) == "not_a_collector"


def test_principal_and_interest_fall_only_in_an_administrators_file() -> None:
    lowered = rules.Decrease(D("0.01"), D("0"), D("0"), D("0"))
    assert rules.decrease_problem(LEAD, lowered) == "owed_decrease"
    assert rules.decrease_problem(ADMIN, lowered) is None and rules.decrease_problem(OPERATOR, lowered) is None
    fees = rules.Decrease(D("0"), D("0"), D("50"), D("70.25"))
    assert rules.decrease_problem(LEAD, fees) is None and fees.waivable == D("120.25")


def test_penalties_and_fees_fall_within_the_authority_left() -> None:
    assert not rules.beyond_authority(LEAD, D("100.00"), D("100.00"))
    assert rules.beyond_authority(LEAD, D("100.01"), D("100.00"))
    assert not rules.beyond_authority(ADMIN, D("1000000.00"), D("0.00"))
