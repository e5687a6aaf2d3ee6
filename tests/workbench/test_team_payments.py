"""Lena's payments page: her team's payments, a payment posted by contract number (once, whatever the number
of submits), a reversal with its reason; what is wrong is said at the field or the row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from huikuan.audit.models import ChangeLog
from huikuan.payments.incoming import post_payment
from huikuan.payments.models import Payment, PaymentStatus
from tests.conftest import client_for
from tests.workbench.fixtures import CaseMaker, earliest_today
from tests.workbench.opening import in_ledger

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _form(contract: str, **extra: str) -> dict[str, str]:
    form = {"key": "form-1", "contract": contract, "amount": "1,000.00", "paid_on": earliest_today().isoformat()}
    return form | extra


def test_only_those_who_post_money_open_the_page(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    for user in (p.alice, p.quinn, p.lara):
        assert client_for(user).get("/work/team/payments/").status_code == 403
    assert client_for(p.lena).get("/work/team/payments/").status_code == 200
    assert 'data-testid="team-payments-link"' in client_for(p.lena).get("/work/team/").content.decode()


def test_the_list_holds_the_teams_payments_only(workday: dict[str, Any], make_case: CaseMaker) -> None:
    p = workday["personas"]
    today = earliest_today()
    ours, _ = post_payment(p.lena, workday["middle"], Decimal("10.00"), today, "ours")
    theirs_case = make_case(30, assignee=p.carol, name="孙丽")
    theirs, _ = post_payment(p.adam, theirs_case, Decimal("20.00"), today, "theirs")
    body = client_for(p.lena).get("/work/team/payments/").content.decode()
    assert f'data-payment="{ours.pk}"' in body and f'data-payment="{theirs.pk}"' not in body
    everything = client_for(p.adam).get("/work/team/payments/").content.decode()
    assert f'data-payment="{ours.pk}"' in everything and f'data-payment="{theirs.pk}"' in everything


def test_a_payment_posts_once_by_its_contract_number_in_any_digits(workday: dict[str, Any]) -> None:
    case = in_ledger(workday["middle"])
    contract = case.debtor.accounts.get().contract_no
    lena = client_for(workday["personas"].lena)
    answer = lena.post("/work/team/payments/", _form(contract.translate(FULL_WIDTH), reference="TX-1"))
    assert answer.status_code == 302
    payment = Payment.objects.get()
    assert answer["Location"] == f"/work/team/payments/?posted={payment.pk}#payment-{payment.pk}"
    assert (payment.case_id, payment.amount, payment.idempotency_key) == (case.pk, Decimal("1000.00"), "manual:form-1")
    assert ChangeLog.objects.filter(user=workday["personas"].lena, action__startswith="payment").exists()
    # The same form again (a double click, a reload) is a replay: nothing more is posted.
    assert lena.post("/work/team/payments/", _form(contract, reference="TX-1")).status_code == 302
    assert Payment.objects.count() == 1
    shown = lena.get(answer["Location"]).content.decode()
    assert 'data-testid="payment-posted"' in shown and f'id="payment-{payment.pk}"' in shown


def test_fields_are_checked_at_the_field_and_nothing_posts(workday: dict[str, Any], make_case: CaseMaker) -> None:
    p = workday["personas"]
    theirs = make_case(30, assignee=p.carol, name="孙丽")
    lena = client_for(p.lena)
    ours = workday["middle"].debtor.accounts.get().contract_no
    cases = (
        (_form(ours, amount=""), "error-amount", "此项必填。"),
        (_form(ours, amount="12,34"), "error-amount", "金额"),
        (_form(ours, paid_on="2026-02-30"), "error-paid_on", "日期"),
        (_form("NO-SUCH"), "error-contract", "没有"),
        # Another team's contract reads exactly like a missing one.
        (_form(theirs.debtor.accounts.get().contract_no), "error-contract", "没有"),
    )
    for form, testid, words in cases:
        answer = lena.post("/work/team/payments/", form)
        body = answer.content.decode()
        assert answer.status_code == 400 and f'data-testid="{testid}"' in body, form
        assert words in body, (form, words)
        assert 'aria-invalid="true"' in body
    assert not Payment.objects.exists()


def test_a_reversal_needs_its_reason_and_happens_once(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    payment, _ = post_payment(p.lena, in_ledger(workday["middle"]), Decimal("300.00"), earliest_today(), "bounced")
    lena = client_for(p.lena)
    refused = lena.post(f"/work/team/payments/{payment.pk}/reverse/", {"reason": "  "})
    assert refused.status_code == 400
    body = refused.content.decode()
    row = body[body.index(f'id="payment-{payment.pk}"') :]
    assert 'data-testid="reverse-errors"' in row[: row.index("</tr>")] and "此项必填。" in row[: row.index("</tr>")]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.POSTED

    done = lena.post(f"/work/team/payments/{payment.pk}/reverse/", {"reason": "银行退票"})
    assert done.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.reversal_reason, payment.reversed_by) == (
        PaymentStatus.REVERSED,
        "银行退票",
        p.lena,
    )
    again = lena.post(f"/work/team/payments/{payment.pk}/reverse/", {"reason": "再来一次"})
    assert again.status_code == 302
    payment.refresh_from_db()
    assert payment.reversal_reason == "银行退票"
    listing = lena.get("/work/team/payments/?status=reversed").content.decode()
    assert f'data-payment="{payment.pk}"' in listing and "银行退票" in listing


def test_a_payment_of_another_team_cannot_be_reversed_from_here(workday: dict[str, Any], make_case: CaseMaker) -> None:
    p = workday["personas"]
    theirs = make_case(30, assignee=p.carol, name="孙丽")
    payment, _ = post_payment(p.adam, theirs, Decimal("20.00"), earliest_today(), "theirs")
    assert client_for(p.lena).post(f"/work/team/payments/{payment.pk}/reverse/", {"reason": "x"}).status_code == 404
    assert client_for(p.alice).post(f"/work/team/payments/{payment.pk}/reverse/", {"reason": "x"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.POSTED
