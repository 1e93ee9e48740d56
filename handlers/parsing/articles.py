"""A forwarded 公众号 article or 简报: its apparatus is no activity and its dates are not activity dates.

A liaison often pastes the unit's own write-up as it was published:

    工作简报                                   <- masthead
    第8期                                      <- issue line
    双塔区市场监督管理局办公室   2026年4月22日    <- issuing office and date
    双塔区局扎实开展知识产权宣传周系列活动       <- headline
    原创 朝阳市场监管 2026年04月17日 17:46 辽宁  <- WeChat copy line
    朝阳教育  2026-04-24 18:02                 <- account and publish time
    记者 张晓雪 / 本报讯（通讯员 王磊）          <- bylines
    …body paragraphs with the activities and their own dates…
    报：市知识产权局 / 送：区政府办 / 发：各股室  <- distribution footer

The message is an article when one of these apparatus lines is there (a plain report never has
them). Then the lines above the body (masthead, issue, office, headline: short lines that close no
sentence) and every apparatus line are masked, so the activities and dates come from the body
alone, and their 今天/昨天 count from the day the article was posted (see published_day). Which
unit reports is not the article's business: the bound sender stays the reporting unit (see
units). One pass over the lines: linear in the text.
"""

from __future__ import annotations

import datetime as dt
import re

# A line that is only apparatus. Each pattern is anchored to a whole line, bounded, and tried on
# one line at a time, so the cost is linear in the text.
# "科技工作简报（第11期）", "知识产权宣传周信息（第3期）", "宣传周工作动态（二）": a serial's name before its
# issue (no verb in it: "今天发了简报第3期" is a report).
_SERIAL = r"(?:(?!了|发|推|刊)[^\s，。；]){0,20}(?:简报|专报|快报|信息|动态|通讯|周报|专刊)\s*"
_ISSUE = re.compile(
    rf"(?:{_SERIAL})?[（(]?\s*(?:\d{{4}}\s*年\s*)?第\s*[\d一二三四五六七八九十百]{{1,4}}\s*期\s*[）)]?"
    r"(?:\s*(?:总第\s*\d{1,5}\s*期|[（(]总第\s*\d{1,5}\s*期[）)]))?"
    rf"|{_SERIAL}[（(][一二三四五六七八九十\d]{{1,3}}[）)]"
)
_DATE = r"\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-./]\d{1,2}[-./]\d{1,2})(?:\s*\d{1,2}:\d{2})?"
# "朝阳教育  2026-04-24 18:02", "原创 朝阳市场监管 朝阳市场监管 2026年04月17日 17:46 辽宁",
# "双塔区市场监督管理局办公室   2026年4月22日", "来源：朝阳市中级人民法院  2026-04-23".
# "《朝阳日报》2026年4月25日 第2版": the paper it was printed in.
# The lookahead first asks whether the line has such a date at all: without it the words before the
# date are cut every way they can be (up to 24³ tries) on every line of every report (~10% of a parse).
# "时间<tab>2026年4月24日" is a form's date field (see blocks), not a publish line.
_PUBLISHED = re.compile(
    rf"(?=.*?{_DATE})(?!(?:活动|开展|举办)?(?:日期|时间)\s)(?:原创\s*)?(?:[^\s，。；]{{1,24}}\s*+){{1,3}}(?<=[\s》])\s*{_DATE}"
    r"(?:\s*第\s*\d{1,3}\s*版|\s*[^\s，。；\d]{1,6})?"
)
# "发布时间：2026-04-27", "市发改委 发布日期：2026-04-25": the posting's own release line.
_RELEASED = re.compile(rf"(?:[^\s，。；:：]{{1,20}}\s+)?(?:发布时间|发布日期)\s*[:：]\s*{_DATE}")
_DAY = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|[-./](\d{1,2})[-./](\d{1,2}))")
_OFFICE_ISSUED = re.compile(r"[^\s，。；]{2,30}(?:办公室|秘书科|综合科|综合股|政工科)(?:编|印发|编印)?")
_BYLINE = re.compile(
    r"(?:记者|通讯员|作者|文|图|文/图|文字|图片|撰稿|供稿|摄影|摄|签发|审稿|核稿|初审|复审|终审|责编|排版)"
    r"\s*[:：\s]\s*[^\n。]{1,40}"
)
# "（县知识产权局 供稿）", "（通讯员 李明 摄）": a byline in brackets on a line of its own.
_BRACKETED_BYLINE = re.compile(
    r"[（(][^（）()\n]{1,30}(?:供稿|撰稿|供图|摄|报送)\s*[）)]|[（(](?:记者|通讯员)[^（）()\n]{1,30}[）)]"
)
# "报：市知识产权局", "送：区政府办、区委宣传部": recipients only, no clause, no count ("报：喀左局4.23在…，
# 发资料300" is a report opening with 报).
_FOOTER = re.compile(
    r"(?:报|送|发|抄送|抄报|主送|分送|印发)\s*[:：][^\n，,。；;\d]{1,80}|[（(]?共印\s*\d{1,4}\s*份[）)]?"
)
# "本报讯（通讯员 王磊）", "朝阳县融媒体中心讯（记者 刘博）": a byline opening the first paragraph.
_NEWS_LEAD = re.compile(r"[^\s，。；]{0,12}讯\s*[（(](?:记者|通讯员|特约记者)[^）)\n]{0,40}[）)]")
_NEWS_LEAD_NEEDS = "讯"  # a message without it is not searched (up to 12 steps at every position)
# "据悉，宣传周期间（4月20日至26日），市知识产权局将…", "据了解，本次培训分为三个环节": what the
# writer heard or adds as background, not an activity of the day reported.
# "今年以来…", "截至2025年底…", "2014年，“喀左紫陶”获批…", "白皮书显示，…": the record before the
# week, not its work.
_BACKGROUND = re.compile(
    r"(?:^|(?<=[。！？\n]))\s*(?:据悉|据了解|据介绍|据统计|(?:白皮书|数据|统计)显示|今年以来|近年来|近些年来?"
    r"|近[一二两三四五六七八九十\d]{1,2}年来?|截至目前|截至(?:\d{4}\s*年|今年|去年|上年|年初)|“十[一二三四五]五”以来"
    r"|\d{4}\s*年(?=[，,]|全[市县区省国]|我[市县区省])|\d{4}\s*年以来)[^。！？\n]{0,300}"
)
# A publishing date (_DATE, in _PUBLISHED and _RELEASED) opens with a year's four digits.
_YEAR_DIGITS = re.compile(r"\d{4}")
# Each line pattern with what every line it matches holds (None: it fails at a line's first
# characters anyway): the issue's 期 or closing bracket, the date's year, the office's word. Most
# lines hold none of them and are spared the patterns' runs over their opening characters.
_APPARATUS_LINES: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...] = (
    (_ISSUE, re.compile("期|[）)]")),
    (_PUBLISHED, _YEAR_DIGITS),
    (_OFFICE_ISSUED, re.compile("办公室|秘书科|综合科|综合股|政工科")),
    (_BYLINE, None),
    (_BRACKETED_BYLINE, None),
    (_FOOTER, None),
)
# The last line of a write-up signed with its date ("2026年4月27日", under the office's name on the
# line before), or with the office in brackets ("（市司法局普法科）", "（市外事办 2026年4月24日）").
_SIGNATURE_DATE = re.compile(rf"{_DATE}")
_SIGNATURE = re.compile(r"[（(][^（）()\n，。；！？]{2,30}[）)]")
_SIGNER_MAX = 30
# "（发放折页200份）" closing a table is a note of what was done, not a signer: a bracket holding a count.
_COUNTED = re.compile(r"[\d一二两三四五六七八九十百千万]\s*(?:余|多|来)?\s*(?:份|册|本|张|人|名|家|户|篇|条|场|次|个)")

