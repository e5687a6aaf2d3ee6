"""The permission vocabulary: every capability against every kind of actor, and the two lists an installation sets.

The table below is the specification (docs/architecture.md, "Permissions", says the same in words); the
actions ask these names, so a row changed here changes what the web, the API and the command line allow.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from huikuan.org import permissions
from huikuan.org.models import Role, User
from huikuan.org.permissions import CAPABILITIES, has_role, role_of
from tests.conftest import Personas, client_for

ACTORS = ("collector", "team_lead", "qa", "legal", "admin", "superuser", "inactive", "anonymous", "system")

# One column per actor above: Y may, . may not.
TABLE = """
                   coll lead qa   legal admin super inact anon system
negotiate          Y    Y    .    Y     Y     Y     .     .    .
edit_contacts      Y    Y    .    Y     Y     Y     .     .    .
post_payments      .    Y    .    .     Y     Y     .     .    .
decide_waivers     .    Y    .    .     Y     Y     .     .    .
reveal_pii         .    Y    Y    Y     Y     Y     .     .    .
import             .    Y    .    .     Y     Y     .     .    Y
view_templates     .    Y    Y    Y     Y     Y     .     .    .
manage_templates   .    Y    .    .     Y     Y     .     .    Y
view_strategy      .    Y    Y    Y     Y     Y     .     .    .
run_strategy       .    Y    .    .     Y     Y     .     .    Y
view_qa_register   .    Y    Y    Y     Y     Y     .     .    .
review_qa          .    Y    Y    .     Y     Y     .     .    .
override_warnings  .    Y    .    .     Y     Y     .     .    .
lead_team          .    Y    .    .     Y     Y     .     .    .
settle_messages    .    Y    Y    .     Y     Y     .     .    .
record_training    .    Y    .    .     Y     Y     .     .    Y
move_legal_cases   .    .    .    Y     Y     Y     .     .    .
refer_to_legal     .    Y    .    Y     Y     Y     .     .    .
work_specialist_queue .  Y    .    .     Y     Y     .     .    .
"""


def expected() -> dict[tuple[str, str], bool]:
    rows = [line.split() for line in TABLE.strip().splitlines()[1:]]
    return {(row[0], actor): mark == "Y" for row in rows for actor, mark in zip(ACTORS, row[1:], strict=True)}


def actor(kind: str) -> User | AnonymousUser | None:
    """Unsaved users: the vocabulary reads the role and flags only, never the database."""
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "system":
        return None
    if kind == "superuser":
        # The superuser flag wins over the role it was created with: it counts as an administrator.
        return User(username=kind, role=Role.COLLECTOR, is_superuser=True)
    if kind == "inactive":
        return User(username=kind, role=Role.TEAM_LEAD, is_active=False)
    return User(username=kind, role=kind)


def test_the_table_names_every_capability() -> None:
    assert {name for name, _kind in expected()} == set(CAPABILITIES)


@pytest.mark.parametrize("kind", ACTORS)
@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_capability_by_actor(capability: str, kind: str) -> None:
    assert CAPABILITIES[capability](actor(kind)) is expected()[(capability, kind)]


@pytest.mark.parametrize("kind", ACTORS)
def test_capabilities_of_an_actor_are_the_tables_row(kind: str) -> None:
    user = actor(kind)
    assert permissions.capabilities(user) == {name: expected()[(name, kind)] for name in CAPABILITIES}


def test_a_superuser_counts_as_an_administrator_and_nobody_else() -> None:
    superuser = actor("superuser")
    assert role_of(superuser) == Role.ADMIN
    assert has_role(superuser, Role.ADMIN) and not has_role(superuser, Role.COLLECTOR, Role.TEAM_LEAD)


@pytest.mark.parametrize("kind", ["inactive", "anonymous", "system"])
def test_nobody_holds_a_role(kind: str) -> None:
    assert role_of(actor(kind)) == ""
    assert not has_role(actor(kind), *Role.values)


def test_reveal_follows_the_installations_list(settings: Any) -> None:
    settings.PII_REVEAL_ROLES = ["admin"]
    assert not permissions.can_reveal_pii(actor("team_lead")) and not permissions.can_reveal_pii(actor("qa"))
    assert permissions.can_reveal_pii(actor("admin")) and permissions.can_reveal_pii(actor("superuser"))


def test_posting_follows_the_installations_list(settings: Any) -> None:
    settings.HUIKUAN_PAYMENTS = {"posting_roles": ["collector", "admin"]}
    assert permissions.can_post_payments(actor("collector"))
    assert not permissions.can_post_payments(actor("team_lead"))
    assert permissions.can_post_payments(actor("superuser"))
    settings.HUIKUAN_PAYMENTS = {"posting_roles": []}
    assert not permissions.can_post_payments(actor("superuser"))


def test_the_menu_shows_what_the_user_may_open(personas: Personas) -> None:
    def menu(user: User) -> str:
        return client_for(user).get("/").content.decode()

    collector, lead, legal = menu(personas.alice), menu(personas.lena), menu(personas.lara)
    for link in ('href="/import/"', 'href="/work/team/"', 'href="/qa/"', 'href="/comms/templates/"'):
        assert link in lead and link not in collector
    assert 'href="/qa/"' in legal and 'href="/comms/templates/"' in legal
    assert 'href="/import/"' not in legal and 'href="/work/team/"' not in legal


def test_who_may_close_which_kind_of_work_item() -> None:
    """Issue 16: the run deals an item only to someone who can close it; the same rule guards the closing."""
    from huikuan.org.permissions import can_close_work_item

    kinds = ("call", "visit", "escalate_specialist", "legal_review")
    answers = {who: {k for k in kinds if can_close_work_item(actor(who), k)} for who in ACTORS}
    assert answers == {
        "collector": {"call", "visit"},
        "team_lead": set(kinds),
        "qa": set(),
        "legal": {"legal_review"},
        "admin": set(kinds),
        "superuser": set(kinds),
        "inactive": set(),
        "anonymous": set(),
        "system": set(),
    }
    specialist = User(username="sam", role=Role.COLLECTOR, skills="Specialist, other")
    assert {k for k in kinds if can_close_work_item(specialist, k)} == {"call", "visit", "escalate_specialist"}
