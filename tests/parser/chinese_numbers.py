"""The tests' own writer of Chinese numerals (independent of cn2an): 0..99,999,999."""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
_PLACES = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))


def _section(value: int) -> str:
    """1..9999 the way it is read: 一千零五, 三百二十, 十一 inside a larger number is 一十一."""
    text, gap = "", False
    for size, name in _PLACES:
        digit = value // size % 10
        if digit == 0:
            gap = gap or bool(text)
            continue
        if gap:
            text, gap = text + "零", False
        text += DIGITS[digit] + name
    return text


def chinese(value: int, liang: bool = False) -> str:
    """``value`` in Chinese numerals; 十一 not 一十一 at the start; 两百/两千/两万 if ``liang``."""
    if not 0 <= value < 100_000_000:
        raise ValueError(value)
    if value == 0:
        return "零"
    high, low = divmod(value, 10_000)
    text = _section(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _section(low)
    if text.startswith("一十"):
        text = text[1:]
    if liang and text.startswith("二") and text[1:2] in ("百", "千", "万"):
        text = "两" + text[1:]
    return text