# Above the body: short lines that close no sentence (masthead, issue, office, headline).
_TOP_LINE_MAX = 40
_SENTENCE_CLOSE = "。；;！!？?"


def _lines(text: str) -> list[tuple[int, int]]:
    """[start, end) of each line, without its newline."""
    spans = []
    start = 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\u3000":
        start += 1
    while end > start and text[end - 1] in " \t\u3000":
        end -= 1
    return start, end


def _is_apparatus(line: str) -> bool:
    for pattern, held in _APPARATUS_LINES:
        if (held is None or held.search(line) is not None) and pattern.fullmatch(line) is not None:
            return True
    return False


def article_spans(text: str) -> list[tuple[int, int]]:
    """The apparatus of a forwarded article or 简报 ([start, end) spans of ``text``); none when
    ``text`` is no article."""
    lines = [_stripped(text, start, end) for start, end in _lines(text)]
    lines = [(start, end) for start, end in lines if end > start]
    apparatus = [(start, end) for start, end in lines if _is_apparatus(text[start:end])]
    apparatus += _signature(text, lines)
    leads = [match.span() for match in _NEWS_LEAD.finditer(text)] if _NEWS_LEAD_NEEDS in text else []
    if not apparatus and not leads:
        return []
    top = []
    for start, end in lines:
        line = text[start:end]
        if end - start > _TOP_LINE_MAX or line[-1] in _SENTENCE_CLOSE or "。" in line:
            break
        top.append((start, end))
    if len(top) == len(lines):  # all short lines: a note, not an article with a body
        top = []
    background = [match.span() for match in _BACKGROUND.finditer(text)]
    return top + apparatus + leads + background


def _signature(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The signature closing a write-up: a last line that is only a date (with the signer's line
    before it, short and closing no sentence) or only a bracket."""
    if len(lines) < 2:
        return []
    last = lines[-1]
    if _SIGNATURE.fullmatch(text, *last):
        return [] if _COUNTED.search(text, *last) else [last]
    if not _SIGNATURE_DATE.fullmatch(text, *last):
        return []
    start, end = lines[-2]
    signer = text[start:end]
    if end - start <= _SIGNER_MAX and not any(char in signer for char in _SENTENCE_CLOSE + "，,"):
        return [lines[-2], last]
    return [last]


def published_day(text: str, today: dt.date) -> dt.date | None:
    """The day a forwarded article was posted (its account-and-time or release line), when it is
    no later than ``today``: the article's 今天/昨天 are counted from it ("凌源发布 2026-04-20 19:45 …
    今天上午，启动仪式…举行", forwarded the next morning, tells of the 20th)."""
    if _YEAR_DIGITS.search(text) is None:
        return None  # no line holds a publishing date (its lines are not tried one by one)
    for start, end in _lines(text):
        start, end = _stripped(text, start, end)
        line = text[start:end]
        if not (_PUBLISHED.fullmatch(line) or _RELEASED.fullmatch(line)):
            continue
        day = _DAY.search(line)
        if day is None:
            return None
        year, month, mday = int(day[1]), int(day[2] or day[4]), int(day[3] or day[5])
        try:
            posted = dt.date(year, month, mday)
        except ValueError:
            return None
        return posted if posted <= today else None
    return None
