"""Property: any Unicode text in any field of the main forms is answered 2xx, 3xx or 4xx, never 5xx.

Each form is posted (or its query string sent) with every field drawn from all of Unicode, NUL and the other
control characters included, as a browser sends a form (urlencoded) and as it sends one with a file input
(multipart). The fields and forms are those of the collector's and the team lead's screens.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.cases.models import Case
from tests.workbench.fixtures import make_case, run, workday

__all__ = ["make_case", "run", "workday"]  # the working day's fixtures, used here as in tests/workbench

EXAMPLES = 25
any_text = st.text(max_size=40)


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def send(client: Client, method: str, url: str, data: dict[str, str], urlencoded: bool) -> int:
    if method == "get":
        return client.get(url, data).status_code
    if urlencoded:
        from urllib.parse import urlencode

        return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded").status_code
    return client.post(url, data).status_code


@pytest.fixture
def forms(workday: dict[str, Any]) -> dict[str, Any]:
    from huikuan.compliance.models import ContactDecision
    from huikuan.payments.models import WaiverRequest
    from huikuan.portfolio.models import ContactPoint

    personas = workday["personas"]
    case: Case = workday["middle"]
    point = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    decision = ContactDecision.objects.create(
        case=case, channel="call", source="workbench", at=timezone.now(), allowed=False, pack="cn"
    )
    waiver = WaiverRequest.objects.create(case=case, penalty="10.00", reason="困难", requested_by=personas.alice)
    return {
        "personas": personas,
        "case": case,
        "point": point,
        "decision": decision,
        "waiver": waiver,
    }


FIELDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # name: (who, method, url with {case}/{point}/..., fields)
    "save": ("alice", "post", "/work/cases/{case}/save/",
             ("outcome", "point", "notes", "callback_at", "promise_amount", "promise_date", "plan_kind",
              "payment_reference", "stop_calls", "complaint", "plan_instalments", "plan_first_payment")),
    "payment": ("lena", "post", "/work/cases/{case}/payment/",
                ("key", "amount", "paid_on", "reference", "account", "confirm_overpayment")),
    "notes preview": ("alice", "post", "/work/cases/{case}/notes/preview/", ("notes",)),
    "objections": ("alice", "get", "/work/cases/{case}/objections/", ("q", "key")),
    "queue": ("alice", "get", "/work/", ("stage", "action", "behaviour", "now")),
    "next case": ("alice", "get", "/work/next/", ("after",)),
    "search": ("alice", "get", "/", ("q", "status", "owner", "page")),
    "plan panel": ("alice", "get", "/work/cases/{case}/plans/design/",
                   ("capacity", "instalments", "first_payment", "payment_day", "deferral_months")),
    "assign": ("lena", "post", "/work/team/assign/", ("cases", "to", "reason", "next")),
    "deal": ("lena", "post", "/work/team/deal/", ("next",)),
    "reveal": ("lena", "post", "/contacts/{point}/reveal/", ("reason",)),
    "reassign": ("lena", "post", "/work/team/reassign/", ("case", "to", "reason")),
    "waiver decision": ("lena", "post", "/work/team/waivers/{waiver}/", ("decision", "reason")),
    "team payments": ("lena", "post", "/work/team/payments/",
                      ("key", "contract", "amount", "paid_on", "reference", "confirm_overpayment")),
    "team payments list": ("lena", "get", "/work/team/payments/", ("status", "posted", "reversed")),
    "reverse": ("lena", "post", "/work/team/payments/1/reverse/", ("reason",)),
    "contacts": ("alice", "post", "/work/cases/{case}/contacts/",
                 ("kind", "value", "relation", "contact_name", "replaces", "reason")),
    "notifications read": ("alice", "post", "/work/notifications/read/", ("id", "case")),
    "team": ("lena", "get", "/work/team/", ("decided",)),
    "QA register": ("quinn", "get", "/qa/", ("kind", "state", "category", "blocked", "page")),
    "QA review": ("quinn", "post", "/qa/decisions/{decision}/review/", ("state", "note")),
    "uncertain": ("quinn", "post", "/comms/uncertain/1/resend/", ("reason",)),
    "templates": ("lena", "get", "/comms/templates/", ("channel", "purpose", "tone", "language")),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(FIELDS))
def test_any_text_in_any_field_is_never_a_server_error(forms: dict[str, Any], form: str) -> None:
    who, method, url, names = FIELDS[form]
    client = client_for(getattr(forms["personas"], who))
    target = url.format(case=forms["case"].pk, point=forms["point"].pk, decision=forms["decision"].pk,
                        waiver=forms["waiver"].pk)  # fmt: skip

    @given(values=st.fixed_dictionaries({name: any_text for name in names}), urlencoded=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
    def answer(values: dict[str, str], urlencoded: bool) -> None:
        status = send(client, method, target, values, urlencoded)
        assert status < 500, (form, values, status)

    answer()
