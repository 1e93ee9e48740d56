"""The Word summary draft (宣传周总结初稿): what the contact person edits into the city's summary.

It is written as a first draft in the register of a Chinese work summary: an overview whose
figures all come from the records, a section per activity arrangement of the notice, each unit's
highlights, a chart, and an appendix of captioned photos. What the records cannot tell (the
ceremony's programme, next steps, why a unit is silent) is asked for in 【】 for the editor; the
draft never invents. Faces follow the usual house style of such documents: 仿宋 body, 黑体 and
楷体 headings, on A4.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.styles.style import ParagraphStyle

from bot.config import Settings
from bot.exports.chart import day_chart
from bot.exports.photo_zip import web_copy
from scheduler.campaign import UnitKind
from scheduler.digest import say_totals  # the digest's wording, so chat and document agree
from scheduler.push_texts import date_label, moment_label, span_label
from storage.export_queries import MEASURES, ActivityRow, ExportData, PhotoRow, report_days
from storage.photo_store import PhotoStore
from storage.vocabulary import ActivityType, arrangements, as_type, type_label
from storage.wording import say_counts, say_date, say_span_of

# The notice's activity arrangements (五、具体活动安排), in its order; other types follow.
NOTICE_ARRANGEMENTS: tuple[ActivityType, ...] = tuple(arrangements())
NUMERALS = "一二三四五六七八九十"
EXAMPLES_PER_SECTION = 3
PHOTOS_PER_UNIT = 3
CHART_WIDTH = Cm(15)
PHOTO_WIDTH = Cm(7.4)
NO_PLACE = "地点未填"


def write_summary_doc(data: ExportData, settings: Settings, store: PhotoStore, now: datetime, out: Path) -> None:
    document = Document()
    _house_style(document)
    campaign = settings.campaign
    document.core_properties.title = f"{campaign.name}工作总结（初稿）"
    document.add_paragraph(f"{campaign.name}工作总结", style="Title")
    owing = _reporting_units(data, settings)
    handed_in = sum(1 for name in owing if name in data.summaries_in)
    _note(
        document,
        f"（初稿：由报送助手根据各单位报送的{len(data.activities)}条活动记录生成，数据截至{moment_label(now)}，"
        f"{len(owing)}个单位中已有{handed_in}个报送书面总结。数字以活动台账为准，【】内为待补充内容，"
        "请核实修改后使用。）",
    )
    document.add_heading("一、总体情况", level=1)
    document.add_paragraph(overview(data, settings))
    if data.activities:
        _chart(document, data, settings)
    document.add_heading("二、主要活动开展情况", level=1)
    _arrangements(document, data, settings)
    document.add_heading("三、各单位工作亮点", level=1)
    _unit_highlights(document, data, settings)
    document.add_heading("四、下一步工作", level=1)
    document.add_paragraph("【请结合宣传周开展情况，补充经验做法、存在不足和下一步工作打算。】")
    _appendix(document, data, store)
    document.save(str(out))  # python-docx's stubs take a str path, not a Path


def overview(data: ExportData, settings: Settings) -> str:
    """The overview paragraph; every figure in it comes from ``data``."""
    campaign = settings.campaign
    text = f"{campaign.name}于{span_label(campaign.week_start, campaign.week_end)}举办，主题为“{campaign.theme}”。"
    totals = data.totals
    if not totals.activities:
        return text + "截至目前，尚未收到各单位的活动报送。"
    reporting = sum(1 for unit in data.by_unit.values() if unit.activities)
    kinds = "、".join(f"{type_label(kind)}{t.activities}场" for kind, t in data.by_type.items())
    figures = say_totals([row.activity for row in data.activities])
    text += f"宣传周期间，{reporting}个单位累计开展活动{totals.activities}场，其中{kinds}"
    text += f"；{figures}" if figures else ""
    if totals.approximate:
        text += "（" + "、".join(m.label for m in MEASURES if m in totals.approximate) + "含约数）"
    return text + f"。各单位共报送现场图片{len(data.photos)}张。"


def caption(photo: PhotoRow) -> str:
    return f"{photo.unit} · {say_date(photo.day)} · {photo.place or NO_PLACE}"


def chart_days(data: ExportData, settings: Settings) -> tuple[date, ...]:
    """The campaign's days (from the ceremony if it comes first) and any other day with records."""
    campaign = settings.campaign
    return report_days(settings.ceremony.at.date(), campaign.week_start, campaign.week_end, data)


