"""Alipay WAP pay (alipay.trade.wap.pay) with RSA2 signatures, and its asynchronous notification.

- The order is a signed page address: the common parameters (app_id, method, format, charset, sign_type RSA2,
  timestamp, version 1.0, notify_url, return_url) and ``biz_content`` (out_trade_no, total_amount in yuan,
  subject, product_code QUICK_WAP_WAY); ``sign`` is SHA256withRSA (PKCS#1 v1.5) over every non-empty
  parameter but ``sign``, sorted by name and joined as ``k=v&k=v``, with the application's private key.
- The notification is a form POST; its ``sign`` is verified with Alipay's public key over every non-empty
  parameter but ``sign`` and ``sign_type``, sorted the same way. It is acknowledged with the body
  ``success``; TRADE_SUCCESS and TRADE_FINISHED mean paid.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from huikuan.selfservice.providers.base import Checkout, Notice, NotificationRefused, OrderRequest
from huikuan.selfservice.providers.wechat import sign_message, verify_message

PAID = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})


def signing_text(params: Mapping[str, str], leave_out: tuple[str, ...]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in leave_out and params[k] != "")


class Alipay:
    name = "alipay"

    def __init__(self, config: Mapping[str, Any], now: Any) -> None:
        self.app_id = str(config["app_id"])
        key = serialization.load_pem_private_key(str(config["private_key"]).encode(), password=None)
        public = serialization.load_pem_public_key(str(config["alipay_public_key"]).encode())
        if not isinstance(key, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("Alipay's RSA2 needs RSA keys")
        self.key, self.public = key, public
        self.gateway = str(config.get("gateway", "https://openapi.alipay.com/gateway.do"))
        self.now = now

    def order_params(self, order: OrderRequest) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": "alipay.trade.wap.pay",
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self.now().astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": order.notify_url,
            "return_url": order.return_url,
            "biz_content": json.dumps(
                {
                    "out_trade_no": order.order_id,
                    "total_amount": f"{order.amount:.2f}",
                    "subject": order.description[:256],
                    "product_code": "QUICK_WAP_WAY",
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        }
        params["sign"] = sign_message(self.key, signing_text(params, ("sign",)))
        return params

    def create_order(self, order: OrderRequest) -> Checkout:
        return Checkout(f"{self.gateway}?{urllib.parse.urlencode(self.order_params(order))}")

    def read_notification(self, form: Mapping[str, str]) -> Notice:
        signature = form.get("sign", "")
        if not signature:
            raise NotificationRefused("unsigned")
        if form.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRefused("not RSA2")
        if not verify_message(self.public, signing_text(form, ("sign", "sign_type")), signature):
            raise NotificationRefused("forged")
        if form.get("app_id") != self.app_id:
            raise NotificationRefused("another application's trade")
        try:
            amount = Decimal(form.get("total_amount", ""))
        except InvalidOperation:
            raise NotificationRefused("malformed amount") from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise NotificationRefused("malformed amount")
        return Notice(
            notification_id=form.get("notify_id", "") or signature[:64],
            order_id=form.get("out_trade_no", ""),
            amount=amount.quantize(Decimal("0.01")),
            paid=form.get("trade_status", "") in PAID,
            transaction_id=form.get("trade_no", "")[:64],
        )

    def acknowledge(self) -> tuple[int, str, str]:
        return 200, "text/plain", "success"
