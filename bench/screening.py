"""Screening quality on the labelled corpus and throughput on ~100-character Chinese messages.

Run: .venv/bin/python bench/screening.py [--seconds 3]
Prints per-category precision/recall (dev and held-out corpora, the first screening corpora and the intent
corpora of issue 20), how many professional phrasings were flagged (target 0), messages per second on one
core (target ≥ 20,000), and finally one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from huikuan.kernel.compliance.screening import CATEGORIES, ScreenContext, screen  # noqa: E402

CORPUS_DIR = ROOT / "tests" / "kernel" / "compliance"


@dataclass(frozen=True)
class Example:
    text: str
    category: str  # 'clean' or a screening category
    kind: str  # professional / violation / disguised
    audience: str
    register: str = ""  # call / sms / note / chat (the intent corpora say where the text was said)


def read_corpus(name: str) -> list[Example]:
    with (CORPUS_DIR / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Example(r["text"], r["category"], r["kind"], r["audience"], r.get("register") or "") for r in reader]


def evaluate(examples: list[Example], lang: str) -> dict[str, object]:
    """Sentence-level scores: a violation is found when a flag of its own category is raised."""
    tp = dict.fromkeys(CATEGORIES, 0)
    fp = dict.fromkeys(CATEGORIES, 0)
    fn = dict.fromkeys(CATEGORIES, 0)
    any_tp = any_fp = any_fn = 0
    professional_flagged: list[str] = []
    missed: list[str] = []
    wrong: list[str] = []
    for ex in examples:
        flags = screen(ex.text, ScreenContext(lang=lang, audience=ex.audience, source="message"))
        found = {f.category for f in flags}
        if ex.category == "clean":
            any_fp += bool(found)
            if found:
                professional_flagged.append(f"{ex.text} -> {sorted(found)}")
        else:
            if found:
                any_tp += 1
            else:
                any_fn += 1
            if ex.category in found:
                tp[ex.category] += 1
            else:
                fn[ex.category] += 1
                missed.append(f"[{ex.category}] {ex.text} -> {sorted(found)}")
        for category in found - {ex.category}:
            fp[category] += 1
            if ex.category != "clean":
                wrong.append(f"[{ex.category}] {ex.text} -> {category}")

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    per_category = {
        c: {
            "precision": ratio(tp[c], tp[c] + fp[c]),
            "recall": ratio(tp[c], tp[c] + fn[c]),
            "support": tp[c] + fn[c],
        }
        for c in CATEGORIES
    }
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "sentences": len(examples),
        "violations": sum(1 for ex in examples if ex.category != "clean"),
        "professional": sum(1 for ex in examples if ex.category == "clean"),
        "professional_flagged": len(professional_flagged),
        "detection_precision": ratio(any_tp, any_tp + any_fp),
        "detection_recall": ratio(any_tp, any_tp + any_fn),
        "category_precision": ratio(all_tp, all_tp + all_fp),
        "category_recall": ratio(all_tp, all_tp + all_fn),
        "per_category": per_category,
        "_professional_flagged": professional_flagged,
        "_missed": missed,
        "_wrong_category": wrong,
    }


def throughput(seconds: float) -> float:
    """Messages/s for ~100-character Chinese messages: mostly professional, one in ten a violation."""
    pool = read_corpus("corpus_zh.tsv")
    clean = [ex.text for ex in pool if ex.category == "clean"]
    dirty = [ex.text for ex in pool if ex.category != "clean"]
    rng = random.Random(100)
    messages = []
    for i in range(2000):
        parts: list[str] = []
        while sum(map(len, parts)) < 95:
            parts.append(rng.choice(dirty if (i % 10 == 0 and not parts) else clean))
        messages.append("".join(parts)[:110])
    context = ScreenContext(lang="zh", audience="debtor", source="message")
    for text in messages[:200]:  # warm the caches (jieba dictionary load) outside the timing
        screen(text, context)
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in messages:
            screen(text, context)
        done += len(messages)
    elapsed = time.perf_counter() - started
    return done / elapsed, sum(map(len, messages)) / len(messages)  # type: ignore[return-value]


def print_table(title: str, result: dict[str, object]) -> None:
    print(f"\n== {title}: {result['sentences']} sentences, {result['violations']} violations ==")
    print(f"{'category':<18}{'precision':>10}{'recall':>10}{'support':>9}")
    for category, scores in result["per_category"].items():  # type: ignore[attr-defined]
        print(f"{category:<18}{scores['precision']:>10.3f}{scores['recall']:>10.3f}{scores['support']:>9}")
    print(
        f"{'ALL (category)':<18}{result['category_precision']:>10.3f}{result['category_recall']:>10.3f}\n"
        f"{'ALL (detection)':<18}{result['detection_precision']:>10.3f}{result['detection_recall']:>10.3f}"
    )
    print(f"professional phrasings flagged: {result['professional_flagged']} of {result['professional']}")
    for key in ("_professional_flagged", "_missed", "_wrong_category"):
        for line in result[key]:  # type: ignore[attr-defined]
            print(f"  {key[1:]}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    figures: dict[str, object] = {"benchmark": "screening"}
    for name, lang in (
        ("corpus_zh.tsv", "zh"),
        ("corpus_zh_holdout.tsv", "zh"),
        ("corpus_en.tsv", "en"),
        ("corpus_en_holdout.tsv", "en"),
        ("corpus_zh_intent.tsv", "zh"),
        ("corpus_zh_intent_holdout.tsv", "zh"),
        ("corpus_en_intent.tsv", "en"),
        ("corpus_en_intent_holdout.tsv", "en"),
    ):
        result = evaluate(read_corpus(name), lang)
        print_table(name, result)
        figures[name.removesuffix(".tsv")] = {k: v for k, v in result.items() if not k.startswith("_")}
    combined = evaluate(
        read_corpus("corpus_zh.tsv") + read_corpus("corpus_zh_holdout.tsv"),
        "zh",
    )
    combined_en = evaluate(read_corpus("corpus_en.tsv") + read_corpus("corpus_en_holdout.tsv"), "en")
    rate, length = throughput(args.seconds)  # type: ignore[misc]
    print(f"\nthroughput: {rate:,.0f} messages/s (mean {length:.0f} characters, one core)")
    figures["zh_all"] = {k: v for k, v in combined.items() if not k.startswith("_")}
    figures["en_all"] = {k: v for k, v in combined_en.items() if not k.startswith("_")}
    figures["messages_per_second"] = round(rate)
    figures["mean_message_chars"] = round(length, 1)
    print(json.dumps(figures, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
