"""Write corpus.json (the parser's labelled corpus, in the scorer's format) from tests/parser/corpus.

Run from the repo root: .venv/bin/python -m tests.parser.make_corpus
With --known-failures it instead pins the cases the current parser gets wrong in
tests/parser/known_failures.txt (see tests/parser/gate.py): only deliberately, after checking that
the list grew for a reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tests.parser.corpus import load, templates, to_sample

CORPUS = Path(__file__).with_name("corpus.json")
# id prefix -> hand-written file (tests/parser/corpus/<name>.txt)
FILES = {
    "pub": "publicity",
    "kind": "kinds",
    "multi": "multi",
    "msg": "messages",
    "hold": "holdout",
    "holdb": "holdout2",
    "holdc": "holdout3",
    "holdd": "holdout4",
    "blinda": "blind_a",
    "blindb": "blind_b",
    "blindc": "blind_c",
    "blindd": "blind_d",
    "blinde": "blind_e",
    "blindf": "blind_f",
    "blindg": "blind_g",
    "blindh": "blind_h",
    "blindi": "blind_i",
    "blindj": "blind_j",
    "blindk": "blind_k",
    "blindl": "blind_l",
    "blindm": "blind_m",
    "blindn": "blind_n",
    "blindo": "blind_o",
    "blindr": "blind_r",
    "art": "articles",
    "speech": "speech",
    "blindp": "blind_p",
    "blindq": "blind_q",
    "table": "tables",
    "blindt": "blind_t",
    "blindu": "blind_u",
    "blinds": "blind_s",
}


def build() -> list[dict[str, Any]]:
    sections = {prefix: load(name) for prefix, name in FILES.items()}
    sections["tpl"] = templates.CASES
    return [
        to_sample(f"{prefix}{index:03d}", case)
        for prefix, cases in sections.items()
        for index, case in enumerate(cases, 1)
    ]


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--known-failures", action="store_true", help="rewrite known_failures.txt instead")
    if parser.parse_args().known_failures:
        from tests.parser import gate

        wrong = gate.misses(CORPUS)
        gate.KNOWN_FAILURES.write_text(gate.render_known_failures(wrong), encoding="utf-8")
        print(f"{gate.KNOWN_FAILURES}: {len(wrong)} known failures")
        return
    CORPUS.write_text(render(), encoding="utf-8")
    print(f"{CORPUS}: {len(build())} cases")


if __name__ == "__main__":
    main()
