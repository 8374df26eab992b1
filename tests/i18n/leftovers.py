"""Leftover English on a page rendered in Simplified Chinese (issue: every page speaks Chinese).

`leftover_words(html)` returns the English words and raw codes a zh-hans reader would see: the text
of the page and the attributes people read (title, placeholder, aria-label, alt), without scripts,
styles, what the page marks `translate="no"` (a file format's column names), e-mail addresses,
URLs, file names and the abbreviations Chinese credit teams use as they are (CNY, PDF, ERP …)."""

import re
from html.parser import HTMLParser

# Written as they are in Chinese business text.
KEPT = {
    "CNY",
    "RMB",
    "PDF",
    "XLSX",
    "CSV",
    "ERP",
    "API",
    "ID",
    "URL",
    "DSO",
    "KPI",
    "KPIs",
    "GB",
    "VAT",
    "CreditDesk",
    "OK",
    "IP",
    "SMTP",
    "HTTP",
    "HTTPS",
    "JSON",
    "Token",
    "GM",
    "SKIP",
    "Excel",
    "English",
    "AM",
    "PM",
    "GBK",
    "GB18030",
    "UTF",
}
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
SKIPPED_TAGS = {"script", "style", "textarea", "svg"}
WORD = re.compile(r"(?<![\w@./:-])[A-Za-z][A-Za-z_]{1,}(?![\w@/-])")
# A unit glued to a number, as English abbreviates it: "45d", "3h", "10k".
UNIT = re.compile(r"(?<![\w@./:-])\d+[A-Za-z]{1,3}(?![\w@/-])")
NOISE = re.compile(r"\S+@\S+|https?://\S+|/[\w./?=&%-]*|\b[\w.-]+\.(?:pdf|xlsx|csv|txt|png|jpg)\b")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping: str | None = None  # the tag whose content is skipped, and its nesting
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            self.depth += tag == self.skipping
            return
        if tag in SKIPPED_TAGS or ("translate", "no") in attrs:
            self.skipping, self.depth = tag, 1
            return
        self.parts.extend(v for k, v in attrs if k in READ_ATTRIBUTES and v)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping:
            self.depth -= 1
            if not self.depth:
                self.skipping = None

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def leftover_words(html: str, also_allowed: set[str] = frozenset()) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = NOISE.sub(" ", " ".join(parser.parts))
    found = set(WORD.findall(text)) | set(UNIT.findall(text))
    return sorted(w for w in found if w not in KEPT and w not in also_allowed)
