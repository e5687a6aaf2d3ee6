"""The guide's ``{table:NAME}`` tables, made from the product itself so they cannot drift from it.

- ``outcomes``: the case page's outcome keys (workbench.views.SHORTCUTS);
- ``rules``: the rule pack in force with each rule's reason and source (what "why can't I call" comes to);
- ``import_fields``: the account file's fields (kernel.intake), required ones first;
- ``import_errors``: every row error's code and explanation (tabular.reports);
- ``roles``: what each role may do (org.permissions.CAPABILITIES, asked for a user of each role).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huikuan.compliance.pack import current_pack
from huikuan.kernel import intake
from huikuan.org.models import Role, User
from huikuan.org.permissions import CAPABILITIES
from huikuan.tabular.reports import error_messages
from huikuan.workbench.views import SHORTCUTS


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def outcomes_table() -> str:
    return markdown_table([_("Key"), _("Outcome")], ((f"`{key}`", outcome.label) for key, outcome in SHORTCUTS))


# A rule's reason names what the gate knows at the contact (the hold, the channel…); the table says it in general.
def _placeholders() -> dict[str, object]:
    return {
        "active": (_("the hold's reason"), _("the hold's reason")),
        "channel_zh": "该渠道",
        "channel_en": "this channel",
        "kind_zh": "该联系方式",
        "kind_en": "this kind of contact point",
        "trained_on": (_("the last training's date"), _("the last training's date")),
        "region": (_("the debtor's state"), _("the debtor's state")),
    }


def rules_table() -> str:
    pack = current_pack()
    extra = _placeholders()
    zh = not (get_language() or "").startswith("en")
    severity = {"block": _("refused"), "warn": _("warning")}
    return markdown_table(
        [_("Rule"), _("What it says"), _("Effect"), _("Source")],
        (
            (
                f"`{rule.id}`",
                rule.texts(**extra)[0 if zh else 1],
                severity.get(rule.severity, rule.severity),
                f"`{rule.source}`",
            )
            for rule in pack.rules
        ),
    )


def field_descriptions() -> dict[str, str]:
    """What each field of the account file holds; every field of kernel.intake has one (a test holds it)."""
    return {
        "customer_no": _("the debtor's customer number; several rows of one customer are one debtor"),
        "name": _("the debtor's name (a person or a company)"),
        "contract_no": _("the contract number, once per file; a contract never changes customer"),
        "product": _("`credit_card`/信用卡, `consumer_loan`/消费贷 or `b2b_invoice`/赊销账款"),
        "original_amount": _("the amount first lent or invoiced"),
        "open_date": _("the day the account opened"),
        "due_date": _("the oldest unpaid due date (days past due count from it)"),
        "principal": _("the principal outstanding"),
        "debtor_kind": _("`person`/个人 or `company`/企业"),
        "gender": _("男/女 (for the form of address in scripts and messages)"),
        "id_type": _("the ID's type; read only with an ID number"),
        "id_number": _("resident ID or credit code, checked; stored as a keyed hash and its last four characters"),
        "employer": _("the employer"),
        "monthly_income": _("monthly income (for the plan designer's affordability)"),
        "address": _("the postal address (letters, visits)"),
        "time_zone": _("the debtor's time zone, e.g. `Asia/Shanghai`: contact hours are the debtor's"),
        "region": _("the US state (`CA` or `California`) or region whose law governs the debt"),
        "language": _("`zh-hans` or `en`: the language of messages and letters"),
        "mobile": _("the debtor's mobile number"),
        "home_phone": _("the debtor's home number"),
        "work_phone": _("the debtor's work number"),
        "email": _("the debtor's e-mail address"),
        "contact1_name": _("a third party's name"),
        "contact1_relation": _("配偶, 亲属, 同事, 担保人 or 紧急联系人"),
        "contact1_phone": _("the third party's number"),
        "contact2_name": _("a second third party's name"),
        "contact2_relation": _("the second third party's relation"),
        "contact2_phone": _("the second third party's number"),
        "currency": _("the currency code (default: the installation's)"),
        "annual_interest_rate": _("0.18 or 18%"),
        "daily_penalty_rate": _("the daily penalty rate"),
        "interest": _("interest outstanding"),
        "fee": _("fees outstanding"),
        "penalty": _("penalties outstanding"),
        "as_of": _("the day the balances are as of (default: the debtor's today)"),
        "team": _("the team the case goes to"),
        "collector": _("the collector (user name) the case goes to"),
    }


def import_fields_table() -> str:
    described = field_descriptions()
    required = set(intake.REQUIRED)
    return markdown_table(
        [_("Field"), _("Required"), _("What it holds")],
        ((f"`{name}`", _("yes") if name in required else "", described.get(name, "")) for name in intake.FIELDS),
    )


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_IDENTIFIER = re.compile(r"[A-Za-z]\w*(?:[/_.]\w+)+")


def _in_general(text: str) -> str:
    """An error's explanation without its row's values: each placeholder an ellipsis, identifiers as code."""
    return _IDENTIFIER.sub(lambda m: f"`{m.group(0)}`", _PLACEHOLDER.sub("…", text).replace("%%", "%"))


def import_errors_table() -> str:
    return markdown_table(
        [_("Code"), _("What it means")],
        ((f"`{code}`", _in_general(text)) for code, text in error_messages().items()),
    )


def capability_labels() -> dict[str, str]:
    """Each capability in words; every capability of org.permissions has one (a test holds it)."""
    return {
        "negotiate": _("negotiate: plans, promises, waiver requests"),
        "edit_contacts": _("add or correct a debtor's numbers and addresses"),
        "post_payments": _("post and reverse payments"),
        "decide_waivers": _("decide waivers"),
        "reveal_pii": _("reveal a masked number (audited)"),
        "import": _("import accounts"),
        "view_templates": _("read message templates"),
        "manage_templates": _("write and activate message templates"),
        "view_strategy": _("read the strategy"),
        "run_strategy": _("run the strategy"),
        "view_qa_register": _("read the QA register"),
        "review_qa": _("review flagged texts and contacts"),
        "override_warnings": _("override a rule's warning"),
        "lead_team": _("lead a team: the team page, reassignment, approvals"),
        "settle_messages": _("settle uncertain messages"),
        "record_training": _("record collectors' training"),
        "move_legal_cases": _("move legal cases through their stages"),
        "refer_to_legal": _("hand a case to legal"),
        "work_specialist_queue": _("work the specialist queue"),
    }


def roles_table() -> str:
    roles = list(Role)
    people = {role: User(username=f"guide-{role.value}", role=role.value, is_active=True) for role in roles}
    labels = capability_labels()
    return markdown_table(
        [_("What"), *(str(role.label) for role in roles)],
        (
            (labels.get(name, name), *("✓" if check(people[role]) else "" for role in roles))
            for name, check in CAPABILITIES.items()
        ),
    )


TABLES: dict[str, Callable[[], str]] = {
    "outcomes": outcomes_table,
    "rules": rules_table,
    "import_fields": import_fields_table,
    "import_errors": import_errors_table,
    "roles": roles_table,
}
