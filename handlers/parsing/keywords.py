"""Activity types and the words that mark them.

The types follow the notice's five arrangements, plus what liaisons also report:

- ``ceremony``: a launch ceremony (启动仪式, 开幕式, 揭牌仪式), held or attended ("启动仪式后"
  only tells the time);
- ``publicity``: public-facing publicity (集中宣传, 宣传台/宣传点, 咨询台, 进校园/进社区/进企业,
  开放日, 普法, 以案释法, 公开庭审/旁听, 知识竞赛, 发放资料);
- ``visit``: going to enterprises (走访, 调研, 上门指导, 入企, 一对一指导, 帮扶, 到/深入…企业);
- ``exhibition``: trademark / geographical-indication showcases and other shows (成果展示,
  展览, 展销, 展会, 展出, …展);
- ``training``: teaching (培训, 讲座, 专题课, 报告会, 宣讲会, 授课, 课堂, …课);
- ``media``: publishing (推送, 刊发, 发布, 报道, 播放 articles, posts, videos) or a channel
  (公众号, 微博, 抖音, 网站, 电视台, 日报, LED屏, 微信群/QQ群);
- ``other``: an activity outside these (座谈会, 执法检查, 专项行动) or one whose kind is not said.

Precedence, in order:
1. Within a clause the trigger of highest priority wins, the earliest on a tie:
   ceremony 90 > published media 80 > exhibition 70 > training 60 > visit 50 >
   media 40 > publicity 30 > other 10. "Published media" is a publish verb (推送, 发布…) in a
   clause that also names a channel, a media noun (文章, 专栏, 视频…) or an article count
   (篇/条): "公众号推送成果展示图片2篇" is media, "通过抖音直播讲座" is training.
2. Longer words are matched first, so compounds decide: 展板展示 is publicity, 宣传展示活动
   is exhibition (展示活动), 开展/发展 are no 展, 宣传周/宣传资料 are not 宣传.
3. An activity takes the type of its first clause with a strong trigger; weak triggers
   (发放, 资料, 咨询, 讲解… for publicity; 指导 for visits; 学习, 观看 for training) only
   decide when no clause has a strong one, so
   "举办讲座，发放资料200份" stays training. No trigger at all: ``other``, type not stated.
Unit names and places are masked before matching (市委宣传部 is no 宣传, 展销中心 no 展销); a place
that is itself a channel ("在局公众号发了2篇") still marks media.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from handlers.parsing.normalize import MASK, alternatives, first_chars, opens_with, unguarded
from storage.vocabulary import ActivityType

CEREMONY, MEDIA_PUBLISHED, EXHIBITION, TRAINING, VISIT, MEDIA, PUBLICITY, OTHER = 90, 80, 70, 60, 50, 40, 30, 10

# (words, type, priority, strong). A word may carry regex guards: "(?<!…)word(?!…)".
_HAN_END = r"(?=[^\u4e00-\u9fff]|$|活动)"
# "去了龙城区的5家企业", "深入辖区企业": going to enterprises is a visit (走进企业 stays 进企业,
# publicity, as the notice has it).
# "深入3家拟开展贯标的企业": 拟开展 describes the enterprises, no activity of their own; 企业家 are
# people met, not enterprises gone to.
_TO_ENTERPRISE = r"(?:拟开展|(?!开展|举办|组织)[^，。；,;]){0,20}?(?:企业(?!家)|公司|合作社|厂|商户)"
_NOT_MATERIAL = "周|部|稿|资料|品|册|折页|手册|单页|页|片|视|材料|展板|海报|彩页|栏|员|科|处|股|费|标语"
PUBLISH_VERBS = (
    # 发布可转化专利技术成果36项 offers results, it publishes nothing
    *("推送", "刊发", "刊登", "刊载", "刊播", "转发", "转载", "发布(?![^，。；,;]{0,10}(?:成果|项目|需求|清单))"),
    *("发表", "播出", "播发", "播放"),
    *("展播", "登载", "投放", "报道(?!业务|能力|技能)", "推出", "编发", "撰写", "播了"),
)
_CHANNELS = (
    *("公众号", "微博", "抖音", "快手", "视频号", "头条", "网站", "官网", "门户", "电视台"),
    # 今日报送 is no 日报
    *("广播", "电台", "(?<![今昨当每])日报", "晚报", "报纸", "报社", "客户端", "融媒", "学习强国"),
    *("朋友圈", "微信群", "QQ群", "工作群", "LED", "大屏", "显示屏", "电子屏", "短信", "直播", "新闻", "专栏"),
    # "往园区企业群里发了…电子版": a chat group of enterprises is a channel (企业群体 is no group chat)
    "企业群(?!体)",
    "商户群(?!体)",
)
_TABLE: tuple[tuple[tuple[str, ...], str, int, bool], ...] = (
    (
        # 升旗仪式, 颁奖仪式…: a ceremony of the day, not a launch
        tuple(
            f"{word}(?!后|前|之后|结束|开始前|开始之前)"
            for word in ("启动仪式", "启动式", "开幕式", "启动会", "揭牌仪式", "(?<!升旗|颁奖|签约|开学|毕业)仪式")
        ),
        ActivityType.CEREMONY,
        CEREMONY,
        True,
    ),
    (
        (
            # 开展展会知识产权保护宣传: the show is where, not what
            *("成果展示", "展示活动", "展示", "展览", "展销", "展会(?!知识产权)", "博览会", "展出", "参展", "布展"),
            *("展区", "展位", "作品展", "主题展", "专题展", "图片展", "书画展", "文创展"),
            # 专利技术推介: showing what is on offer (an 对接会 alone stays other)
            *("推介", "路演"),
            *("陈列", "成果展", "展厅", rf"(?<![开发进拓施延伸])展{_HAN_END}"),
            # "发明展今天闭展了": closing a show names a show
            *("闭展", "撤展"),
        ),
        ActivityType.EXHIBITION,
        EXHIBITION,
        True,
    ),
    (
        (
            *("培训", "讲座", "专题课", "报告会", "宣讲会", "宣讲团", "专题宣讲", "集中宣讲", "授课"),
            *("讲堂", "课堂", "轮训", "研修", "训练营", "专题辅导", "辅导班", "辅导会", "学习会", "专题学习", "解读会"),
            *("堂课", "节课", "微课", "网课", "课程", "沙龙", "公开课", "微课堂", "听课", rf"课{_HAN_END}"),
            # 讲完课了, 讲了一课, 上了堂课; 陪训 is how phones spell 培训
            *("讲课", "讲完课", "讲了一课", "上课", "陪训", "讲授", "开讲", "听讲"),
            # "又去了学院讲了一场", "讲了两堂": a talk given
            r"讲了(?=[一二两三四五六七八九十\d]+[场堂次])",
            # organised study is teaching; a bare 学习 stays weak (学习贯彻…精神)
            *("干部学习", "职工学习", "集体学习", "组织学习", "集中学习"),
        ),
        ActivityType.TRAINING,
        TRAINING,
        True,
    ),
    (
        (
            # 走访农户 in 入户宣传 is publicity door to door, and so is 入户走访
            *(
                "(?<!入户)走访(?!农户|群众|居民|村民|住户)",
                "调研",
                "上门",
                "入企",
                "实地指导",
                "一对一",
                "帮扶",
                "问需",
                "送服务",
            ),
            *("服务企业", "深入企业", "走企", "进企服务", rf"(?:去|到|赴|前往|深入)(?!场|会)了?{_TO_ENTERPRISE}"),
            # "今天跑了4家": going round that many (enterprises)
            # "带队走了市属国企里的四户": going round them too
            r"(?:跑了|转了)(?=\s*[\d一二三四五六七八九十两几]+\s*家)",
            r"走了(?=[^，。；,;\s]{0,10}?[\d一二三四五六七八九十两几]+\s*[家户])",
            # "顺便看了一家苗木企业"
            rf"(?<!观)看了{_TO_ENTERPRISE}",
            # "为园区内11家企业提供知识产权服务": serving enterprises
            r"为(?=[^，。；,;]{0,12}(?:企业|公司|商户)[^，。；,;]{0,4}提供[^，。；,;]{0,12}服务)",
        ),
        ActivityType.VISIT,
        VISIT,
        True,
    ),
    # "指导老师": who coached the pupils, not a visit
    ((r"指导(?!老师|教师|员)", "帮助企业"), ActivityType.VISIT, VISIT, False),
    # "专利申报辅导" is teaching; "上门辅导" stays a visit (its strong 上门 decides)
    # "给重点项目单位讲了知识产权政策", "去林场讲了讲植物新品种保护", "给农户讲商标注册": telling a
    # group, weakly a lesson; so is "开展政策解读" to an audience (a 解读 published, "解读文章2篇", is
    # media by its publish verb)
    (
        ("学习", "观看", "观影", "辅导", r"给(?=[^，。；,;]{1,12}讲(?!究|话|述))", "讲了讲", "解读"),
        ActivityType.TRAINING,
        TRAINING,
        False,
    ),
    (PUBLISH_VERBS, ActivityType.MEDIA, MEDIA, True),
    (_CHANNELS, ActivityType.MEDIA, MEDIA, True),
    (
        (
            *("集中宣传", "宣传活动", "宣传点", "宣传台", "宣传站", "宣传摊", "咨询台", "咨询点"),
            *("咨询站", "摆台", "设摊", "摆摊", "摊子", "摊位", "开放日", "普法", "以案释法", "庭审", "开庭", "旁听"),
            # an open trial with an audience, as 庭审/旁听
            "公开审理",
            *("进校园", "进社区", "进企业", "进乡村", "进农村", "进市场", "进商场", "进商圈", "进机关"),
            *("进园区", "进万家", "进网格", "进景区", "知识竞赛", "有奖问答", "有奖竞答", "竞答"),
            # 宣将: how phones type 宣讲; 科普: popular-science outreach to the public
            *("答题", "签名", "倡议", "宣传月", "宣传日", "主题日", "义务咨询", "现场咨询", "宣讲", "宣将", "科普"),
            *("主题班会", "班会", "读书分享", "展板展示", f"宣传(?!{_NOT_MATERIAL})"),
            # "在大厅设立宣传展板8块": boards set up, counted, for the public are a display; a bare 展板
            # stays weak, and boards people come to view (设置主题展板，展期至…，参观) are an exhibition
            r"(?:设立|设置|摆放|布置|摆设|摆出|放置|竖立|树立)[^，。；,;]{0,10}?展板\s*[\d一二两三四五六七八九十]+\s*[块面个组]",
            # 晚上在社区广场放了场宣传片: a showing for the public
            *("放映", "放了场", "放电影"),
        ),
        ActivityType.PUBLICITY,
        PUBLICITY,
        True,
    ),
    (
        (
            *("发放", "派发", "分发", "赠送", "资料", "折页", "手册", "宣传册", "宣传品", "传单", "咨询", "答疑"),
            *("发方", "资讯", "咨训", "资询"),
            # "又发了500份": handed out, the thing left unsaid
            r"发了(?=\s*[\d一二三四五六七八九十两几百千]+\s*(?:多|余|来)?\s*(?:份|张|本|册|套|把))",
            *("解答", "讲解", "展板", "横幅", "海报", "宣传栏", "张贴", "悬挂", "明白纸", "主题", "教育"),
        ),
        ActivityType.PUBLICITY,
        PUBLICITY,
        False,
    ),
    (
        (
            *("座谈会", "座谈", "研讨会", "交流会", "推进会", "部署会", "工作会", "会议", "执法检查", "对接会"),
            *("专项检查", "专项行动", "检查", "打击", "查处", "查扣", "查获", "联合执法", "巡查"),
            *("检察建议", "公益诉讼", "诉调对接"),
        ),
        ActivityType.OTHER,
        OTHER,
        True,
    ),
)


_MEDIA_NOUNS = (
    *("文章", "推文", "信息", "稿件", "专栏", "栏目", "短视频"),
    *("视频", "动画", "宣传片", "H5", "案例", "新闻", "简报"),
)
_NUMERAL_CHARS = "一二三四五六七八九十两"
# The characters evidence can open with (a word without its guards, a numeral): the guards keep re
# from skipping to them itself, and this is searched over the whole message.
# A numeral run is only tried from its first character: tried from every character, a long run
# of digits would be rescanned to its end from each (quadratic); the answer is the same.
_MEDIA_EVIDENCE = re.compile(
    opens_with(first_chars((*_CHANNELS, *_MEDIA_NOUNS)) + r"\d" + _NUMERAL_CHARS)
    + "(?:"
    + "|".join((*_CHANNELS, *_MEDIA_NOUNS))
    + rf"|(?<!\d)\d+\s*(?:篇|条|期|则)|(?<![{_NUMERAL_CHARS}])[{_NUMERAL_CHARS}]+(?:篇|条|期|则))"
)

_PUBLISH_VERB_SET = frozenset(PUBLISH_VERBS)
_MASKED_RUN = re.compile(f"{MASK}+")
_THEME = re.compile(r"以[“\"][^”\"]{1,40}[”\"]为主题")
# "结合种苗市场专项检查，在…同步宣传": the work it went along with is the setting, not the activity.
_ALONG_WITH = re.compile(r"结合[^，,。；;\n]{1,24}?(?=[，,。；;\n]|开展|进行|举办|组织|深入|走进|在|对|向|为|$)")
_ENDS_IN_CHANNEL = re.compile(f"(?:{'|'.join(_CHANNELS)})$")
# The last character of every channel word, and the line break $ also matches before: a masked
# place ending in neither cannot end in a channel, and is not searched (most places do not).
_CHANNEL_LAST_CHARS = frozenset(unguarded(word)[-1] for word in _CHANNELS) | {"\n"}


class Trigger(NamedTuple):
    """A type-marking word found at [start, end). (A named tuple: a report makes dozens, and a
    frozen dataclass takes four times as long to make.)"""

    type: str
    priority: int
    strong: bool
    start: int
    end: int


def _word_length(word: str) -> int:
    return len(re.sub(r"\(\?[^)]*\)|\\.|[\[\]]", "", word))


_ENTRIES = sorted(
    ((word, kind, priority, strong) for words, kind, priority, strong in _TABLE for word in words),
    key=lambda entry: -_word_length(entry[0]),
)


def _group_end(pattern: str) -> int:
    """Index of the parenthesis closing the group that opens ``pattern``."""
    depth = 0
    for index, char in enumerate(pattern):
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return index
    raise ValueError(f"unbalanced group in {pattern!r}")


def _first_chars(word: str) -> set[str]:
    """The characters a match of ``word`` can start with.

    Words are plain text, optionally behind a lookbehind guard "(?<!…)", or start with one
    plain alternation "(?:去|到|…)". Anything else fails at import, so a new table entry
    cannot silently fall out of matching.
    """
    rest = word[_group_end(word) + 1 :] if word.startswith("(?<") else word
    if rest.startswith("(?:"):
        alternatives = rest[3 : _group_end(rest)]
        if not re.search(r"[()\[\]\\.?*+{]", alternatives):
            return {alternative[0] for alternative in alternatives.split("|")}
    elif rest and rest[0] not in "()[]\\.?*+{|^$":
        return {rest[0]}
    raise ValueError(f"cannot tell how {word!r} starts")


def _bucketed(entries: list[tuple[str, str, int, bool]]) -> dict[str, re.Pattern[str]]:
    """First character -> the alternation of the entries that can start with it.

    One alternation of all ~200 words tries every word at every position (re has no trie);
    trying only the words that can start at a position is ~80x faster and, keeping the global
    longest-first order inside each bucket, finds exactly the same matches.
    """
    buckets: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        for char in _first_chars(entry[0]):
            buckets.setdefault(char, []).append(index)
    return {
        char: re.compile("|".join(f"(?P<k{i}>{entries[i][0]})" for i in indices)) for char, indices in buckets.items()
    }


def _second_chars(word: str) -> dict[str, set[str] | None]:
    """Each character a match of ``word`` can start with -> the characters that can follow it;
    None where that is not one plain character (a guard, a class, an optional part comes next)."""
    rest = word[_group_end(word) + 1 :] if word.startswith("(?<") else word
    if len(alternatives(rest)) > 1:
        return dict.fromkeys(_first_chars(word))
    if not rest.startswith("(?:"):
        plain = len(rest) > 1 and rest[1] not in _SPECIAL and rest[2:3] not in _QUANTIFIERS
        return {rest[0]: {rest[1]} if plain else None}
    after = rest[_group_end(rest) + 1 :]
    if after[:1] in _QUANTIFIERS:  # the whole group optional
        return dict.fromkeys(_first_chars(word))
    follows = after[0] if after and after[0] not in _SPECIAL and after[1:2] not in _QUANTIFIERS else None
    seconds: dict[str, set[str] | None] = {}
    for alternative in rest[3 : _group_end(rest)].split("|"):
        second = alternative[1] if len(alternative) > 1 else follows
        known = seconds.get(alternative[0], set())
        seconds[alternative[0]] = None if second is None or known is None else {*known, second}
    return seconds


_SPECIAL = set("()[]\\.?*+{|^$")
_QUANTIFIERS = ("?", "*", "+", "{")  # (a tuple: "" is in every string, in no tuple of characters)


def _candidates(entries: list[tuple[str, str, int, bool]]) -> re.Pattern[str]:
    """Where a word can start: a first character, followed by a second one some word has after it
    (one class for all the words: tighter checks cost more than they spare). In typical reports 3 in
    4 positions whose first character fits open no word; half of those are skipped in the search."""
    seconds: dict[str, set[str] | None] = {}
    for entry in entries:
        for char, following in _second_chars(entry[0]).items():
            known = seconds.get(char, set())
            seconds[char] = None if following is None or known is None else known | following
    known_chars = "".join(re.escape(c) for c in sorted(c for c, following in seconds.items() if following))
    any_after = "".join(re.escape(c) for c in sorted(c for c, following in seconds.items() if following is None))
    after = "".join(re.escape(c) for c in sorted(set().union(*(f for f in seconds.values() if f))))
    return re.compile(
        f"[{known_chars}{any_after}](?:(?<=[{any_after}])|(?=[{after}]))"
        if any_after
        else f"[{known_chars}](?=[{after}])"
    )


_BY_FIRST_CHAR = _bucketed(_ENTRIES)
# The entry behind each named group (k0, k1, …): looked up per word found, not parsed from its name.
_ENTRY_OF_GROUP = {f"k{index}": entry for index, entry in enumerate(_ENTRIES)}
_CANDIDATE = _candidates(_ENTRIES)


def _matches(text: str) -> list[re.Match[str]]:
    """Leftmost, non-overlapping matches of the table's words, as one alternation would give."""
    found = []
    position = 0
    while (start := _CANDIDATE.search(text, position)) is not None:
        position = start.start()
        match = _BY_FIRST_CHAR[text[position]].match(text, position)
        if match is not None and match.end() > position:
            found.append(match)
            position = match.end()
        else:
            position += 1
    return found


