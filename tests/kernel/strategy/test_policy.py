from __future__ import annotations

import pytest

from huikuan.kernel.strategy.policy import PolicyError, canonical_yaml, diff_policies, parse_policy

from .frames import ROOT, default_policy


def test_the_example_policies_parse_and_the_challenger_calls_earlier() -> None:
    champion = default_policy()
    challenger = parse_policy((ROOT / "examples" / "policy-challenger.yaml").read_text(encoding="utf-8"))
    assert [s.key for s in champion.stages] == ["reminder", "early", "middle", "late"]
    assert [s.max_dpd for s in champion.stages] == [3, 30, 90, None]
    first_call = {
        p.name: min(min(r.trigger.days or (p.stage_start(r.stages[0]),))
                    for r in p.cadence if r.action == "call" and r.trigger.event is None)
        for p in (champion, challenger)
    }  # fmt: skip
    assert first_call == {"default": 4, "challenger-early-calls": 2}


def test_the_bundled_default_is_the_documented_example() -> None:
    bundled = ROOT / "src" / "huikuan" / "strategy" / "policies" / "default.yaml"
    assert bundled.read_text(encoding="utf-8") == (ROOT / "examples" / "policy-default.yaml").read_text(
        encoding="utf-8"
    )


def test_every_error_is_reported_with_its_path() -> None:
    text = """
name: broken
stages:
  - {key: early, max_dpd: 30, tone: gentle}
  - {key: late, max_dpd: 20, tone: shouting}
segments:
  risk: [{key: all}]
  balance: [{key: small, max: 5000.5}, {key: big}]
cadence:
  - {key: a, action: fax, template: t, stages: [early], trigger: {days: [1]}}
  - {key: b, action: sms, template: t, stages: [nowhere], on: {days: [1]}}
windows:
  - {start: "11:00", end: "09:00"}
"""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    errors = "\n".join(caught.value.errors)
    assert "stages[1].tone: 'shouting' is not one of gentle, firm, legal" in errors
    assert "stages[1].max_dpd: only the last stage is open-ended, and it must be" in errors
    assert "segments.balance[0].max: write amounts as whole yuan or quoted text, got 5000.5" in errors
    assert "cadence[0].action: 'fax' is not one of" in errors
    assert "cadence[1].stages[0]: 'nowhere' is not one of early, late" in errors
    # YAML 1.1 reads the key `on` as true: the rule has no trigger and says so.
    assert "cadence[1].trigger: give exactly one of days, every or event" in errors
    assert "windows[0]: the window must end after it starts (11:00-09:00)" in errors


def test_not_yaml_is_one_clear_error() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("stages: [unclosed")


def test_diff_shows_the_change_in_meaning_not_in_formatting() -> None:
    text = (ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8")
    reformatted = "# a comment\n" + text.replace("{key: reminder_sms,", "{ key: reminder_sms,")
    assert canonical_yaml(parse_policy(text)) == canonical_yaml(parse_policy(reformatted))
    changed = parse_policy(text.replace("legal_review_dpd: 90", "legal_review_dpd: 120"))
    diff = diff_policies(parse_policy(text), changed, "default@1", "default@2")
    assert "-  legal_review_dpd: 90\n+  legal_review_dpd: 120\n" in diff
    assert diff.startswith("--- default@1\n+++ default@2\n")
