"""WeChat Pay API v3: H5 orders signed with the merchant's key, notifications verified and decrypted.

- Requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,
  serial_no=…``; the signature is SHA256withRSA (PKCS#1 v1.5) over "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n"
  with the merchant's private key.
- Answers and notifications carry ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``, ``Wechatpay-Signature`` and
  ``Wechatpay-Serial``; the signature is SHA256withRSA over "TIMESTAMP\\nNONCE\\nBODY\\n" by the platform
  certificate named by the serial. A notification more than five minutes off our clock is refused (a replay).
- The notification's ``resource`` is AEAD_AES_256_GCM with the APIv3 key (32 bytes), its ``nonce`` and
  ``associated_data``; the plain text is the transaction (``out_trade_no``, ``trade_state``, ``amount.total``
  in fen).
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huikuan.kernel.selfservice import from_fen, to_fen
from huikuan.selfservice.providers.base import Checkout, Notice, NotificationRefused, OrderRequest, ProviderError

H5_PATH = "/v3/pay/transactions/h5"
FRESH_SECONDS = 300


def sign_message(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify_message(public_key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(),
                          hashes.SHA256())  # fmt: skip
    except (InvalidSignature, ValueError):
        return False
    return True


def certificate_serial(certificate: x509.Certificate) -> str:
    return f"{certificate.serial_number:X}"


def encrypt_resource(apiv3_key: bytes, plain: bytes, associated_data: str = "transaction") -> dict[str, str]:
    """The notification's encrypted resource, as WeChat Pay writes it (the fake gateway of the tests uses it)."""
    nonce = secrets.token_hex(6)  # 12 characters, used as 12 bytes
    cipher = AESGCM(apiv3_key).encrypt(nonce.encode(), plain, associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(cipher).decode(), "nonce": nonce,
            "associated_data": associated_data, "original_type": "transaction"}  # fmt: skip


class WeChatPay:
    name = "wechat"

    def __init__(self, config: Mapping[str, Any], now: Any) -> None:
        self.mchid = str(config["mchid"])
        self.appid = str(config["appid"])
        self.serial_no = str(config["serial_no"])
        key = serialization.load_pem_private_key(str(config["private_key"]).encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the WeChat Pay merchant key must be an RSA key")
        self.key = key
        self.apiv3_key = str(config["apiv3_key"]).encode()
        if len(self.apiv3_key) != 32:
            raise ValueError("the WeChat Pay APIv3 key is 32 bytes")
        self.platform: dict[str, rsa.RSAPublicKey] = {}
        for pem in config.get("platform_certificates", ()):
            certificate = x509.load_pem_x509_certificate(str(pem).encode())
            public = certificate.public_key()
            if isinstance(public, rsa.RSAPublicKey):
                self.platform[certificate_serial(certificate)] = public
        self.base_url = str(config.get("base_url", "https://api.mch.weixin.qq.com")).rstrip("/")
        self.timeout = float(config.get("timeout", 10))
        self.now = now

    def authorization(self, method: str, path: str, body: str, timestamp: int, nonce: str) -> str:
        signature = sign_message(self.key, f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.serial_no}"'
        )

    def create_order(self, order: OrderRequest) -> Checkout:
        body = json.dumps(
            {
                "appid": self.appid,
                "mchid": self.mchid,
                "description": order.description[:127],
                "out_trade_no": order.order_id,
                "notify_url": order.notify_url,
                "amount": {"total": to_fen(order.amount), "currency": "CNY"},
                "scene_info": {"payer_client_ip": order.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        timestamp, nonce = int(self.now().timestamp()), secrets.token_hex(16)
        request = urllib.request.Request(
            self.base_url + H5_PATH,
            data=body.encode(),
            method="POST",
            headers={
                "Authorization": self.authorization("POST", H5_PATH, body, timestamp, nonce),
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer, headers = response.read(), response.headers
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ProviderError(f"WeChat Pay did not create the order: {exc}") from exc
        # The answer is the platform's too: an unsigned or forged one sends nobody anywhere.
        refusal = self.refusal(headers, answer)
        if refusal:
            raise ProviderError(f"WeChat Pay's answer is not signed by the platform: {refusal}")
        h5_url = json.loads(answer).get("h5_url", "")
        if not isinstance(h5_url, str) or not h5_url.startswith(("https://", "http://")):
            raise ProviderError("WeChat Pay's answer has no h5_url")
        separator = "&" if "?" in h5_url else "?"
        return Checkout(f"{h5_url}{separator}redirect_url={urllib.parse.quote(order.return_url, safe='')}")

    def refusal(self, headers: Mapping[str, str], body: bytes) -> str:
        """Why a signed answer or notification is not the platform's ("" when it is)."""
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce = headers.get("Wechatpay-Nonce", "")
        signature = headers.get("Wechatpay-Signature", "")
        serial = headers.get("Wechatpay-Serial", "")
        if not (timestamp and nonce and signature and serial):
            return "unsigned"
        if not timestamp.isascii() or not timestamp.isdigit():
            return "malformed"
        if abs(self.now().timestamp() - int(timestamp)) > FRESH_SECONDS:
            return "stale"
        public = self.platform.get(serial.upper())
        if public is None:
            return "unknown certificate"
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return "malformed"
        if not verify_message(public, f"{timestamp}\n{nonce}\n{text}\n", signature):
            return "forged"
        return ""

    def read_notification(self, headers: Mapping[str, str], body: bytes) -> Notice:
        refusal = self.refusal(headers, body)
        if refusal:
            raise NotificationRefused(refusal)
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRefused("unknown algorithm")
            plain = AESGCM(self.apiv3_key).decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(str(resource["ciphertext"])),
                str(resource.get("associated_data") or "").encode(),
            )
            transaction = json.loads(plain)
            total = transaction["amount"]["total"]
            if not isinstance(total, int) or isinstance(total, bool):
                raise NotificationRefused("malformed amount")
            if transaction.get("mchid") != self.mchid or transaction.get("appid") != self.appid:
                raise NotificationRefused("another merchant's transaction")
            return Notice(
                notification_id=str(envelope["id"]),
                order_id=str(transaction["out_trade_no"]),
                amount=from_fen(total),
                paid=transaction.get("trade_state") == "SUCCESS",
                transaction_id=str(transaction.get("transaction_id", ""))[:64],
            )
        except InvalidTag:
            raise NotificationRefused("undecryptable") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise NotificationRefused(f"malformed: {exc.__class__.__name__}") from None

    def acknowledge(self) -> tuple[int, str, str]:
        return 204, "application/json", ""


def notification_time(value: datetime) -> str:
    """RFC 3339 as WeChat Pay writes ``success_time`` (used by the tests' gateway)."""
    return value.isoformat(timespec="seconds")