def find_triggers(masked: str, evidence: str) -> list[Trigger]:
    """Type triggers in ``masked`` (one clause, unit names and places masked).

    ``evidence`` is the same clause with only unit names masked: a channel written as a place
    ("在单位网站发布…") still shows the publish verb is media.
    """
    published: bool | None = None  # looked for at the first publish verb: most clauses have none
    found = []
    for match in _matches(masked):
        word, kind, priority, strong = _ENTRY_OF_GROUP[match.lastgroup or "k0"]
        if word in _PUBLISH_VERB_SET:
            if published is None:
                published = _MEDIA_EVIDENCE.search(evidence) is not None
            if published:
                priority = MEDIA_PUBLISHED
        found.append(Trigger(kind, priority, strong, match.start(), match.end()))
    # "以“检察护航知识产权 公益诉讼守护民生”为主题": a theme's words name no activity.
    themes = [match.span() for match in _THEME.finditer(masked)] if found and "为主题" in masked else []
    if themes:
        found = [t for t in found if not any(start <= t.start < end for start, end in themes)]
    settings = [match.span() for match in _ALONG_WITH.finditer(masked)] if found and "结合" in masked else []
    if settings:
        found = [t._replace(strong=False) if any(s <= t.start < e for s, e in settings) else t for t in found]
    # "电视台播出宣传周启动仪式…综合报道": a ceremony broadcast is media, not a ceremony.
    if published and any(t.priority == MEDIA_PUBLISHED for t in found):
        first_published = min(t.start for t in found if t.priority == MEDIA_PUBLISHED)
        found = [t for t in found if not (t.type == ActivityType.CEREMONY and t.start > first_published)]
    # "在局公众号发了2篇": a place that is itself a channel says the work is media.
    channels = (
        [
            Trigger(ActivityType.MEDIA, MEDIA, True, run.start(), run.end())
            for run in _MASKED_RUN.finditer(masked)
            if evidence[run.end() - 1] in _CHANNEL_LAST_CHARS
            and _ENDS_IN_CHANNEL.search(evidence, run.start(), run.end())
        ]
        if MASK in masked
        else []
    )
    # The words are found in order: only channels need sorting in.
    return sorted(found + channels, key=lambda trigger: trigger.start) if channels else found


def best(triggers: list[Trigger]) -> Trigger | None:
    """The deciding trigger: highest priority, earliest on a tie."""
    return max(triggers, key=lambda t: (t.priority, -t.start), default=None)
