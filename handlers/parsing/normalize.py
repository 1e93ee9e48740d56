"""Text normalisation and span helpers shared by the parser modules.

Normalisation is one character for one character, so every position found in the normalised
text is also a position in the original message (source_text is cut from the original).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# Full-width digits, Latin letters and the number punctuation (．／－＋％：) become ASCII;
# Chinese sentence punctuation (，。；（）) stays as written. Ideographic and no-break spaces
# become plain spaces.
_HALF_WIDTH = {
    **{code: code - 0xFEE0 for code in range(ord("０"), ord("９") + 1)},
    **{code: code - 0xFEE0 for code in range(ord("Ａ"), ord("Ｚ") + 1)},
    **{code: code - 0xFEE0 for code in range(ord("ａ"), ord("ｚ") + 1)},
    **{ord(char): ord(char) - 0xFEE0 for char in "．／－＋％｜"},
    ord("\u3000"): ord(" "),
    ord("\xa0"): ord(" "),
    ord("\r"): ord("\n"),
}

# Most messages have none of those characters: finding that is one scan in C, translating
# looks every character up in the table.
_TRANSLATED = re.compile("[" + "".join(re.escape(chr(code)) for code in _HALF_WIDTH) + "]")

MASK = "□"  # stands in for text that keyword scans must not see (unit names, places)
SENTENCE_ENDS = frozenset("；;。！!？?\n")
# Speech typed or dictated without punctuation ("…发资料两百份然后下午又去了三家企业") joins its
# pieces with spoken connectives: each opens a clause as a comma would.
# "走访完了又在镇政府门口发了…", "完了昨天又在…": 完了 before 又/还/a day opens the next piece.
SPOKEN_JOINS = "然后|紧接着|接着|另外|还有就是|再就是|完了以后|完了(?=又|还|再|[昨今前当次])"


def normalize(text: str) -> str:
    return text.translate(_HALF_WIDTH) if _TRANSLATED.search(text) else text


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each [start, end) span (inside ``text``; in any order, overlapping or empty)
    replaced by MASK characters (same length)."""
    # The text between the spans is copied in slices (C), not split into a list of characters and
    # joined again: a message has a few spans, each character a Python object in a list.
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        start = max(start, position)  # what an earlier span masked is masked already
        if end > start:
            pieces += (text[position:start], MASK * (end - start))
            position = end
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def unguarded(word: str) -> str:
    """A word of an alternation without its lookbehind/lookahead guards: "完了(?=又|还)" → "完了"."""
    return _GUARD.sub("", word)


_GUARD = re.compile(r"\(\?<?[=!][^)]*\)")


def alternatives(alternation: str) -> list[str]:
    """The top-level alternatives of a regex alternation: "到(?!场|会)|赴" → ["到(?!场|会)", "赴"]."""
    words, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(alternation):
        char = alternation[index]
        if char == "\\":
            index += 2  # an escaped character is no bracket and no bar
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            words.append(alternation[start:index])
            start = index + 1
        index += 1
    return [*words, alternation[start:]]


def first_chars(words: Iterable[str]) -> str:
    """The characters plain words (guards allowed) open with, for ``opens_with``; a word opening
    with anything else (a group, a class) fails at import, so it cannot silently go unmatched."""
    chars = {unguarded(word)[0] for word in words}
    if not chars.isdisjoint("()[]\\.^$|?*+{"):
        raise ValueError(f"cannot tell how all of {words!r} start")
    return "".join(sorted(chars))


def led_by_first_chars(words: Sequence[str]) -> str:
    """``(?:word|word|…)`` led by a lookahead on the words' first characters: where re tries the
    alternation at many positions (after each step of a lazy run, at every character), it checks
    one class there instead of every word in turn."""
    return f"{opens_with(first_chars(words))}(?:{'|'.join(words)})"


def opens_with(chars: str) -> str:
    """A lookahead on the characters a pattern can open with. Tried first at each position, it
    spares the pattern's alternatives where none can start: re itself scans fast only for a
    pattern that opens with a plain character (class), not with an optional part or a lookbehind."""
    return f"(?=[{chars}])"
