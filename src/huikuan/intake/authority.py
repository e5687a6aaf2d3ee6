"""The importing user's rules for one account import: the facts kernel/import_authority.py decides on, read
from the database chunk by chunk, and the row errors of a file that asks for more than its user may do.

Checked on each staged chunk before it is written, so a refused row stops the writing there; reported
once the whole file is read, in row order, like the other errors only the database can find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.cases.sync import Assignment
from huikuan.intake.staging import StagedChunk
from huikuan.kernel import import_authority as rules
from huikuan.kernel import intake
from huikuan.kernel.ledger import Component
from huikuan.kernel.money import ZERO
from huikuan.kernel.plans.policy import CaseWaivers
from huikuan.org.models import Role, Team, User
from huikuan.org.permissions import can_import, is_system, require, role_of
from huikuan.payments.waivers import imported_waiver_room, record_imported_waivers
from huikuan.portfolio.fields import from_fen
from huikuan.portfolio.models import Account, AccountBalance, Debtor, LedgerEntry

_OWED = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)


def importer_of(user: Any) -> rules.Importer:
    """Who imports, as the rules see them; PermissionDenied for a user who may not import at all.

    No user is the system (org.permissions): the operator running the command line or a task without
    naming one. Whoever can run commands on the server can change the database itself, so their import is
    an administrator's.
    """
    require(can_import(user), _("Your role may not import accounts."))
    if is_system(user):
        return rules.Importer(None, rules.ADMIN, None)
    role = role_of(user)
    require(
        rules.may_import(role, user.team_id),
        _("A team lead imports into their team, and you lead none: an administrator must import this file."),
    )
    return rules.Importer(user.pk, role, user.team_id)


@dataclass
class _CaseWaived:
    """What a file lowers one case's penalties and fees by, and the rows that do it."""

    standing: CaseWaivers
    left: Decimal
    penalty: Decimal = ZERO
    fee: Decimal = ZERO
    # (row, column, value, the row's own decrease)
    rows: list[tuple[int, str, str, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee


class ImportAuthority:
    """One import's user and what the file has asked of their authority so far."""

    def __init__(self, user: Any, columns: Mapping[str, str], present: frozenset[str]) -> None:
        self.importer = importer_of(user)
        self.user = user if self.importer.user_id is not None else None
        self.columns = columns
        self.stated = [c.value for c in _OWED if c.value in present]
        self.people = _People(self.importer, columns)
        self.created: set[str] = set()  # customers this import adds: a lead's file may touch them
        self.errors: list[intake.RowError] = []
        self.waived: dict[int, _CaseWaived] = {}

    @property
    def refused(self) -> bool:
        """Whether a row so far asks for more than the importer may do: nothing more is written."""
        return bool(self.errors) or self.people.refused or any(w.total > w.left for w in self.waived.values())

    def add(self, chunk: StagedChunk) -> None:
        self.people.add(chunk)

    def check_staged(self, staged: str) -> None:
        """The checks of the chunk in the staging table ``staged``, before it is written."""
        if self.importer.lead:
            self._debtors_of_other_teams(staged)
        if not self.importer.unlimited and self.stated:
            self._decreases(staged)

    def assignments(self, debtor_ids: set[int]) -> dict[int, Assignment]:
        return self.people.assignments(debtor_ids)

    def report(self) -> list[intake.RowError]:
        """Every refused row of the file, once it is all read."""
        errors = [*self.errors, *self.people.errors()]
        for waived in self.waived.values():
            if waived.total > waived.left:
                errors.extend(
                    intake.RowError(
                        row,
                        column,
                        value,
                        "beyond_authority",
                        {"decrease": str(decrease), "total": str(waived.total), "authority": str(waived.left)},
                    )
                    for row, column, value, decrease in waived.rows
                )
        return errors

    def record(self, file_name: str) -> None:
        """The file's waivers, written as the importer's approved waivers (payments.waivers)."""
        if self.user is None or not self.waived:
            return
        record_imported_waivers(
            self.user,
            {case_id: (w.penalty, w.fee) for case_id, w in self.waived.items() if w.total > 0},
            {case_id: w.standing for case_id, w in self.waived.items()},
            _("account import %(file)s") % {"file": file_name},
        )

    def _debtors_of_other_teams(self, staged: str) -> None:
        debtor = Debtor._meta.db_table
        case = Case._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT s.customer_no FROM {staged} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {debtor} d WHERE d.customer_no = s.customer_no)"
            )
            self.created.update(number for (number,) in cursor.fetchall())
            cursor.execute(
                f"SELECT s.line_no, s.customer_no, c.team_id FROM {staged} s "
                f"JOIN {debtor} d ON d.customer_no = s.customer_no LEFT JOIN {case} c ON c.debtor_id = d.id "
                f"WHERE c.team_id IS NULL OR c.team_id <> %s ORDER BY s.line_no",
                [self.importer.team_id],
            )
            found = cursor.fetchall()
        column = self.columns.get("customer_no", "customer_no")
        for line, number, team_id in found:
            if number not in self.created and rules.debtor_problem(self.importer, team_id):
                self.errors.append(intake.RowError(line, column, number, "debtor_not_yours"))

    def _decreases(self, staged: str) -> None:
        """Rows that lower a stored balance: principal and interest never, penalties and fees within the
        authority left on the case. Only what the import would post counts: a balance already posted for
        this state (the reference the writer would use is in the ledger) is not posted again."""
        account = Account._meta.db_table
        balance = AccountBalance._meta.db_table
        entry = LedgerEntry._meta.db_table
        case = Case._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.line_no, c.id, {', '.join(f'b.{c}, s.{c}' for c in self.stated)} "
                f"FROM {staged} s JOIN {account} a ON a.contract_no = s.contract_no "
                f"JOIN {balance} b ON b.account_id = a.id LEFT JOIN {case} c ON c.debtor_id = a.debtor_id "
                f"WHERE b.entry_count > 0 AND ({' OR '.join(f's.{c} < b.{c}' for c in self.stated)}) "
                f"AND (SELECT e.id FROM {entry} e WHERE e.account_id = a.id "
                f"AND e.reference = s.adjustment_reference) IS NULL ORDER BY s.line_no"
            )
            found = cursor.fetchall()
        lowered: list[tuple[int, int | None, dict[str, tuple[Decimal, Decimal]]]] = []
        for line, case_id, *values in found:
            # component → (the file's amount, how much lower it is than the stored one), for those lower
            pairs = zip(self.stated, values[::2], values[1::2], strict=True)
            lowered.append((line, case_id, {c: (from_fen(s), from_fen(b - s)) for c, b, s in pairs if s < b}))
        fresh = {case_id for _line, case_id, _d in lowered if case_id is not None} - set(self.waived)
        if fresh:
            for case_id, (standing, left) in imported_waiver_room(self.user, fresh).items():
                self.waived[case_id] = _CaseWaived(standing, left)
        for line, case_id, decreases in lowered:
            self._lowered(line, case_id, decreases)

    def _lowered(self, line: int, case_id: int | None, decreases: dict[str, tuple[Decimal, Decimal]]) -> None:
        decrease = rules.Decrease(*(decreases.get(c.value, (ZERO, ZERO))[1] for c in _OWED))
        if rules.decrease_problem(self.importer, decrease):
            for name in (Component.PRINCIPAL.value, Component.INTEREST.value):
                if name in decreases:
                    value, lower = decreases[name]
                    self.errors.append(
                        intake.RowError(line, self.columns.get(name, name), str(value), "owed_decrease",
                                        {"decrease": str(lower)})
                    )  # fmt: skip
        if decrease.waivable <= 0:
            return
        if case_id is None:
            # No case: a lead's file is refused for the debtor (not the team's); nobody else is limited.
            return
        waived = self.waived[case_id]
        waived.penalty += decrease.penalty
        waived.fee += decrease.fee
        for name in (Component.FEE.value, Component.PENALTY.value):
            if name in decreases:
                value, lower = decreases[name]
                waived.rows.append((line, self.columns.get(name, name), str(value), lower))


