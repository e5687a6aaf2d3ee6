"""Fill empty msgstr entries of the zh-Hans catalogue from scripts/zh_hans_terms.tsv.

Usage: python scripts/translate_po.py src/huikuan/locale/zh_Hans/LC_MESSAGES/django.po
The TSV (English<TAB>简体中文) is the project's glossary of UI wording; run `make messages-update`
after adding strings, then add their translations to the TSV. Entries already translated are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

TERMS = Path(__file__).with_name("zh_hans_terms.tsv")


def load_terms() -> dict[str, str]:
    terms: dict[str, str] = {}
    for line in TERMS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, chinese = line.split("\t", 1)
            terms[english] = chinese
    return terms


def unquote(text: str) -> str:
    return text.strip()[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fill(path: Path) -> list[str]:
    terms = load_terms()
    lines = path.read_text(encoding="utf-8").splitlines()
    missing: list[str] = []
    out: list[str] = []
    msgid = plural = None
    fuzzy = False
    for line in lines:
        if not line.strip():
            fuzzy = False  # entries are separated by blank lines
        if line.startswith("#|"):
            continue  # makemessages' memory of a previous msgid: noise once the entry is settled
        if line.startswith("#,") and "fuzzy" in line:
            # A fuzzy entry is a guess by makemessages from a similar string; the glossary decides instead.
            fuzzy = True
            flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
            if flags:
                out.append("#, " + ", ".join(flags))
            continue
        if line.startswith("msgid "):
            msgid, plural = unquote(line[6:]), None
        elif line.startswith("msgid_plural "):
            plural = unquote(line[13:])
        elif line.startswith("msgstr") and msgid:
            key = line.split(" ", 1)[0]
            value = unquote(line.split(" ", 1)[1])
            if not value or (fuzzy and msgid):
                value = ""
                wanted = msgid if key in ("msgstr", "msgstr[0]") else (plural or msgid)
                if wanted in terms:
                    line = f"{key} {quote(terms[wanted])}"
                else:
                    line = f'{key} ""'
                    if msgid not in missing:
                        missing.append(msgid)
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return missing


if __name__ == "__main__":
    untranslated = fill(Path(sys.argv[1]))
    for text in untranslated:
        print(f"untranslated: {text}")
    sys.exit(1 if untranslated else 0)
