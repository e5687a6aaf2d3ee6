"""张伟's debt (tests/payments/conftest.make_debt: two contracts known to the fen, 3,220.00 in all) with his own
mobile and e-mail, the default templates, and helpers to walk his self-service link as a browser does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tests.conftest import Personas
from tests.payments.conftest import Debt, make_debt

if TYPE_CHECKING:
    from huikuan.selfservice.models import Link

MOBILE = "+8613900001111"
EMAIL = "zhang.wei@example.com"
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) test"


@dataclass
class Walk:
    """A debtor's browser on one link."""

    client: Client
    token: str
    link: Link

    def url(self, tail: str = "") -> str:
        return f"/s/{self.token}/{tail}"

    def get(self, tail: str = "") -> Any:
        return self.client.get(self.url(tail), HTTP_USER_AGENT=UA)

    def post(self, tail: str, data: dict[str, Any]) -> Any:
        return self.client.post(self.url(tail), data, HTTP_USER_AGENT=UA)

    def send_code(self, kind: str = "mobile") -> str:
        """Asks for a code to the debtor's own point and reads it from the message the outbox holds."""
        from huikuan.comms.models import Message
        from huikuan.portfolio.models import ContactPoint

        point = ContactPoint.objects.get(debtor_id=self.link.case.debtor_id, kind=kind, relation="self")
        answer = self.post("code/send/", {"point": point.pk})
        assert answer.status_code == 302, answer.content[:500]
        message = Message.objects.filter(purpose="access_code", case_id=self.link.case_id).latest("id")
        found = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", message.body)
        assert found, message.body
        return found.group(1)

    def verify(self) -> None:
        code = self.send_code()
        answer = self.post("code/", {"code": code})
        assert answer.status_code == 302, answer.content[:500]


@pytest.fixture
def debt(personas: Personas) -> Debt:
    from huikuan.comms.templates import seed_default_templates
    from huikuan.portfolio.models import ContactPoint, Debtor, Relation, Validity

    seed_default_templates()
    found = make_debt(personas)
    Debtor.objects.filter(pk=found.case.debtor_id).update(time_zone="Asia/Shanghai", preferred_language="zh-hans")
    for kind, value in (("mobile", MOBILE), ("email", EMAIL)):
        ContactPoint.objects.create(
            debtor_id=found.case.debtor_id, kind=kind, value=value, relation=Relation.SELF, validity=Validity.VALID
        )
    found.case.refresh_from_db()
    return found


def walk_for(link: Link) -> Walk:
    from huikuan.selfservice.links import token_of

    return Walk(Client(), token_of(link), link)


@pytest.fixture
def walk(debt: Debt) -> Walk:
    from huikuan.selfservice.links import issue_link

    return walk_for(issue_link(debt.case, channel="sms"))


@pytest.fixture
def verified(walk: Walk) -> Walk:
    walk.verify()
    return walk


@pytest.fixture
def no_providers(settings: Any) -> Iterator[None]:
    settings.HUIKUAN_WECHATPAY = {}
    settings.HUIKUAN_ALIPAY = {}
    yield