@dataclass(frozen=True)
class _PeopleRow:
    row: int
    customer_no: str
    team: str
    collector: str


class _People:
    """Teams and collectors named in the file: checked against the database and the importer's rules, and
    turned into assignments.

    Names are looked up chunk by chunk, so an unknown or refused one stops the writing early; unknown
    names are reported once the whole file is read, so they list the same allowed teams as a whole-file
    check.
    """

    def __init__(self, importer: rules.Importer, columns: Mapping[str, str]) -> None:
        self.importer = importer
        self.columns = columns
        self.teams: dict[str, int] = {}
        self.collectors: dict[str, rules.Person] = {}
        self.rows: list[_PeopleRow] = []
        self.refusals: list[intake.RowError] = []
        self.unknown = False

    @property
    def refused(self) -> bool:
        return self.unknown or bool(self.refusals)

    def add(self, chunk: StagedChunk) -> None:
        if not chunk.people:
            return
        rows = [_PeopleRow(*r) for r in chunk.people]
        self.rows.extend(rows)
        team_names = {r.team for r in rows if r.team} - set(self.teams)
        usernames = {r.collector for r in rows if r.collector} - set(self.collectors)
        if team_names:
            self.teams.update(Team.objects.filter(name__in=team_names).values_list("name", "id"))
        if usernames:
            self.collectors.update(
                (name, rules.Person(pk, Role.ADMIN.value if superuser else role, team, active))
                for name, pk, role, team, active, superuser in User.objects.filter(username__in=usernames).values_list(
                    "username", "id", "role", "team_id", "is_active", "is_superuser"
                )
            )
        stored = dict(
            Case.objects.filter(debtor__customer_no__in={r.customer_no for r in rows}).values_list(
                "debtor__customer_no", "team_id"
            )
        )
        for r in rows:
            self.unknown = self.unknown or bool(
                (r.team and r.team not in self.teams) or (r.collector and r.collector not in self.collectors)
            )
            self._check(r, stored.get(r.customer_no))

    def _check(self, r: _PeopleRow, stored_team: int | None) -> None:
        named = self.teams.get(r.team) if r.team else None
        if named is not None and rules.named_team_problem(self.importer, named):
            self.refusals.append(intake.RowError(r.row, self.columns.get("team", "team"), r.team, "team_not_yours"))
        person = self.collectors.get(r.collector) if r.collector else None
        if person is None:
            return
        team_id = rules.case_team(self.importer, named, stored_team, person)
        problem = rules.collector_problem(person, team_id)
        if problem:
            self.refusals.append(
                intake.RowError(r.row, self.columns.get("collector", "collector"), r.collector, problem)
            )

    def errors(self) -> list[intake.RowError]:
        errors = list(self.refusals)
        for r in self.rows:
            if r.team and r.team not in self.teams:
                errors.append(
                    intake.RowError(
                        r.row,
                        self.columns.get("team", "team"),
                        r.team,
                        "choice",
                        {"allowed": ", ".join(sorted(self.teams)) or "-"},
                    )
                )
            if r.collector and r.collector not in self.collectors:
                errors.append(
                    intake.RowError(
                        r.row,
                        self.columns.get("collector", "collector"),
                        r.collector,
                        "choice",
                        {"allowed": _("existing user names")},
                    )
                )
        return errors

    def assignments(self, debtor_ids: set[int]) -> dict[int, Assignment]:
        """Debtor id → the team and collector of the debtor's last row naming one, for these debtors; a
        lead's import puts every case it opens in the lead's team."""
        default = Assignment(self.importer.team_id) if self.importer.lead else None
        wanted: dict[str, Assignment] = {}
        for r in self.rows:
            person = self.collectors.get(r.collector) if r.collector else None
            team_id = self.teams.get(r.team) if r.team else (person.team_id if person else None)
            if team_id is not None or person is not None:
                wanted[r.customer_no] = Assignment(team_id, person.user_id if person else None)
        found: dict[int, Assignment] = dict.fromkeys(debtor_ids, default) if default else {}
        if wanted:
            ids = dict(Debtor.objects.filter(customer_no__in=list(wanted)).values_list("customer_no", "id"))
            found.update(
                {ids[number]: assignment for number, assignment in wanted.items() if ids[number] in debtor_ids}
            )
        return found
