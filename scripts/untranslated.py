#!/usr/bin/env python
"""List the untranslated and fuzzy entries of a translation catalogue (default: zh_Hans).

Usage: .venv/bin/python scripts/untranslated.py [LANG ...]
Exits 1 when any entry is untranslated or fuzzy, so it can gate CI. English msgids are English
already, so the `en` catalogue is complete with empty msgstr (Django falls back to the msgid);
only languages given here are checked.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Problem:
    lang: str
    kind: str  # "untranslated" or "fuzzy"
    msgid: str
    where: str


def catalogue(lang: str, domain: str = "django") -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def problems(lang: str = "zh_Hans", domain: str = "django") -> list[Problem]:
    path = catalogue(lang, domain)
    if not path.exists():
        return []
    po = polib.pofile(str(path))
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in entry.occurrences[:2])
        if entry.fuzzy:
            found.append(Problem(lang, "fuzzy", entry.msgid, where))
        elif not entry.translated():
            found.append(Problem(lang, "untranslated", entry.msgid, where))
    return found


def main(argv: list[str]) -> int:
    langs = argv or ["zh_Hans"]
    found = [
        p for lang in langs for domain in ("django", "djangojs") for p in problems(lang, domain)
    ]
    for p in found:
        print(f"{p.lang}\t{p.kind}\t{p.msgid!r}\t{p.where}")
    print(f"{len(found)} entries to translate", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
