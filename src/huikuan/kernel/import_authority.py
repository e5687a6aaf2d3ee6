"""What an account import may do on behalf of the user who imports it: the screens' rules, applied to a file.

A file can change what a person on the screens may change only through a use case with its checks (waive
a penalty, reassign a case), so an import must not be a way round them:

- A **team lead** imports into their own team: a team column, if the file has one, names that team; a
  debtor already in huikuan must be one of the team's (their case is the team's); new debtors' cases are
  the team's. Balances may rise; penalties and fees may fall within the lead's waiver authority on the
  case (what `payments.waivers.waiver_authority` says the lead may still waive), and principal and
  interest may not fall at all: no waiver covers them, and money that came in is a payment to post.
- An **administrator** (and the operator running the command without naming a user) imports the
  lender's own feed: any team, any debtor, any balance, as an administrator may on the screens, where
  their waiver approvals are not limited by an authority.
- Everyone else imports nothing.
- For every importer, a collector column names an active collector of the case's team (the team the row
  names, else the case's team, else, for a new case, the lead's team or the collector's own): never a
  team lead, QA, legal or an administrator, never someone of another team. That is `reassign_case`'s rule.

Pure functions over plain values; intake/authority.py gathers the values from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

COLLECTOR = "collector"
TEAM_LEAD = "team_lead"
ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Importer:
    user_id: int | None  # None: the command line without --user, run by the installation's operator
    role: str
    team_id: int | None

    @property
    def unlimited(self) -> bool:
        """An administrator's import, or the operator's: the lender's feed, bound by no team or authority."""
        return self.role == ADMIN

    @property
    def lead(self) -> bool:
        return self.role == TEAM_LEAD


def may_import(role: str, team_id: int | None, active: bool = True) -> bool:
    """Administrators, and team leads who lead a team."""
    return active and (role == ADMIN or (role == TEAM_LEAD and team_id is not None))


@dataclass(frozen=True, slots=True)
class Person:
    """A user a file's collector column names."""

    user_id: int
    role: str
    team_id: int | None
    active: bool


def named_team_problem(importer: Importer, team_id: int) -> str | None:
    """A team column naming a team a lead does not lead."""
    if importer.lead and team_id != importer.team_id:
        return "team_not_yours"
    return None


def debtor_problem(importer: Importer, case_team_id: int | None) -> str | None:
    """A debtor already in huikuan whose case (``case_team_id``, None without a case or a team) a lead's
    file would change: only the debtors of the lead's own team."""
    if importer.lead and case_team_id != importer.team_id:
        return "debtor_not_yours"
    return None


def case_team(importer: Importer, named: int | None, stored: int | None, collector: Person | None) -> int | None:
    """The team the case belongs to once the row is imported."""
    if named is not None:
        return named
    if stored is not None:
        return stored
    if importer.lead:
        return importer.team_id
    return collector.team_id if collector is not None else None


def collector_problem(person: Person, team_id: int | None) -> str | None:
    """Cases go to an active collector of the case's team, as in `reassign_case`."""
    if person.role != COLLECTOR:
        return "not_a_collector"
    if not person.active:
        return "collector_inactive"
    if person.team_id is None or person.team_id != team_id:
        return "collector_other_team"
    return None


@dataclass(frozen=True, slots=True)
class Decrease:
    """How much a file lowers one account's balance, by component (zero where it does not)."""

    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal

    @property
    def waivable(self) -> Decimal:
        """The part a waiver can cover: penalties and fees."""
        return self.penalty + self.fee

    @property
    def owed(self) -> Decimal:
        """The part no waiver covers: principal and interest."""
        return self.principal + self.interest


def decrease_problem(importer: Importer, decrease: Decrease) -> str | None:
    """Principal or interest lowered by anyone but an administrator."""
    if not importer.unlimited and decrease.owed > 0:
        return "owed_decrease"
    return None


def beyond_authority(importer: Importer, waived: Decimal, left: Decimal) -> bool:
    """Whether a debtor's penalties and fees lowered by ``waived`` in the file exceed what the importer
    may still waive on the case (``left``)."""
    return not importer.unlimited and waived > left