def _house_style(document: DocumentObject) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.5)
    normal = document.styles["Normal"]
    _face(normal, "仿宋", Pt(14))
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.first_line_indent = Pt(28)  # two characters
    for name, face, size in (("Title", "宋体", 22), ("Heading 1", "黑体", 16), ("Heading 2", "楷体", 15)):
        style = document.styles[name]
        _face(style, face, Pt(size))
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.first_line_indent = Pt(0)
    title = document.styles["Title"]
    title.font.bold = True
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    border = title.element.pPr.find(qn("w:pBdr")) if title.element.pPr is not None else None
    if border is not None:
        title.element.pPr.remove(border)  # the template's rule under the title
    caption_style = document.styles["Caption"]
    _face(caption_style, "仿宋", Pt(10.5))
    caption_style.font.color.rgb = RGBColor(0, 0, 0)
    caption_style.font.italic = False
    caption_style.paragraph_format.first_line_indent = Pt(0)
    caption_style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _face(style: ParagraphStyle, face: str, size: Length) -> None:
    """Set the font for Latin and East Asian text alike (Word reads w:eastAsia for Chinese)."""
    style.font.name = face
    style.font.size = size
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would win over the face set here
    fonts.set(qn("w:eastAsia"), face)


def _note(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    run = paragraph.add_run(text)
    run.font.size = Pt(10.5)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _chart(document: DocumentObject, data: ExportData, settings: Settings) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.add_run().add_picture(BytesIO(day_chart(data, chart_days(data, settings))), width=CHART_WIDTH)
    document.add_paragraph("图1  宣传周每日活动场次（按活动类型）", style="Caption")


def _arrangements(document: DocumentObject, data: ExportData, settings: Settings) -> None:
    rows_by_type: dict[str, list[ActivityRow]] = defaultdict(list)
    for row in data.activities:
        rows_by_type[row.activity.type].append(row)
    kinds = [*NOTICE_ARRANGEMENTS, *(kind for kind in data.by_type if kind not in NOTICE_ARRANGEMENTS)]
    for index, kind in enumerate(kinds):
        label = type_label(kind)
        document.add_heading(f"（{_numeral(index + 1)}）{label}", level=2)
        rows = rows_by_type.get(kind, [])
        text = _ceremony(data, settings) if kind == ActivityType.CEREMONY else ""
        if rows:
            units = len({row.unit for row in rows})
            text += f"{units}个单位{_verb(kind)}{label}{len(rows)}场"
            figures = say_totals([row.activity for row in rows])
            text += f"，{figures}。" if figures else "。"
            examples = _examples(rows, EXAMPLES_PER_SECTION)
            text += "主要有：" + "；".join(_phrase(row) for row in examples) + "。"
            if len(rows) > len(examples):
                text += f"其余{len(rows) - len(examples)}场详见活动台账。"
        elif kind != ActivityType.CEREMONY:
            text += "宣传周期间暂未收到此类活动的报送。【如有开展，请补充。】"
        if kind == ActivityType.CEREMONY:
            text += "【请补充仪式议程、出席领导和交流座谈情况。】"
        document.add_paragraph(text)


def _ceremony(data: ExportData, settings: Settings) -> str:
    ceremony, turnout = settings.ceremony, data.ceremony
    text = f"{moment_label(ceremony.at)}，宣传周启动仪式在{ceremony.place}举行"
    if turnout.registered_units:
        text += f"，{len(turnout.registered_units)}个单位报名{turnout.attendees}人参加"
    if turnout.checked_in_units:
        text += f"，{len(turnout.checked_in_units)}个单位现场签到"
    return text + "。"


def _unit_highlights(document: DocumentObject, data: ExportData, settings: Settings) -> None:
    rows_by_unit: dict[str, list[ActivityRow]] = defaultdict(list)
    for row in data.activities:
        rows_by_unit[row.unit].append(row)
    for name in data.units:
        rows = rows_by_unit.get(name)
        if not rows:
            continue
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{name}：").bold = True
        if len(rows) == 1:
            text = _phrase(rows[0], with_unit=False) + "。"
        else:
            kinds = "、".join(dict.fromkeys(type_label(row.activity.type) for row in rows))
            figures = say_totals([row.activity for row in rows])
            text = f"开展活动{len(rows)}场（{kinds}）" + (f"，{figures}" if figures else "") + "。"
            text += f"其中，{_phrase(_examples(rows, 1)[0], with_unit=False)}。"
        photos = data.photos_by_unit.get(name, 0)
        paragraph.add_run(text + (f"报送现场图片{photos}张。" if photos else ""))
    silent = [name for name in _reporting_units(data, settings) if not data.by_unit[name].activities]
    if silent:
        document.add_paragraph(
            f"以下{len(silent)}个单位暂未报送活动情况：{'、'.join(silent)}。【请核实后补充或删去。】"
        )


def _appendix(document: DocumentObject, data: ExportData, store: PhotoStore) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("附件：活动图片选编", level=1)
    chosen = [
        (photo, path)
        for photo in _photo_selection(data.photos, PHOTOS_PER_UNIT)
        if (path := web_copy(store, photo, "the summary draft")) is not None
    ]
    if not chosen:
        document.add_paragraph("宣传周期间暂未收到现场图片。")
        return
    document.add_paragraph(
        f"宣传周期间各单位共报送现场图片{len(data.photos)}张，以下每个单位选录至多{PHOTOS_PER_UNIT}张，"
        f"共{len(chosen)}张；全部图片见图片压缩包。"
    )
    table = document.add_table(rows=0, cols=2)
    for start in range(0, len(chosen), 2):
        for cell, (photo, path) in zip(table.add_row().cells, chosen[start : start + 2], strict=False):
            picture = cell.paragraphs[0]
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.first_line_indent = Pt(0)
            picture.add_run().add_picture(str(path), width=PHOTO_WIDTH)
            cell.add_paragraph(caption(photo), style="Caption")


def _reporting_units(data: ExportData, settings: Settings) -> list[str]:
    """The units in ``data`` that report (everyone but the chair, who collects), in order."""
    chair = {unit.name for unit in settings.units if unit.kind == UnitKind.CHAIR}
    return [name for name in data.units if name not in chair]


def _phrase(row: ActivityRow, *, with_unit: bool = True) -> str:
    """市商务局4月20日在新华路商圈开展集中宣传，发放资料约200份，咨询40人次"""
    activity = row.activity
    label = type_label(activity.type)
    text = (row.unit if with_unit else "") + (say_span_of(activity) or date_label(activity.date))
    text += f"在{activity.location}" if activity.location else ""
    text += f"{_verb(activity.type)}{label}"
    counts = say_counts(activity)
    return text + (f"，{counts}" if counts else "")


def _examples(rows: Sequence[ActivityRow], limit: int) -> list[ActivityRow]:
    """The most telling records (most figures stated, then largest), one per unit before seconds."""
    ranked = sorted(rows, key=_prominence, reverse=True)
    picked: list[ActivityRow] = []
    for row in ranked:
        if len(picked) < limit and row.unit not in {p.unit for p in picked}:
            picked.append(row)
    for row in ranked:
        if len(picked) < limit and row not in picked:
            picked.append(row)
    return picked


def _prominence(row: ActivityRow) -> tuple[int, int, int]:
    activity = row.activity
    stated = [value for m in MEASURES if (value := getattr(activity, m)) is not None]
    detail = len(stated) + bool(activity.location) + bool(row.photos)
    return detail, sum(stated), -(activity.id or 0)


def _photo_selection(photos: Sequence[PhotoRow], per_unit: int) -> list[PhotoRow]:
    """Up to ``per_unit`` photos of each unit, from different records where it has them."""
    by_unit: dict[str, list[PhotoRow]] = defaultdict(list)
    for photo in photos:
        by_unit[photo.unit].append(photo)
    chosen = []
    for unit_photos in by_unit.values():
        records: set[int | None] = set()
        first_of_each: list[PhotoRow] = []
        rest: list[PhotoRow] = []
        for photo in unit_photos:
            (rest if photo.activity_id in records else first_of_each).append(photo)
            records.add(photo.activity_id)
        chosen.extend((first_of_each + rest)[:per_unit])
    return chosen


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if 1 <= n <= len(NUMERALS) else str(n)


def _verb(key: str) -> str:
    """How a sentence says an activity of this type was held (举办培训讲座, 开展集中宣传)."""
    kind = as_type(key)
    return kind.terms.verb if kind is not None else "开展"
