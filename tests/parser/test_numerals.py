"""Numerals: every integer written in Chinese round-trips; approximations are flagged; numbers
inside names are no counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.parsing.numerals import find_quantities, to_int
from tests.parser.chinese_numbers import chinese

ANY = st.integers(min_value=0, max_value=99_999_999)
# Names and phrases that hold numerals but count nothing.
NOT_COUNTS = (
    "第一中学",
    "一对一",
    "一是",
    "二是",
    "十四五",
    "4·26",
    "千家万户",
    "第三人民医院",
    "一人一档",
    "两部门",
    "二十家子镇",
    "12345热线",
    "一站式",
    "3·15",
    "万人签名",
    "数百人",
    "第2期",
    "每人2份",
)


def test_the_helper_writes_numbers_as_read() -> None:
    assert [chinese(n) for n in (10, 15, 105, 1005, 1050, 10010, 100000, 2_000_000)] == [
        "十",
        "十五",
        "一百零五",
        "一千零五",
        "一千零五十",
        "一万零一十",
        "十万",
        "二百万",
    ]
    assert chinese(2000, liang=True) == "两千"


@given(ANY, st.booleans())
def test_chinese_numerals_round_trip(value: int, liang: bool) -> None:
    written = chinese(value, liang)
    assert to_int(written) == value
    [quantity] = find_quantities(f"发放资料{written}份")
    assert (quantity.value, quantity.unit, quantity.approximate) == (value, "份", False)


@given(ANY)
def test_arabic_numerals_round_trip_with_or_without_thousands_separators(value: int) -> None:
    for written in (str(value), f"{value:,}"):
        [quantity] = find_quantities(f"参与群众{written}人")
        assert (quantity.value, quantity.unit) == (value, "人")


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=9))
def test_decimal_wan(whole: int, tenth: int) -> None:
    [quantity] = find_quantities(f"覆盖群众{whole}.{tenth}万人次")
    assert quantity.value == whole * 10_000 + tenth * 1_000


@given(st.integers(min_value=10, max_value=99_999_999), st.sampled_from(["余", "多"]), st.booleans())
def test_yu_and_duo_flag_approximate(value: int, marker: str, in_chinese: bool) -> None:
    written = chinese(value) if in_chinese else str(value)
    [quantity] = find_quantities(f"发放资料{written}{marker}份")
    assert (quantity.value, quantity.approximate) == (value, True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("约1000人", 1000),
        ("近百人", 100),
        ("百余人", 100),
        ("上千群众", 1000),
        ("四十来人", 40),
        ("200人左右", 200),
        ("十几家", 10),
        ("三四百人", 300),
        ("二三十人", 20),
        ("五十多个居民", 50),
    ],
)
def test_approximate_forms(text: str, value: int) -> None:
    [quantity] = find_quantities(text)
    assert (quantity.value, quantity.approximate) == (value, True)


def test_exact_counts_are_not_approximate() -> None:
    assert [q.approximate for q in find_quantities("发放资料500份，参与群众三百二十人")] == [False, False]


@given(st.sampled_from(NOT_COUNTS), st.integers(min_value=1, max_value=99_999_999), st.booleans())
def test_numbers_inside_names_are_not_counts(name: str, value: int, in_chinese: bool) -> None:
    written = chinese(value) if in_chinese else str(value)
    found = find_quantities(f"围绕{name}在{name}开展宣传，发放资料{written}份")
    assert [q.value for q in found] == [value]


@pytest.mark.parametrize(
    "text", ["十四五", "一对一指导", "4·26世界知识产权日", "走进千家万户", "电话13800002222", "几十人", "好几百人"]
)
def test_no_count_at_all(text: str) -> None:
    assert find_quantities(text) == []


@pytest.mark.parametrize(("text", "value"), [("1千2百份", 1200), ("1万5千人次", 15000), ("3千5百份", 3500)])
def test_digits_with_magnitudes_between_them(text: str, value: int) -> None:
    assert [q.value for q in find_quantities(text)] == [value]
