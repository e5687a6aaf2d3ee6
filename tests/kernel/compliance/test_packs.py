"""Rule packs load, carry their sources, and refuse to load when wrong, naming file and rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from huikuan.kernel.compliance.packs import PACK_DIR, PackError, available_packs, load_pack, load_pack_file


@pytest.mark.parametrize("name", ["cn", "us", "uk"])
def test_every_rule_has_id_source_severity_and_both_languages(name: str) -> None:
    pack = load_pack(name)
    assert pack.name == name
    for rule in pack.rules:
        assert rule.id.startswith(f"{name}.")
        assert rule.severity in ("block", "warn")
        assert rule.source and rule.reason_zh and rule.reason_en


def test_cn_is_the_default_and_has_the_limits_from_the_sources() -> None:
    assert set(available_packs()) >= {"cn", "us", "uk"}
    cn = load_pack()
    assert cn.rule("cn.quiet_hours").params["start"] == "22:00"
    assert cn.rule("cn.point_daily_attempts").params["limit"] == 6
    assert cn.rule("cn.debtor_daily_conversations").params["limit"] == 3
    us = load_pack("us")
    assert (us.rule("us.call_frequency").params["limit"], us.rule("us.call_frequency").params["days"]) == (7, 7)


def _rule(raw: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(rule for rule in raw["rules"] if rule["id"] == rule_id)


def _broken(tmp_path: Path, mutate: Callable[[dict[str, Any]], object]) -> Path:
    raw = yaml.safe_load((PACK_DIR / "cn.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda raw: _rule(raw, "cn.quiet_hours")["params"].update(start="25:00"),
            r"rule 'cn.quiet_hours': parameter 'start'",
        ),
        (
            lambda raw: _rule(raw, "cn.point_daily_attempts")["params"].pop("limit"),
            r"rule 'cn.point_daily_attempts': parameter 'limit' is",
        ),
        (lambda raw: _rule(raw, "cn.do_not_contact").update(severity="maybe"), r"rule 'cn.do_not_contact': severity"),
        (lambda raw: _rule(raw, "cn.invalid_point").update(kind="telepathy"), r"rule 'cn.invalid_point': unknown kind"),
        (lambda raw: _rule(raw, "cn.stop_medium").pop("source"), r"rule 'cn.stop_medium': missing source"),
        (
            lambda raw: _rule(raw, "cn.visit_collectors").update(reason_en="at least {minimum}"),
            r"'cn.visit_collectors': reason text",
        ),
        (lambda raw: raw["rules"].append(dict(_rule(raw, "cn.do_not_contact"))), r"'cn.do_not_contact': duplicate id"),
        (lambda raw: _rule(raw, "cn.holds")["params"].update(holds=["vacation"]), r"'cn.holds': parameter 'holds'"),
        (
            lambda raw: _rule(raw, "cn.channel_fits_point")["params"]["fits"].pop("sms"),
            r"'cn.channel_fits_point': parameter 'fits' must map each of call, sms",
        ),
        (
            lambda raw: _rule(raw, "cn.channel_fits_point")["params"]["fits"].update(sms=["pager"]),
            r"'cn.channel_fits_point': parameter 'fits' each channel's kinds",
        ),
    ],
)
def test_a_broken_pack_names_the_file_and_the_rule(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    path = _broken(tmp_path, mutate)
    with pytest.raises(PackError, match=message) as caught:
        load_pack_file(path)
    assert str(path) in str(caught.value)


def test_overrides_are_validated_too() -> None:
    with pytest.raises(PackError, match=r"cn\.quiet_hours"):
        load_pack("cn", {"cn.quiet_hours": {"params": {"end": "8am"}}})
    with pytest.raises(PackError, match="no such rule"):
        load_pack("cn", {"cn.nap_time": {"severity": "warn"}})
    relaxed = load_pack("cn", {"cn.quiet_hours": {"severity": "warn"}})
    assert relaxed.rule("cn.quiet_hours").severity == "warn"
    assert load_pack("cn").rule("cn.quiet_hours").severity == "block"
