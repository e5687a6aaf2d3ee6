"""The scenario library as data: the shipped YAML is valid and complete, bad files are reported with their
path and field (never an exception), and a dump reads back to the same scenarios.

Persona: Ada (admin) edits a copy of the library in the admin and needs every mistake named.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.scripts import OBJECTION_KEYS
from huikuan.kernel.training import (
    MOVES,
    SITUATIONS,
    debrief,
    default_scenarios,
    default_yaml,
    dump,
    move_label,
    parse_scenarios,
    play,
    scenario_yaml,
    start,
    suggestions,
)

ISSUE_SCENARIOS = {
    "unemployed",
    "disputes_amount",
    "already_paid",
    "refuses",
    "payday_delay",
    "emotional",
    "abusive",
    "spouse_answers",
    "colleague_answers",
    "wrong_number",
    "scam_suspicion",
    "hangs_up",
    "slow_speaker",
    "company_finance",
}


def test_the_shipped_library_covers_the_issues_scenarios_in_both_languages() -> None:
    scenarios = default_scenarios()
    assert {s.key for s in scenarios} == ISSUE_SCENARIOS
    assert len(scenarios) >= 13
    for s in scenarios:
        assert s.version >= 1
        assert s.title["zh"] and s.title["en"] and s.summary["zh"] and s.summary["en"]
        assert s.persona.objection in ("", *OBJECTION_KEYS)
        for situation in SITUATIONS:
            for variant in s.replies[situation]:
                assert variant["zh"].strip() and variant["en"].strip()
    answerers = {s.persona.answerer for s in scenarios}
    assert answerers == {"debtor", "third_party", "wrong_number"}
    assert any(s.persona.kind == "company" for s in scenarios)


def test_every_move_has_a_label_in_both_languages() -> None:
    for move in MOVES:
        assert move_label(move, "zh") != move_label(move, "en")


def test_parsing_the_shipped_file_reports_no_problem() -> None:
    scenarios, problems = parse_scenarios(default_yaml(), source="default.yaml")
    assert problems == []
    assert len(scenarios) == len(default_scenarios())


def test_a_dump_reads_back_to_the_same_scenarios() -> None:
    original = default_scenarios()
    again, problems = parse_scenarios(dump(original))
    assert problems == []
    for a, b in zip(original, again, strict=True):
        assert (a.key, a.title, a.persona, a.facts, a.needs, a.ending, a.pass_mark) == (
            b.key,
            b.title,
            b.persona,
            b.facts,
            b.needs,
            b.ending,
            b.pass_mark,
        )
        assert a.rules == b.rules and a.replies == b.replies and a.coach == b.coach
        assert a.case_facts(9) == b.case_facts(9)
    one, problems = parse_scenarios(scenario_yaml("refuses"))
    assert problems == [] and [s.key for s in one] == ["refuses"]


def _broken(mutate: object) -> list[str]:
    doc = yaml.safe_load(default_yaml())
    assert callable(mutate)
    mutate(doc)
    _, problems = parse_scenarios(yaml.safe_dump(doc, allow_unicode=True), source="edited.yaml")
    return problems


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["scenarios"][0]["persona"].update(capacity=[900, 100]),
            "scenarios[0] (unemployed).persona.capacity",
        ),
        (lambda d: d["scenarios"][1]["title"].pop("en"), "scenarios[1] (disputes_amount).title.en"),
        (lambda d: d["scenarios"][2]["facts"].update(dpd="lots"), "scenarios[2] (already_paid).facts.dpd"),
        (lambda d: d["scenarios"][3]["rules"][0].update(on="shout"), "scenarios[3] (refuses).rules[0].on"),
        (lambda d: d["scenarios"][3]["rules"][0].update(mood="a lot"), "scenarios[3] (refuses).rules[0].mood"),
        (lambda d: d["scenarios"][4].update(ending="victory"), "scenarios[4] (payday_delay).ending"),
        (lambda d: d["scenarios"][5]["replies"].update(weeping=[{"zh": "呜", "en": "sob"}]), "replies.weeping"),
        (lambda d: d["scenarios"][6]["needs"].update(moves=["charm"]), "scenarios[6] (abusive).needs.moves"),
        (
            lambda d: d["scenarios"][7]["persona"].update(answerer="robot"),
            "scenarios[7] (spouse_answers).persona.answerer",
        ),
        (lambda d: d["scenarios"][8].update(key="colleague answers!"), "scenarios[8].key"),
        (lambda d: d["scenarios"][9].update(key="unemployed"), "duplicate key 'unemployed'"),
        (lambda d: d["common"]["replies"].pop("goodbye"), "common.replies"),
        (lambda d: d.update(version="one"), "edited.yaml: version"),
        (
            lambda d: d["scenarios"][0]["replies"]["objection"][0].update(zh="我欠{debt}元"),
            "scenarios[0] (unemployed).replies.objection[0].zh: unknown placeholder(s) {debt}",
        ),
        (
            lambda d: d["scenarios"][0]["coach"]["empathy"].update(en="I {understand"),
            "scenarios[0] (unemployed).coach.empathy.en: unbalanced braces",
        ),
        (lambda d: d["scenarios"][0]["persona"].update(objection="moaning"), "(unemployed).persona.objection"),
        (
            lambda d: d["common"]["replies"]["goodbye"][0].update(mood=[3, -3]),
            "common.replies.goodbye[0].mood",
        ),
        (lambda d: d["common"]["replies"]["goodbye"][0].update(tone="sad"), "common.replies.goodbye[0]: unknown"),
        (lambda d: d.update(scenarios=[]), "edited.yaml: scenarios"),
    ],
)
def test_a_bad_file_is_reported_with_its_path_and_field(mutate: object, expected: str) -> None:
    problems = _broken(mutate)
    assert problems, "the mistake is reported"
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("edited.yaml: ") for p in problems)


def test_invalid_yaml_is_a_problem_not_an_exception() -> None:
    scenarios, problems = parse_scenarios("version: 1\nscenarios: [\n  {key: x", source="bad.yaml")
    assert scenarios == []
    assert problems and problems[0].startswith("bad.yaml: line ")
    assert parse_scenarios("- just\n- a list")[1]
    assert parse_scenarios("")[1]


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_parsed_or_reported(text: str) -> None:
    scenarios, problems = parse_scenarios(text)
    assert scenarios or problems


def test_every_suggested_line_passes_the_screener() -> None:
    """What the simulator proposes a trainee say must itself be compliant, to the person on the line."""
    for sc in default_scenarios():
        for lang in ("zh", "en"):
            state = start(sc, 1, lang)
            while not state.ended and len(state.turns) < 15:
                options = suggestions(sc, state)
                for line in options:
                    flags = screen(line, ScreenContext(lang=lang, audience=state.audience, source="transcript"))
                    assert [f for f in flags if f.severity == "block"] == [], (sc.key, line)
                state = play(sc, state, options[0])


def test_case_figures_stay_money() -> None:
    for sc in default_scenarios():
        f = sc.case_facts(3)
        for value in (f.principal, f.balance, f.overdue_amount, f.monthly_instalment, f.capacity):
            assert isinstance(value, Decimal) and value == value.quantize(Decimal("0.01"))


def _leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [path] + [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [path] + [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


_DOC = yaml.safe_load(default_yaml())
_PATHS = _leaves(_DOC)
_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.just("NaN"),
    st.just("{"),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.just("NaN")), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=50, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(min_value=0, max_value=len(_PATHS) - 1), _JUNK), min_size=1, max_size=3))
def test_any_edit_of_the_library_is_read_or_reported_never_raised(edits: list[tuple[int, object]]) -> None:
    doc: object = copy.deepcopy(_DOC)
    for index, value in edits:
        path = _PATHS[index]
        if not path:
            doc = value
            continue
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]  # type: ignore[index]
            node[path[-1]] = value  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced this branch
    text = yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True)
    scenarios, problems = parse_scenarios(text, source="fuzz.yaml")
    assert scenarios or problems
    for sc in scenarios[:3]:  # whatever was accepted plays to the end and is debriefed
        state = start(sc, 1, "zh")
        while not state.ended and len(state.turns) < 8:
            state = play(sc, state, (suggestions(sc, state) or ["您好"])[0])
        debrief(sc, state)


def test_a_range_with_fen_survives_a_dump() -> None:
    doc = yaml.safe_load(default_yaml())
    doc["scenarios"][0]["persona"]["capacity"] = ["500.50", 1200]
    scenarios, problems = parse_scenarios(yaml.safe_dump(doc, allow_unicode=True))
    assert problems == []
    again, problems = parse_scenarios(dump(scenarios))
    assert problems == [] and again[0].persona.capacity == (Decimal("500.50"), Decimal(1200))


def test_a_version_stored_before_a_later_situation_existed_still_reads() -> None:
    doc = yaml.safe_load(dump(default_scenarios()[:2]))
    for scenario in doc["scenarios"]:
        del scenario["replies"]["too_long"]
    scenarios, problems = parse_scenarios(yaml.safe_dump(doc, allow_unicode=True))
    assert problems == []
    assert scenarios[0].replies["too_long"][0]["zh"]


@given(key=st.sampled_from([s.key for s in default_scenarios()]), seed=st.integers(min_value=0, max_value=2**40))
def test_drawn_cases_stay_within_their_scenarios_ranges(key: str, seed: int) -> None:
    sc = next(s for s in default_scenarios() if s.key == key)
    f = sc.case_facts(seed)
    assert f == sc.case_facts(seed)  # one seed, one case
    assert sc.facts.principal[0] <= f.principal <= sc.facts.principal[1]
    assert sc.facts.dpd[0] <= f.dpd <= sc.facts.dpd[1]
    assert sc.persona.capacity[0] <= f.capacity <= sc.persona.capacity[1]
    assert f.principal < f.balance
    assert 0 < f.overdue_amount <= f.balance and f.monthly_instalment > 0
    assert 1 <= f.due_day <= 28 and len(f.phone_tail) == 4
    assert "**" in f.debtor_name and "**" in f.debtor_name_en
    assert f.company == (sc.persona.kind == "company")
    assert f.last_payment_days_ago > f.dpd
    assert all(line["zh"] and line["en"] for line in f.history)
