from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.kernel.compliance import gate
from huikuan.kernel.compliance.packs import PackError, available_packs, load_pack

HISTORY_HELP = (
    'JSON file: a list of past contacts, each {"at": ISO time with offset, "channel": "call", '
    '"contact_point_id": "m1", "answered": false, "conversation": false, "voicemail": false}'
)


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise CommandError(f"{text}: give a time with its offset, e.g. 2026-11-23T21:59:00+08:00")
    return value.astimezone(UTC)


class Command(BaseCommand):
    help = "Explain the contact gate's decision for a contact history (`huikuan gate --pack cn ...`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pack", default="cn", help=f"one of {', '.join(available_packs())}")
        parser.add_argument("--at", required=True, help="when the contact would happen, ISO with offset")
        parser.add_argument("--tz", default=settings.DEFAULT_DEBTOR_TIME_ZONE, help="the debtor's time zone")
        parser.add_argument("--channel", default="call", choices=[c.value for c in gate.Channel])
        parser.add_argument("--point", default="m1", help="id of the contact point being contacted")
        parser.add_argument("--kind", default="mobile", choices=[k.value for k in gate.PointKind])
        parser.add_argument("--owner", default="debtor", choices=[o.value for o in gate.Owner])
        parser.add_argument("--hold", action="append", default=[], choices=[h.value for h in gate.Hold])
        parser.add_argument("--automated", action="store_true")
        parser.add_argument("--collectors", type=int, default=1)
        parser.add_argument("--history", type=Path, help=HISTORY_HELP)
        parser.add_argument("--lang", choices=["zh", "en"], default="zh")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pack = load_pack(options["pack"])
        except PackError as exc:
            raise CommandError(str(exc)) from exc
        events = []
        if options["history"]:
            for raw in json.loads(options["history"].read_text(encoding="utf-8")):
                events.append(
                    gate.ContactEvent(
                        at=_instant(raw["at"]),
                        channel=gate.Channel(raw.get("channel", "call")),
                        contact_point_id=str(raw.get("contact_point_id", options["point"])),
                        debt_id=str(raw.get("debt_id", "")),
                        answered=bool(raw.get("answered", False)),
                        conversation=bool(raw.get("conversation", False)),
                        voicemail=bool(raw.get("voicemail", False)),
                    )
                )
        decision = gate.check_contact(
            events,
            gate.CaseFacts(timezone=options["tz"], holds=frozenset(gate.Hold(h) for h in options["hold"])),
            gate.ContactPoint(options["point"], gate.PointKind(options["kind"]), gate.Owner(options["owner"])),
            gate.Outreach(gate.Channel(options["channel"]), options["automated"], options["collectors"]),
            _instant(options["at"]),
            pack,
        )
        self.stdout.write(gate.explain_decision(decision, options["lang"]))
