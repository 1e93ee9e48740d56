"""What a number can count, by its unit, and the words that decide which.

The count fields (with the staff, things not handed out, not published, not visited, which count
nothing) and each field's deciding words; for each unit the fields it can count, the words it
listens to and its field when no word decides; one compiled alternation per set of fields. The
attribution in counts reads them.
"""

from __future__ import annotations

import re

from handlers.parsing.normalize import alternatives, first_chars, opens_with
from handlers.parsing.numerals import PEOPLE_NOUNS
from storage.vocabulary import CountKind

CONSULT, PARTICIPATE, STAFF, HANDOUT, NOT_HANDOUT, ARTICLE, NOT_ARTICLE, VISIT, NOT_VISIT = (
    CountKind.CONSULTATIONS,
    CountKind.PARTICIPANTS,
    "staff",
    CountKind.MATERIALS,
    "not_materials",
    CountKind.ARTICLES,
    "not_articles",
    CountKind.ENTERPRISES,
    "not_enterprises",
)
_WORDS: dict[str, str] = {
    # 咨询台5个 counts desks, not people asking
    # 资讯/咨训/资询: what phones make of 咨询
    CONSULT: "咨询(?![台点站桌处])|资讯|咨训|资询|答疑|解答|解疑|释疑|问询|解惑|提问|询问|问的|来问",
    PARTICIPATE: "参与|参加|参观|参会|参训|受训|参赛|受众|覆盖|来了|到场|旁听|观看|听课|吸引|受益|听取|观展"
    "|培训|接待|出席|聆听|收看|到会|辐射|惠及|来访",
    # "授课学生200人": an audience right after 授课 is who was taught, not who taught.
    # "调研组一行4人": who went, not who was reached
    # "我办2名同志参加了启动仪式": the unit's own people
    STAFF: "工作人员|执法人员|专家|(?<!听)讲师|律师|志愿者|法官|检察官|民警|出动|派出|抽调|选派|一行|嫌疑人|抓获|去了"
    "|我局|我办|我院|我委|我单位"
    "|授课(?!学生|师生|学员|群众|听众|村民|居民|职工|干部)",
    HANDOUT: "发放|发方|派发|分发|赠送|赠阅|送出|发出|散发|印制|印发|发了|提供|资料|手册|折页|宣传品|宣传册"
    "|汇编|读本|单页|明白纸|彩页|宣传页|画册|宣传袋|环保袋|纪念品|问卷|传单",
    # 代写法律文书三份: documents written for people, not handed out
    # 点赞126个: reactions to a post, not pieces or handouts
    # (posters put up, 张贴海报200张, are materials like those handed out: the corpus counts them)
    NOT_HANDOUT: "展出|展示|悬挂|摆放|布置|陈列|收集|收到|受理|签订|填写|回收|征集|查扣|查获|扣留|代写|起草"
    "|制发|建议|点赞|收藏|评论|播放量|阅读量|浏览量"
    "|办理|审理|展板|横幅|标语|条幅|案件|样品|制作|设置|播放|证书|展品",
    ARTICLE: "推送|发布|刊发|刊登|报道|转载|播出|播发|发表|推文|文章|信息|稿件|视频|专栏|案例|编发"
    "|撰写|简报|动态|新闻|微博|帖",
    # 阅读1.5万次, 浏览量: how often pieces were read, not pieces
    # "补充一条：…专题信息1篇": one more message, not a piece published
    NOT_ARTICLE: "横幅|标语|条幅|建议|意见|线索|问题|热线|措施|举措|条款|阅读|浏览|点击|点赞|播放量|转发量|评论"
    "|留言|弹幕|补充|补报|再报",
    VISIT: "走访|走进|深入|上门|入企|实地|(?<![收达得受看做识意提遇感找想])到(?!场|会)|赴|指导|辅导|帮扶|服务|调研|跑了"
    "|走了|挨家|对接|检查|巡查|摸排|联系|覆盖",
    NOT_VISIT: "组织|邀请|召集|参训|参展|参会|参加|参与|培训|吸引",
}
# Units that count pieces published only in a media activity: "节目1期", "报道2次" are articles,
# "培训班一期", "宣传3次" are not (次 only with a publishing word: "阅读量8000次" is none).
MEDIA_ONLY_UNITS = ("期", "部", "集", "次")
# What each unit can count, the deciding words it listens to, and its field when none decides.
UNIT_RULES: dict[str, tuple[tuple[str, ...], str | None]] = {
    **dict.fromkeys(
        ("人次", "家次", "户次", "人", "名", "位", *PEOPLE_NOUNS), ((CONSULT, PARTICIPATE, STAFF), PARTICIPATE)
    ),
    **dict.fromkeys(("份", "册", "本", "张", "套", "把"), ((HANDOUT, NOT_HANDOUT), HANDOUT)),
    **dict.fromkeys(("件", "个", "袋", "盒"), ((HANDOUT, NOT_HANDOUT, ARTICLE, CONSULT, VISIT), None)),
    **dict.fromkeys(("篇", "条", "则"), ((ARTICLE, NOT_ARTICLE, CONSULT), ARTICLE)),
    **dict.fromkeys(MEDIA_ONLY_UNITS, ((ARTICLE, NOT_ARTICLE, CONSULT), None)),
    # 二六集 is a market day; 集 only ever counts episodes
    "集": ((ARTICLE, NOT_ARTICLE), None),
    **dict.fromkeys(("家", "户"), ((VISIT, NOT_VISIT), None)),
    # "接受企业咨询15家次": enterprises served so many times, counted as what was done for them
    **dict.fromkeys(("家次", "户次"), ((CONSULT, VISIT, NOT_VISIT), None)),
}


def _deciding_words(fields: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of the fields' words, each field a named group. Led by the words' first
    characters: scanned at every position of a clause, it checks one class there, not ~100 words."""
    words = [word for field in fields for word in alternatives(_WORDS[field])]
    named = "|".join(f"(?P<{field}>{_WORDS[field]})" for field in fields)
    return re.compile(f"{opens_with(first_chars(words))}(?:{named})")


PATTERNS = {tuple(cats): _deciding_words(tuple(cats)) for cats, _ in UNIT_RULES.values()}
