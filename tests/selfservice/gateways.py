"""Fake WeChat Pay and Alipay gateways: real HTTP servers on 127.0.0.1 that speak the providers' protocols.

Keys and the platform certificate are generated here, per test. The WeChat Pay gateway checks the merchant's
request signature, answers signed by its platform key, serves an H5 "cashier" page, and on "pay" posts the
AES-256-GCM encrypted, platform-signed notification to the order's notify_url before sending the browser to
the redirect_url. The Alipay gateway checks the RSA2 signature of the WAP order and posts the RSA2-signed form.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from huikuan.selfservice.providers.alipay import signing_text
from huikuan.selfservice.providers.wechat import encrypt_resource, sign_message, verify_message


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def certificate(key: rsa.RSAPrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test)")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class WeChatOrder:
    body: dict[str, Any]
    paid: bool = False


@dataclass
class FakeWeChatPay:
    """The gateway and everything the merchant's settings need to talk to it."""

    merchant_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    platform_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    apiv3_key: str = field(default_factory=lambda: secrets.token_hex(16))
    mchid: str = "1900000109"
    appid: str = "wxd678efh567hg6787"
    merchant_serial: str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    orders: dict[str, WeChatOrder] = field(default_factory=dict)
    refused_requests: int = 0
    notification_answers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.platform_certificate = certificate(self.platform_key, secrets.randbits(64))
        self.serial = f"{self.platform_certificate.serial_number:X}"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _wechat_handler(self))
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def settings(self) -> dict[str, Any]:
        return {
            "mchid": self.mchid,
            "appid": self.appid,
            "serial_no": self.merchant_serial,
            "private_key": private_pem(self.merchant_key),
            "apiv3_key": self.apiv3_key,
            "platform_certificates": [self.platform_certificate.public_bytes(serialization.Encoding.PEM).decode()],
            "base_url": self.base_url,
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def signed_headers(self, body: str, *, key: rsa.RSAPrivateKey | None = None, timestamp: int | None = None,
                       serial: str | None = None) -> dict[str, str]:  # fmt: skip
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = secrets.token_hex(16)
        signature = sign_message(key or self.platform_key, f"{stamp}\n{nonce}\n{body}\n")
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
                "Wechatpay-Serial": serial or self.serial}  # fmt: skip

    def notification(self, out_trade_no: str, total_fen: int, *, state: str = "SUCCESS",
                     notification_id: str | None = None) -> str:  # fmt: skip
        transaction = {
            "mchid": self.mchid, "appid": self.appid, "out_trade_no": out_trade_no,
            "transaction_id": "4200000" + secrets.token_hex(8), "trade_type": "MWEB", "trade_state": state,
            "success_time": datetime.now(UTC).isoformat(timespec="seconds"),
            "amount": {"total": total_fen, "payer_total": total_fen, "currency": "CNY", "payer_currency": "CNY"},
        }  # fmt: skip
        return json.dumps(
            {"id": notification_id or secrets.token_hex(16), "create_time": datetime.now(UTC).isoformat(),
             "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
             "resource": encrypt_resource(self.apiv3_key.encode(), json.dumps(transaction).encode())},
            separators=(",", ":"),
        )  # fmt: skip

    def send_notification(self, notify_url: str, body: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        answer = post(
            notify_url, body.encode(), {"Content-Type": "application/json", **(headers or self.signed_headers(body))}
        )
        self.notification_answers.append(answer[0])
        return answer

    def pay(self, prepay_id: str) -> None:
        order = self.orders[prepay_id]
        order.paid = True
        self.send_notification(
            order.body["notify_url"], self.notification(order.body["out_trade_no"], order.body["amount"]["total"])
        )


_AUTH = re.compile(r'(\w+)="([^"]*)"')


def _wechat_handler(gateway: FakeWeChatPay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: str, content_type: str = "application/json",
                    headers: dict[str, str] | None = None) -> None:  # fmt: skip
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            if self.path == "/v3/pay/transactions/h5":
                fields = dict(_AUTH.findall(self.headers.get("Authorization", "")))
                message = f"POST\n{self.path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
                if (
                    not self.headers.get("Authorization", "").startswith("WECHATPAY2-SHA256-RSA2048 ")
                    or not verify_message(gateway.merchant_key.public_key(), message, fields.get("signature", ""))
                    or fields.get("mchid") != gateway.mchid
                ):
                    gateway.refused_requests += 1
                    self._answer(401, '{"code":"SIGN_ERROR","message":"signature"}')
                    return
                prepay = "wx" + secrets.token_hex(12)
                gateway.orders[prepay] = WeChatOrder(json.loads(body))
                answer = json.dumps({"h5_url": f"{gateway.base_url}/cashier/{prepay}"})
                self._answer(200, answer, headers=gateway.signed_headers(answer))
                return
            match = re.fullmatch(r"/cashier/(\w+)", urllib.parse.urlparse(self.path).path)
            if match and match.group(1) in gateway.orders:
                form = urllib.parse.parse_qs(body)
                gateway.pay(match.group(1))
                self.send_response(302)
                self.send_header("Location", form.get("redirect_url", ["/"])[0])
                self.end_headers()
                return
            self._answer(404, "{}")

        def do_GET(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            match = re.fullmatch(r"/cashier/(\w+)", parsed.path)
            if not match or match.group(1) not in gateway.orders:
                self._answer(404, "{}")
                return
            order = gateway.orders[match.group(1)].body
            redirect = urllib.parse.parse_qs(parsed.query).get("redirect_url", [""])[0]
            amount = f"{order['amount']['total'] / 100:.2f}"
            page = (
                '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>微信支付</title></head>'
                "<body><main>"
                f"<h1>微信支付（测试网关）</h1><p data-testid='gateway-amount'>¥{amount}</p>"
                f"<form method='post'><input type='hidden' name='redirect_url' value='{redirect}'>"
                "<button type='submit' data-testid='gateway-pay'>确认支付</button></form></main></body></html>"
            )
            self._answer(200, page, "text/html; charset=utf-8")

    return Handler


@dataclass
class FakeAlipay:
    app_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    alipay_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    app_id: str = "2021000000000001"
    orders: dict[str, dict[str, str]] = field(default_factory=dict)
    refused_requests: int = 0

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _alipay_handler(self))
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def settings(self) -> dict[str, Any]:
        return {"app_id": self.app_id, "private_key": private_pem(self.app_key),
                "alipay_public_key": public_pem(self.alipay_key), "gateway": f"{self.base_url}/gateway.do"}  # fmt: skip

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def notification(self, out_trade_no: str, total_amount: str, *, status: str = "TRADE_SUCCESS",
                     key: rsa.RSAPrivateKey | None = None, notify_id: str | None = None) -> dict[str, str]:  # fmt: skip
        form = {
            "notify_time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "notify_type": "trade_status_sync",
            "notify_id": notify_id or secrets.token_hex(16), "app_id": self.app_id, "charset": "utf-8",
            "version": "1.0", "sign_type": "RSA2", "trade_no": "2026" + secrets.token_hex(8),
            "out_trade_no": out_trade_no, "trade_status": status, "total_amount": total_amount,
        }  # fmt: skip
        form["sign"] = sign_message(key or self.alipay_key, signing_text(form, ("sign", "sign_type")))
        return form

    def send_notification(self, notify_url: str, form: dict[str, str]) -> tuple[int, bytes]:
        return post(
            notify_url, urllib.parse.urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )


def _alipay_handler(gateway: FakeAlipay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            params = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            ok = (
                parsed.path == "/gateway.do"
                and params.get("method") == "alipay.trade.wap.pay"
                and verify_message(
                    gateway.app_key.public_key(), signing_text(params, ("sign",)), params.get("sign", "")
                )
            )
            if not ok:
                gateway.refused_requests += 1
                self.send_response(400)
                self.end_headers()
                return
            biz = json.loads(params["biz_content"])
            gateway.orders[biz["out_trade_no"]] = params
            form = gateway.notification(biz["out_trade_no"], biz["total_amount"])
            gateway.send_notification(params["notify_url"], form)
            self.send_response(302)
            self.send_header("Location", params["return_url"])
            self.end_headers()

    return Handler
