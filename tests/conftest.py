"""Shared fixtures: personas of a collection department and a small portfolio.

Personas (as in healthchecks' tests): Alice and Bob collect in team A, Carol in team B, Lena leads team A,
Quinn does QA, Lara is legal, Adam administers. Each test states whose eyes it looks through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

AS_OF = date(2026, 11, 20)


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@dataclass
class Personas:
    alice: object
    bob: object
    carol: object
    lena: object
    quinn: object
    lara: object
    adam: object
    team_a: object
    team_b: object


@pytest.fixture
def personas(db: None) -> Personas:
    from huikuan.org.models import Role, Team, User

    team_a = Team.objects.create(name="A组")
    team_b = Team.objects.create(name="B组")

    def user(name: str, role: str, team: Team | None = None, **extra: object) -> User:
        u = User.objects.create_user(name, password="pw-" + name, role=role, team=team, **extra)
        return u

    return Personas(
        alice=user("alice", Role.COLLECTOR, team_a),
        bob=user("bob", Role.COLLECTOR, team_a),
        carol=user("carol", Role.COLLECTOR, team_b),
        lena=user("lena", Role.TEAM_LEAD, team_a, is_staff=True),
        quinn=user("quinn", Role.QA, None, is_staff=True),
        lara=user("lara", Role.LEGAL, None, is_staff=True),
        adam=user("adam", Role.ADMIN, None, is_staff=True, is_superuser=True),
        team_a=team_a,
        team_b=team_b,
    )


@pytest.fixture
def small_portfolio(personas: Personas) -> Personas:
    """30 generated debtors; cases dealt round-robin to alice, bob and carol."""
    from huikuan.portfolio.generator import PortfolioGenerator
    from huikuan.portfolio.seeding import write_generated

    collectors = [(u.pk, u.team_id) for u in (personas.alice, personas.bob, personas.carol)]  # type: ignore[attr-defined]
    write_generated(PortfolioGenerator(7, AS_OF).debtors(30), AS_OF, collectors)
    return personas


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    # PBKDF2's deliberate slowness protects real passwords; for test personas it only slows the suite.
    # Kernel tests also run with `-p no:django`, where there are no settings to change.
    if request.config.pluginmanager.has_plugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
