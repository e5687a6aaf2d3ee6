"""The rule pack in force: COMPLIANCE_PACK with COMPLIANCE_OVERRIDES applied, loaded once per value, with the
installation's official holiday table (the holidays app) attached, so every holiday rule reads it."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import lru_cache

from django.conf import settings

from huikuan.holidays.table import holiday_table
from huikuan.kernel.compliance.packs import Pack, Rule, load_pack


def pack_name() -> str:
    return str(getattr(settings, "COMPLIANCE_PACK", "cn"))


@lru_cache(maxsize=8)
def _pack(name: str, overrides_json: str) -> Pack:
    return load_pack(name, json.loads(overrides_json) if overrides_json else None)


def current_pack() -> Pack:
    """The rule pack in force: COMPLIANCE_PACK (cn, us, uk) with COMPLIANCE_OVERRIDES (JSON) applied."""
    pack = _pack(pack_name(), os.environ.get("COMPLIANCE_OVERRIDES", ""))
    table = holiday_table(pack.holiday_calendar)
    return pack if table is None else replace(pack, holiday_table=table)


def training_rule() -> Rule | None:
    """The pack's blocking rule on collectors' training (cn.collector_training), if it has one."""
    return next((r for r in current_pack().of_kind("collector_training") if r.severity == "block"), None)
