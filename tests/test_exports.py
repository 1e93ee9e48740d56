"""Exports end to end: liaisons report and send photos through the real webhook, the media worker
stores the photos, and the ledger, the summary draft and the photo ZIP are opened with openpyxl,
python-docx and zipfile to find the seeded week's exact figures."""

from __future__ import annotations

import asyncio
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image
from sqlmodel import Session

from bot.demo import demo_photo
from bot.exports import FORMATS, build_export
from bot.exports import chart as chart_module
from bot.exports.summary_doc import chart_days
from scheduler.clock import TZ
from storage.campaign_status import mark_summary, register_attendees, units_by_name
from storage.export_queries import CeremonyTurnout, ExportData, ExportFilter
from storage.photos import Photo, PhotoStatus
from tests.harness import Harness, make_settings

SHANGWU, HAIGUAN, JIANPING = "市商务局", "朝阳海关", "建平县知识产权局"
MEASURES = ("materials", "consultations", "participants", "enterprises", "articles")
# unit -> (activities, (materials, consultations, participants, enterprises, articles), usable photos)
EXPECTED_UNITS = {
    SHANGWU: (2, (200, 40, 80, 0, 0), 3),
    HAIGUAN: (1, (0, 0, 25, 0, 0), 1),
    JIANPING: (3, (500, 60, 0, 3, 2), 3),
}
EXPECTED_TOTAL = (6, (700, 100, 105, 3, 2), 7)
EXPECTED_MEMBERS = {
    f"{SHANGWU}/2026-04-20_集中宣传_01.jpg",
    f"{SHANGWU}/2026-04-20_集中宣传_02.jpg",
    f"{SHANGWU}/2026-04-22_培训讲座_01.jpg",
    f"{HAIGUAN}/2026-04-21_成果展示_01.jpg",
    f"{JIANPING}/2026-04-20_集中宣传_01.jpg",
    f"{JIANPING}/2026-04-20_集中宣传_02.jpg",
    f"{JIANPING}/2026-04-24_未关联_01.jpg",
}
EXPECTED_CAPTIONS = [
    f"{SHANGWU} · 4月20日（周一） · 新华路商圈",
    f"{SHANGWU} · 4月22日（周三） · 商务局会议室",
    f"{SHANGWU} · 4月20日（周一） · 新华路商圈",
    f"{HAIGUAN} · 4月21日（周二） · 朝阳海关监管场所",
    f"{JIANPING} · 4月20日（周一） · 建平县城广场",
    f"{JIANPING} · 4月24日（周五） · 地点未填",
    f"{JIANPING} · 4月20日（周一） · 建平县城广场",
]
MEMBER_PATTERN = re.compile(r"[^/]+/\d{4}-\d{2}-\d{2}_[^_/]+_\d{2}\.jpg")


async def report(bot: Harness, user: str, text: str, photos: tuple[int, ...] = ()) -> None:
    reply = await bot.say(user, text)
    assert reply and reply.startswith("已记录"), reply
    for seed in photos:
        bot.clock.advance(timedelta(minutes=1))
        await bot.send_photo(user, demo_photo(seed, bot.clock.now() - timedelta(minutes=5), (480, 360)))


def at(day: int) -> datetime:
    return datetime(2026, 4, day, 10, 5, tzinfo=TZ)


