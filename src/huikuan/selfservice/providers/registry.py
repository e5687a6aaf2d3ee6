"""Which providers this installation offers: those with credentials in settings, bank transfer always."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from huikuan import clock
from huikuan.kernel.selfservice import transfer_reference
from huikuan.selfservice.providers.alipay import Alipay
from huikuan.selfservice.providers.wechat import WeChatPay


@dataclass(frozen=True)
class BankTransfer:
    """Paying by transfer to the creditor's collection account, naming the case's reference in the memo."""

    bank: str
    account_name: str
    account_no: str
    reference: str


def wechat() -> WeChatPay | None:
    config = getattr(settings, "HUIKUAN_WECHATPAY", None) or {}
    return WeChatPay(config, clock.now) if config else None


def alipay() -> Alipay | None:
    config = getattr(settings, "HUIKUAN_ALIPAY", None) or {}
    return Alipay(config, clock.now) if config else None


def online_providers() -> dict[str, WeChatPay | Alipay]:
    found: dict[str, WeChatPay | Alipay] = {}
    for provider in (wechat(), alipay()):
        if provider is not None:
            found[provider.name] = provider
    return found


def bank_transfer(case_id: int) -> BankTransfer:
    config = getattr(settings, "HUIKUAN_BANK_TRANSFER", None) or {}
    return BankTransfer(
        bank=str(config.get("bank", "")),
        account_name=str(config.get("account_name", "")),
        account_no=str(config.get("account_no", "")),
        reference=transfer_reference(case_id),
    )
