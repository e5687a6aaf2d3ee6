"""Links and one-time codes: sent through the outbox, signed, expiring, revocable, locked after five wrong codes;
nothing of the debt is shown before the code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from huikuan import clock
from huikuan.comms.models import Message
from huikuan.selfservice.models import AccessCode, Event, EventKind, Link
from tests.conftest import Personas, client_for
from tests.payments.conftest import Debt
from tests.selfservice.conftest import Walk, walk_for

pytestmark = pytest.mark.django_db


def test_the_case_pages_button_queues_the_link_through_the_outbox(debt: Debt, personas: Personas) -> None:
    answer = client_for(personas.alice).post(f"/s/cases/{debt.case.pk}/send-link/", {"channel": "sms"})
    assert answer.status_code == 302
    link = Link.objects.get(case=debt.case)
    message = Message.objects.get(idempotency_key=f"selfservice:link:{link.pk}")
    assert message.purpose == "self_service_link" and message.channel == "sms" and message.status == "queued"
    token = message.body.split("/s/")[1].split("/")[0]
    assert walk_for(link).token == token
    assert Event.objects.filter(link=link, kind=EventKind.LINK_SENT).exists()


def test_a_collector_of_another_team_cannot_send_a_link(debt: Debt, personas: Personas) -> None:
    answer = client_for(personas.carol).post(f"/s/cases/{debt.case.pk}/send-link/", {"channel": "sms"})
    assert answer.status_code == 404
    assert not Link.objects.exists()


def test_before_the_code_nothing_personal_is_shown(walk: Walk) -> None:
    page = walk.get().content.decode()
    assert "张伟" not in page and "HT-OLD" not in page and "3,220.00" not in page and "13900001111" not in page
    assert "1111" in page  # the masked mobile the code can go to
    assert Event.objects.filter(link=walk.link, kind=EventKind.VISIT).count() == 1


def test_the_right_code_opens_the_balance_to_the_fen_per_account(verified: Walk) -> None:
    page = verified.get().content.decode()
    for figure in ("3,220.00", "1,100.00", "2,120.00", "1,000.00", "50.00", "20.00", "30.00", "2,000.00", "80.00"):
        assert figure in page, figure
    assert Event.objects.filter(link=verified.link, kind=EventKind.VERIFIED).exists()
    code = AccessCode.objects.get(link=verified.link)
    assert code.used_at is not None and len(code.code_hash) == 64


def test_a_tampered_token_is_refused_and_logged(walk: Walk) -> None:
    bad = walk.token[:-2] + ("AA" if not walk.token.endswith("AA") else "BB")
    answer = walk.client.get(f"/s/{bad}/")
    assert answer.status_code == 404
    assert Event.objects.filter(kind=EventKind.REFUSED, detail__reason="tampered").exists()


def test_an_expired_link_is_refused(walk: Walk) -> None:
    Link.objects.filter(pk=walk.link.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert walk.get().status_code == 410
    assert Event.objects.filter(link=walk.link, kind=EventKind.REFUSED, detail__reason="expired").exists()


def test_a_revoked_link_no_longer_opens_even_after_the_code(verified: Walk, personas: Personas) -> None:
    alice = client_for(personas.alice)
    listed = alice.get(f"/s/cases/{verified.link.case_id}/links/").content.decode()
    assert f'data-link="{verified.link.pk}"' in listed and 'data-testid="revoke"' in listed
    assert client_for(personas.carol).post(f"/s/links/{verified.link.pk}/revoke/").status_code == 404
    answer = alice.post(f"/s/links/{verified.link.pk}/revoke/")
    assert answer.status_code == 302
    assert 'data-testid="revoke"' not in alice.get(f"/s/cases/{verified.link.case_id}/links/").content.decode()
    assert verified.get().status_code == 410
    assert verified.post("promise/", {"amount": "100.00", "due": clock.today().isoformat()}).status_code == 410
    assert Event.objects.filter(link=verified.link, kind=EventKind.REFUSED, detail__reason="revoked").exists()


def test_five_wrong_codes_lock_the_link_for_good(walk: Walk) -> None:
    code = walk.send_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for tries in range(4):
        answer = walk.post("code/", {"code": wrong})
        assert answer.status_code == 400
        assert f"{4 - tries}" in answer.content.decode()
    assert walk.post("code/", {"code": wrong}).status_code == 403
    assert walk.post("code/", {"code": code}).status_code == 403  # the right code is too late
    assert walk.get().status_code == 403
    assert Event.objects.filter(link=walk.link, kind=EventKind.CODE_WRONG).count() == 5
    assert Event.objects.filter(link=walk.link, kind=EventKind.LOCKED).exists()


def test_codes_are_rate_limited(walk: Walk) -> None:
    walk.send_code()
    point = walk.link.case.debtor.contact_points.get(kind="mobile", relation="self")
    answer = walk.post("code/send/", {"point": point.pk})
    assert answer.status_code == 429
    assert AccessCode.objects.filter(link=walk.link).count() == 1
    assert Event.objects.filter(link=walk.link, kind=EventKind.CODE_REFUSED, detail__reason="too_soon").exists()


def test_a_code_goes_only_to_the_debtors_own_points(walk: Walk, debt: Debt) -> None:
    from huikuan.portfolio.models import ContactPoint

    other = ContactPoint.objects.create(debtor_id=debt.case.debtor_id, kind="mobile", value="+8613700002222",
                                        relation="spouse")  # fmt: skip
    assert walk.post("code/send/", {"point": other.pk}).status_code == 400
    assert not AccessCode.objects.exists()


def test_another_links_code_does_not_open_this_link(walk: Walk, debt: Debt) -> None:
    from huikuan.selfservice.links import issue_link

    other = walk_for(issue_link(debt.case, channel="sms"))
    code = other.send_code()
    assert walk.post("code/", {"code": code}).status_code == 400
