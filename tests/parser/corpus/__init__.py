"""Hand-labelled liaison messages for the parser, in the scorer's sample format.

The cases are hand-written, one a line, in the ``*.txt`` files beside this module; labels follow
the issue's spec, never the parser's output. ``templates.py`` adds every unit by name and alias
in hand-written frames. ``make_corpus.py`` writes all of them to ``corpus.json``.

Line format (" | " between fields, "#" starts a comment line, "\\n" in a text is a line break, "\\t"
a tab, as pasted from a table)::

    text | MM-DD HH:MM | bound | unit | types | dates | fields

- bound, unit: a unit code below (ST = 双塔区知识产权局…) or "-" for none;
- text: "\\t" is a tab (table pastes), and may hold " | " itself (a table pasted with bars);
- types: one per activity, comma-separated ("publicity,visit"); "a|b" accepts either type for
  that slot; a message with no activity gives its intent instead: @other, @rsvp, @summary;
- dates: the set of activity dates, "04-20,04-21" (2026), "-" for none;
- fields (optional): space-separated key=value: location=…, materials=300…, lenient=a,b.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

YEAR = 2026

CHAIR = "市市场监督管理局"
XCB = "市委宣传部"
ZY = "市中级人民法院"
JCY = "市人民检察院"
WB = "市外事办公室"
FGW = "市发展改革委"
JY = "市教育局"
KJ = "市科技局"
GX = "市工业和信息化局"
GA = "市公安局"
SF = "市司法局"
NY = "市农业农村局"
SW = "市商务局"
WL = "市文化和旅游局"
WJ = "市卫生健康委"
GZ = "市国资委"
HG = "朝阳海关"
LC = "市林草局"
KX = "市科协"
ST = "双塔区知识产权局"
LCQ = "龙城区知识产权局"
BP = "北票市知识产权局"
LY = "凌源市知识产权局"
CYX = "朝阳县知识产权局"
JP = "建平县知识产权局"
KZ = "喀左县知识产权局"

Case = tuple[str, str, str | None, dict[str, Any]]


def _list(value: str | list[str] | tuple[str, ...]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def r(
    text: str,
    now: str,
    bound: str | None,
    unit: str | None,
    types: str | list[str],
    dates: str | list[str],
    **fields: Any,
) -> Case:
    """A report: its types (one per activity) and the set of activity dates."""
    expected = {"intent": "report", "unit": unit, "types": _list(types), "dates": _list(dates), **fields}
    return text, now, bound, expected


def other(text: str, now: str, bound: str | None, unit: str | None, intent: str = "other") -> Case:
    """A message with no activity: chit-chat, question, rsvp or summary."""
    return text, now, bound, {"intent": intent, "unit": unit, "types": [], "dates": []}


def to_sample(case_id: str, case: Case) -> dict[str, Any]:
    """One case in the scorer's format (see /work/shared/samples/make_reports.py)."""
    text, now, bound, expected = case
    day, clock = now.split()
    expected = dict(expected)
    expected["dates"] = [f"{YEAR}-{d}" for d in expected["dates"]]
    return {
        "id": case_id,
        "text": text,
        "now": f"{YEAR}-{day}T{clock}:00+08:00",
        "bound_unit": bound,
        "expected": expected,
    }


# The unit codes defined above, as the .txt files write them.
CODES = {name: value for name, value in globals().items() if name.isupper() and name != "YEAR"}
_HERE = Path(__file__).parent
_ROW = re.compile(r"(?P<text>.*) \| (?P<now>\d\d-\d\d \d\d:\d\d) \| (?P<fields>.*)")


def _field(key: str, value: str) -> Any:
    if key == "lenient":
        return value.split(",")
    return value if key == "location" else int(value)


def _row(line: str) -> Case:
    # A table pasted with bars holds " | " itself; the fields after the text never do, and the
    # sending time is the first of them.
    row = _ROW.fullmatch(line)
    if row is None:
        raise ValueError(f"no sending time in corpus line: {line[:60]}")
    text = row.group("text").replace("\\n", "\n").replace("\\t", "\t")
    now = row.group("now")
    bound, unit, kinds, dates, *rest = row.group("fields").split(" | ")
    bound_unit, unit_name = (None if code == "-" else CODES[code] for code in (bound, unit))
    if kinds.startswith("@"):
        return other(text, now, bound_unit, unit_name, kinds[1:])
    fields = dict(pair.split("=", 1) for pair in rest[0].split()) if rest else {}
    typed = {key: _field(key, value) for key, value in fields.items()}
    return r(text, now, bound_unit, unit_name, kinds.split(","), dates.split(","), **typed)


def load(name: str) -> list[Case]:
    """The cases of ``<name>.txt`` beside this module."""
    lines = (_HERE / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [_row(line) for line in lines if line.strip() and not line.startswith("#")]
