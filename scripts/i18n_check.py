#!/usr/bin/env python3
"""Spanish catalogue checks (and a fill helper) without polib or GNU gettext.

    scripts/i18n_check.py                 list untranslated or fuzzy entries of locale/es; exit 1 if any
    scripts/i18n_check.py --json          the same, as JSON (msgid, msgid_plural, context), for translating
    scripts/i18n_check.py --fill FILE     write translations from FILE (JSON {msgid: msgstr | [forms]},
                                          or {"<context>\\x04<msgid>": ...}) into the empty entries

tests/test_i18n.py imports parse_po() from here, so the test and this tool read the .po the same way.
Workflow after someone adds strings: `make messages`-style makemessages (see README), then this script
with --json, translate, --fill, compilemessages.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(token: str) -> str:
    """The value of one PO string literal: `"..."` with C escapes."""
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"not a PO string: {token!r}")
    out, i, body = [], 0, token[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _quote(value: str) -> str:
    return '"' + (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                  .replace("\t", "\\t").replace("\r", "\\r")) + '"'


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index -> text (0 only, unless plural)
    flags: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)  # raw comment lines, kept verbatim
    source: list[str] = field(default_factory=list)  # raw msgctxt/msgid/msgid_plural lines
    obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(v.strip() for v in self.msgstr.values())


def parse_po(path: Path = PO_PATH) -> list[Entry]:
    entries: list[Entry] = []
    cur = Entry()
    last: tuple[str, int] | None = None  # which field a continuation line extends
    started = False

    def flush():
        nonlocal cur, started, last
        if started:
            entries.append(cur)
        cur, started, last = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            cur.obsolete = True
            started = True
            cur.comments.append(raw)
            continue
        if line.startswith("#"):
            if started and (cur.msgid or cur.msgstr):  # a comment after the strings: a new entry
                flush()
            if line.startswith("#,"):
                cur.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            cur.comments.append(raw)
            continue
        started = True
        if line.startswith('"'):
            if last is None:
                raise ValueError(f"{path}: continuation without a field: {raw!r}")
            name, idx = last
            if name == "msgstr":
                cur.msgstr[idx] += _unquote(line)
            else:
                setattr(cur, name, (getattr(cur, name) or "") + _unquote(line))
                cur.source.append(raw)
            continue
        keyword, _sep, rest = line.partition(" ")
        if keyword.startswith("msgstr["):
            idx = int(keyword[7:-1])
            cur.msgstr[idx] = _unquote(rest)
            last = ("msgstr", idx)
        elif keyword == "msgstr":
            cur.msgstr[0] = _unquote(rest)
            last = ("msgstr", 0)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            if keyword == "msgctxt" and (cur.msgid or cur.msgstr):
                flush()
                started = True
            setattr(cur, keyword, _unquote(rest))
            cur.source.append(raw)
            last = (keyword, 0)
        else:
            raise ValueError(f"{path}: unexpected line {raw!r}")
    flush()
    return entries


def plural_count(entries: list[Entry]) -> int:
    header = next((e for e in entries if e.is_header), None)
    text = header.msgstr.get(0, "") if header else ""
    for line in text.splitlines():
        if line.startswith("Plural-Forms:") and "nplurals=" in line:
            return int(line.split("nplurals=")[1].split(";")[0])
    return 2


def problems(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_header and not e.obsolete and (e.fuzzy or not e.translated)]


def write_po(entries: list[Entry], path: Path = PO_PATH) -> None:
    chunks = []
    for e in entries:
        if e.obsolete:
            chunks.append("\n".join(e.comments))
            continue
        lines = list(e.comments) + list(e.source)
        if e.msgid_plural is not None:
            lines += [f"msgstr[{i}] {_quote(e.msgstr.get(i, ''))}" for i in sorted(e.msgstr)]
        else:
            value = e.msgstr.get(0, "")
            if e.is_header or "\n" in value[:-1]:
                lines.append('msgstr ""')
                lines += [_quote(part) for part in value.splitlines(keepends=True)]
            else:
                lines.append(f"msgstr {_quote(value)}")
        chunks.append("\n".join(lines))
    path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")


def fill(entries: list[Entry], translations: dict[str, str | list[str]]) -> list[str]:
    """Put translations into entries (untranslated or fuzzy ones only); returns keys not found."""
    n = plural_count(entries)
    by_key = {e.key: e for e in entries if not e.is_header and not e.obsolete}
    unknown = []
    for key, value in translations.items():
        e = by_key.get(key)
        if e is None:
            unknown.append(key)
            continue
        if e.translated and not e.fuzzy:
            continue
        if e.msgid_plural is not None:
            forms = value if isinstance(value, list) else [value]
            forms = (forms + [forms[-1]] * n)[:n]
            e.msgstr = dict(enumerate(forms))
        else:
            e.msgstr = {0: value if isinstance(value, str) else value[0]}
        if e.fuzzy:
            e.flags.discard("fuzzy")
            e.comments = [c for c in e.comments if not c.startswith("#,")]
            rest = sorted(e.flags)
            if rest:
                e.comments.append("#, " + ", ".join(rest))
            e.comments = [c for c in e.comments if not c.startswith("#| ")]  # previous msgid of a fuzzy match
    return unknown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--po", type=Path, default=PO_PATH)
    parser.add_argument("--json", action="store_true", help="print the entries to translate as JSON")
    parser.add_argument("--fill", type=Path, help="JSON file of translations to write into the .po")
    args = parser.parse_args(argv)
    entries = parse_po(args.po)
    if args.fill:
        unknown = fill(entries, json.loads(args.fill.read_text(encoding="utf-8")))
        write_po(entries, args.po)
        for key in unknown:
            print(f"not in the catalogue (ignored): {key!r}", file=sys.stderr)
        entries = parse_po(args.po)
    todo = problems(entries)
    if args.json:
        print(json.dumps([{"msgid": e.msgid, "msgid_plural": e.msgid_plural, "msgctxt": e.msgctxt,
                           "where": [c[3:] for c in e.comments if c.startswith("#:")]} for e in todo],
                         ensure_ascii=False, indent=1))
    else:
        for e in todo:
            print(("fuzzy: " if e.fuzzy else "untranslated: ") + repr(e.key))
        print(f"{len(todo)} of {sum(1 for e in entries if not e.is_header and not e.obsolete)} entries need work",
              file=sys.stderr)
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main())