async def seed_week(bot: Harness) -> None:
    """Three units' week: six kept records, one withdrawn with its photo, a photo sent twice and
    one never attached; one RSVP and one summary handed in."""
    for user, unit in (("wang", SHANGWU), ("li", HAIGUAN), ("zhao", JIANPING)):
        await bot.bound(user, unit)
    await report(bot, "wang", "今天在新华路商圈开展集中宣传，发放资料约200份，咨询40人次", photos=(1, 2))
    bot.clock.advance(timedelta(minutes=40))
    await report(bot, "zhao", "今天在建平县城广场开展集中宣传，发放资料500份，咨询60人次", photos=(6, 7, 6))
    bot.clock.set(at(21))
    await report(bot, "li", "今天在朝阳海关监管场所举办侵权货物展示活动，参观群众25人", photos=(4,))
    bot.clock.advance(timedelta(minutes=40))
    await report(bot, "li", "今天在海关大厅开展集中宣传，发放资料60份", photos=(5,))
    assert (await bot.say("li", "撤回") or "").startswith("已撤回")
    bot.clock.set(at(22))
    await report(bot, "wang", "今天在商务局会议室举办商标品牌培训，参与80人", photos=(3,))
    bot.clock.set(at(24))
    await report(bot, "zhao", "今天在建平县电视台发布宣传稿件2篇")
    bot.clock.advance(timedelta(minutes=40))
    await report(bot, "zhao", "今天走访企业3家")
    bot.clock.advance(timedelta(hours=3))
    await bot.send_photo("zhao", demo_photo(9, bot.clock.now(), (480, 360)))  # outside the window: unattached
    await bot.background.media.run_until_idle()

    def statuses(session: Session) -> None:
        units = units_by_name(session, [SHANGWU, JIANPING])
        register_attendees(session, units[SHANGWU].id, [("王磊", "13900001111")], "wecom:wang", bot.clock.now())
        mark_summary(session, units[JIANPING].id, "wecom:zhao", "liaison", bot.clock.now())

    bot.runtime.db.call(statuses)


@dataclass(frozen=True)
class Built:
    folder: Path
    ledger: Path
    draft: Path
    photos: Path
    ready_photos: int
    duplicates: int
    shangwu_ledger: Path
    publicity_photos: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, module_backend: str | None) -> Built:
    folder = tmp_path_factory.mktemp("exports")
    database = {"WEEKBOT_DATABASE_URL": module_backend} if module_backend else {}

    async def seed_and_build() -> Built:
        async with Harness(make_settings(folder, **database)) as bot:
            await seed_week(bot)
            photos = bot.rows(Photo)
            out = folder / "out"
            paths = [
                await build_export(bot.runtime.export_source(), fmt, out / name) for fmt, (_, name) in FORMATS.items()
            ]
            shangwu = await build_export(
                bot.runtime.export_source(),
                "xlsx",
                out / "shangwu.xlsx",
                filters=ExportFilter(units=frozenset({SHANGWU})),
            )
            publicity = await build_export(
                bot.runtime.export_source(),
                "zip",
                out / "publicity.zip",
                filters=ExportFilter(types=frozenset({"publicity"})),
            )
        return Built(
            folder=out,
            ledger=paths[0],
            draft=paths[1],
            photos=paths[2],
            ready_photos=sum(p.status == PhotoStatus.READY for p in photos),
            duplicates=sum(p.status == PhotoStatus.DUPLICATE for p in photos),
            shangwu_ledger=shangwu,
            publicity_photos=publicity,
        )

    return asyncio.run(seed_and_build())


def test_ledger_rows_are_the_kept_records_with_number_cells(built: Built) -> None:
    sheet = openpyxl.load_workbook(built.ledger)["活动台账"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O7"
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["记录号", "单位", "日期", "类型", "地点"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == EXPECTED_TOTAL[0]  # the withdrawn record is not there
    sums: dict[str, list[int]] = {unit: [0, 0, 0, 0, 0, 0] for unit in EXPECTED_UNITS}
    for row in rows:
        assert row[2].is_date
        counts = row[5:10]
        for cell in [*counts, row[10]]:
            assert cell.value is None or (cell.data_type == "n" and isinstance(cell.value, int))
        unit_sums = sums[row[1].value]
        unit_sums[0] += 1
        for index, cell in enumerate(counts, 1):
            unit_sums[index] += cell.value or 0
    assert {unit: (s[0], tuple(s[1:])) for unit, s in sums.items()} == {
        unit: expected[:2] for unit, expected in EXPECTED_UNITS.items()
    }
    by_place = {row[4].value: row for row in rows}
    assert by_place["新华路商圈"][11].value == "发放资料"  # stated as 约200份
    assert by_place["新华路商圈"][10].value == 2  # its two photos
    assert by_place["新华路商圈"][12].value == "wang"
    assert sum(row[10].value for row in rows) == EXPECTED_TOTAL[2] - 1  # the unattached one has no row


def test_ledger_unit_sheet_sums_every_measure(built: Built) -> None:
    workbook = openpyxl.load_workbook(built.ledger)
    sheet = workbook["单位汇总"]
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:I27")
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 26 + 1
    for name, activities, *figures, photos, summary in rows[:-1]:
        expected = EXPECTED_UNITS.get(name, (0, (0, 0, 0, 0, 0), 0))
        assert (activities, tuple(figures), photos) == expected, name
        assert summary == ("已交" if name == JIANPING else None)
    activities, figures, photos = EXPECTED_TOTAL
    assert rows[-1] == ["合计", activities, *figures, photos, 1]
    kinds = {row[0].value: [c.value for c in row[1:]] for row in workbook["分类汇总"].iter_rows(min_row=2)}
    assert kinds["集中宣传"] == [2, 2, 700, 100, 0, 0, 0]
    assert kinds["合计"] == [6, 3, 700, 100, 105, 3, 2]


def test_filtered_ledger_keeps_one_unit(built: Built) -> None:
    workbook = openpyxl.load_workbook(built.shangwu_ledger)
    assert {row[1] for row in workbook["活动台账"].iter_rows(min_row=2, values_only=True)} == {SHANGWU}
    units = [row[0] for row in workbook["单位汇总"].iter_rows(min_row=2, values_only=True)]
    assert units == [SHANGWU, "合计"]


def _paragraphs(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_draft_overview_figures_are_the_data(built: Built) -> None:
    texts = _paragraphs(docx.Document(str(built.draft)))
    overview = texts[texts.index("一、总体情况") + 1]
    assert "3个单位累计开展活动6场" in overview
    assert "其中集中宣传2场、走访企业1场、成果展示1场、培训讲座1场、媒体宣传1场" in overview
    assert "发放资料700份，咨询100人次，参与105人，企业3家，稿件2篇（发放资料含约数）" in overview
    assert "现场图片7张" in overview
    assert "4月20日至26日" in overview


def test_draft_sections_follow_the_notice(built: Built) -> None:
    document = docx.Document(str(built.draft))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == [
        "（一）启动仪式",
        "（二）集中宣传",
        "（三）走访企业",
        "（四）成果展示",
        "（五）培训讲座",
        "（六）媒体宣传",
    ]
    texts = _paragraphs(document)
    ceremony = texts[texts.index("（一）启动仪式") + 1]
    assert "1个单位报名1人参加" in ceremony
    publicity = texts[texts.index("（二）集中宣传") + 1]
    assert publicity.startswith("2个单位开展集中宣传2场，发放资料700份，咨询100人次。")
    assert "建平县知识产权局4月20日在建平县城广场开展集中宣传，发放资料500份，咨询60人次" in publicity
    highlights = texts[texts.index("三、各单位工作亮点") + 1 : texts.index("四、下一步工作")]
    assert [text.split("：")[0] for text in highlights[:3]] == [SHANGWU, HAIGUAN, JIANPING]
    assert highlights[2].startswith(f"{JIANPING}：开展活动3场（集中宣传、媒体宣传、走访企业）")
    assert highlights[3].startswith("以下22个单位暂未报送活动情况")
    assert "25个单位中已有1个报送书面总结" in texts[1]


def test_draft_has_the_chart_and_captioned_photos(built: Built) -> None:
    document = docx.Document(str(built.draft))
    pngs = [
        rel.target_part.blob
        for rel in document.part.rels.values()
        if "image" in rel.reltype and rel.target_part.content_type == "image/png"
    ]
    assert len(pngs) == 1
    with Image.open(BytesIO(pngs[0])) as chart_image:
        assert chart_image.width > 800
    cells = [cell for row in document.tables[0].rows for cell in row.cells]
    captions = [p.text for cell in cells for p in cell.paragraphs if p.style.name == "Caption"]
    assert captions == EXPECTED_CAPTIONS
    assert len(document.inline_shapes) == 1 + len(EXPECTED_CAPTIONS)


def test_zip_holds_each_usable_photo_once(built: Built) -> None:
    with zipfile.ZipFile(built.photos) as archive:
        names = archive.namelist()
        assert all(MEMBER_PATTERN.fullmatch(name) for name in names), names
        assert set(names) == EXPECTED_MEMBERS
        for name in names:
            with Image.open(BytesIO(archive.read(name))) as image:
                assert image.format == "JPEG"
                assert not image.getexif()  # web copies: no capture place or phone details
    # Ready photos: the seven plus the one on the withdrawn record; the resent one is a duplicate.
    assert (built.ready_photos, built.duplicates) == (len(EXPECTED_MEMBERS) + 1, 1)
    assert not list(built.folder.glob("*.part"))


def test_zip_filtered_by_type(built: Built) -> None:
    with zipfile.ZipFile(built.publicity_photos) as archive:
        assert set(archive.namelist()) == {name for name in EXPECTED_MEMBERS if "_集中宣传_" in name}


@pytest.mark.usefixtures("backend")
async def test_empty_campaign_still_exports(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        out = tmp_path / "out"
        ledger, draft, photos = [
            await build_export(bot.runtime.export_source(), fmt, out / name) for fmt, (_, name) in FORMATS.items()
        ]
    assert openpyxl.load_workbook(ledger)["活动台账"].max_row == 1
    texts = _paragraphs(docx.Document(str(draft)))
    assert "尚未收到各单位的活动报送" in texts[texts.index("一、总体情况") + 1]
    assert "暂未收到现场图片" in texts[-1]
    with zipfile.ZipFile(photos) as archive:
        assert archive.namelist() == []


@pytest.mark.usefixtures("backend")
async def test_missing_photo_file_is_left_out(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        await bot.bound("wang", SHANGWU)
        await report(bot, "wang", "今天在新华路商圈开展集中宣传，发放资料200份", photos=(1, 2))
        await bot.background.media.run_until_idle()
        gone = bot.rows(Photo)[0]
        (bot.settings.data_dir / "photos" / gone.web_path).unlink()
        photos = await build_export(bot.runtime.export_source(), "zip", tmp_path / "p.zip")
        draft = await build_export(bot.runtime.export_source(), "docx", tmp_path / "d.docx")
    with zipfile.ZipFile(photos) as archive:
        assert archive.namelist() == [f"{SHANGWU}/2026-04-20_集中宣传_01.jpg"]
    assert len(docx.Document(str(draft)).inline_shapes) == 2  # the chart and the photo still there


@pytest.mark.usefixtures("backend")
async def test_unknown_format_is_refused_before_reading(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        with pytest.raises(ValueError, match="unknown export format 'pdf'"):
            await build_export(bot.runtime.export_source(), "pdf", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_missing_cjk_font_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart_module, "CJK_FAMILIES", ("No Such Font",))
    chart_module.cjk_font_path.cache_clear()
    try:
        with pytest.raises(chart_module.MissingFontError, match="fonts-wqy-zenhei"):
            chart_module.cjk_font_path()
    finally:
        chart_module.cjk_font_path.cache_clear()


def test_chart_days_run_from_the_ceremony_to_the_week_end(tmp_path: Path) -> None:
    empty = ExportData((), (), (), CeremonyTurnout((), 0, ()), ())
    days = chart_days(empty, make_settings(tmp_path))
    assert (days[0], days[-1], len(days)) == (date(2026, 4, 17), date(2026, 4, 26), 10)
