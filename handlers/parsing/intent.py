"""What a message is: an activity report, a ceremony attendance reply, the summary, or other.

- ``summary``: the week's summary has been sent ("总结已发送至邮箱，请查收", "总结报送了");
- ``rsvp``: who will attend the launch ceremony: a name or phone with attendance words
  ("参会 王磊 139…", "参加启动仪式的是…张伟，电话…"), sending words ("我局已报名参加启动仪式",
  "拟派2人参加"), going to a ceremony not yet past ("局长参加启动仪式", "17号仪式去两个人" written
  before the 17th, or before the configured ceremony day when one is given), or a list heading
  without counts ("参会人员：…"); never a ceremony attended ("参加了启动仪式", "启动仪式…举行，
  参会人员120人", "局长出席启动仪式并讲话" are reports);
- ``summary`` needs a sending word: 发放/发布/宣传 are no sending ("宣传周总结数据：发放资料2000份"
  reports);
- ``summary`` may be sent as an attachment ("附件是我单位宣传周工作总结，请审阅");
- ``other``: chit-chat ("收到", "好的，谢谢"), forwarded notices ("【转发】…的通知"), activities called
  off ("计划的宣传取消了，不改期"), questions ("怎么报送？", "请问启动仪式在哪", and
  numbers asked about: "要发放多少份资料才合格？200份够吗"),
  promises with nothing done yet ("我局将积极开展宣传"), corrections of a message already sent
  ("刚才人数写错了，应该是50人", "撤回上一条", the command "改 人数 500"; the correction dialog
  handles them), bare answers of a few characters with no day or place ("讲座", "大概两百份吧": the
  dialog asked for them) and remarks on
  photos sent ("照片刚才发了三张，就是今天宣传的");
- ``report``: anything with an activity word or a count, or an event held (举办/开展…) on a day
  or at a place. A write-up titled 总结 that itemises
  dated activities with counts ("宣传周活动总结（阶段）一、4月20日…") is a report, not the summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from handlers.parsing.attendees import PHONE
from handlers.parsing.model import Attendee, Intent
from handlers.parsing.normalize import first_chars, opens_with
from handlers.parsing.trace import Trace, explained
from storage.vocabulary import field_words

REPORT, RSVP, SUMMARY, OTHER = Intent
FIELD_WORDS = field_words()

# "附件：…关于宣传周活动开展情况的报告.docx" is the summary under another name.
_SUMMARY = re.compile(r"总结(?!会)|邮箱|(?:开展|工作|活动)情况的?报告")
_SENT = re.compile(
    r"已|了|附件|附上|随附|发送|发至|发到|发往|发你|报送|上报|提交|交|(?<!宣)传|发过去|查收|发(?![放布出])"
    # "总结…通过邮箱发出": 发出 ending the sentence sends; "发出宣传单" hands out
    r"|发出(?=[，,。；;！!\s]|$)"
)
_DONE = re.compile(r"已|(?<![不得])了|查收")  # 签不了字 is nothing done
# "总结今天下午能发，稍等": the summary is still to come.
# "请于4月28日前报送总结": asking for it
_NOT_YET = re.compile(r"能发|可以发|稍等|稍后|还没|尚未|未发|待|正在|准备|马上|争取|晚点|晚些|请于|请在|请各")
# "总结写好了，等盖完章就发", "总结今天下午发": written maybe, sent later.
_SEND_LATER_SENTENCE = re.compile(
    r"(?:就|再|才|下午|明天|晚点|晚些|稍后|一会儿?)(?:发|报)(?![^，,。]{0,4}[了过])|还在审"
    # "我们下周把总结发过来": a later day, then the sending in the same clause
    r"|(?:明天|后天|下周|下星期|下礼拜|过两天|改天|月底)[^\s，,。；;！!？?]{0,10}?(?:发|报|交)(?!了|过了|过去了)"
)
# "我这边发了两次都退信了": the mail bounced, nothing was sent.
_UNDELIVERED = re.compile(r"退信|被退回|退回来|发送失败|发不出去|发不过去|没发出去|发不了|没发成")
# "喀左局总结已收到": the contact person acknowledging, nobody sending.
_RECEIVED = re.compile(r"(?:已收到|收到了|都收到|均已收到)(?!吗|没|么)")
# "今天的启动仪式来不了了": a reply too.
# "今早的启动仪式我们局换成办公室的李娜参加": who goes instead.
_SWAPPED = re.compile(r"(?:换成|改由|改成|变更为|改为)[^，。；]{1,12}(?:参加|参会|出席)")
_DECLINED = re.compile(r"来不了|去不了|参加不了|不能参加|无法参加|不参加了|去不成")
# A message that is one question ("上周五启动仪式的照片能发我一份吗"), or only questions
# ("要发多少份？200份够吗"), asks, whatever numbers it has.
_ONE_QUESTION = re.compile(r"[^。；;！!？?\n]+(?:[？?]|[吗呢么]|算不算[^。；;！!？?\n]*)[？?\s]*")
# "我们还需要单独报吗？…当时发了200份": a question about reporting, whatever it tells.
_ABOUT_REPORTING = re.compile(r"(?:需要|要|用|还)[^。？?\n]{0,8}(?:报|填|算)[^。？?\n]{0,6}(?:吗|么|[？?])")
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?\n\s]*")
_DONE_WITH_COUNT = re.compile(
    r"[^，,。；;！!？?\n]*(?:发了|搞了|办了|开展了|举办了|走访了|去了|讲了)[^，,。；;！!？?\n]*\d"
)
# Searched in every message: the lookahead lets only the characters a question opens with try the
# alternatives (a question mark, the particles and the first characters of the words below).
_QUESTION = re.compile(
    opens_with("？?请怎如哪在什何几是能可行吗呢么有还")
    + r"(?:[？?]|请问|怎么|如何|哪里|在哪|哪个|哪天|哪些|什么|何时|几点|几号|是否|能否|可否|可以吗|行吗|[吗呢么]\s*$"
    r"|能不能|可不可以|行不行|有没有"
    # "总结需要盖章吗 还是发电子版就行": a question particle before a space is a question mark
    r"|吗(?=[\s，,])"
    # "简报是发群里还是发邮箱啊": a choice asked without a question mark
    r"|还是[^。；;！!？?\n]{1,12}[啊呀呢吧]\s*$)"
)
# "讲了下地理标志专用标志怎么申请使用", "讲解如何办理备案": a question word after a telling verb in
# its clause says what was explained; it asks nothing.
_TOLD_HOW = re.compile(
    r"(?:讲|讲解|介绍|告诉|教|演示|说明|示范|解读|指导|培训)了?(?:一?下)?[^，,。；;！!？?\n]{0,20}"
    r"(?:怎么|如何|什么|哪些)[^，,。；;！!？?\n]*$"
)
_TOLD_HOW_REACH = 30
# "能不能给匀200份": asking for materials, not handing them out.
_REQUEST = re.compile(
    r"(?:能不能|能否|可否|可不可以|麻烦)[^。；\n]{0,6}(?:给|匀|寄|送|再发|调)"
    r"|想(?:要|领|再领|申请)|方便的话[^。；\n]{0,4}(?:发|给)"
)
# Sending someone (拟派, 报名) is a reply whatever else it says; a list heading (参会人员：) is
# one only without counts ("参会人员120人" reports a ceremony held).
# "明天派王静参会": who is being sent
_SENDING = re.compile(r"报名|拟派|将派|派员(?!参加了)|拟参加|拟出席|派[\u4e00-\u9fff]{1,6}(?:参会|出席)|回执")
_NOT_YET_SENT = re.compile(r"拟|将")
_LISTING = re.compile(r"参会人员|参加人员|出席人员|参会名单|人员名单")
# "17号的会我去", a reply slip (回执) with a name and phone.
_ATTENDING = re.compile(r"参会|出席|参加|的会我去|回执")
_GOING = re.compile(r"参加|参会|出席|去|来|到场|派")
_ATTENDED = re.compile(r"(?:参会|出席|参加)了|举行|举办")
# "局长出席启动仪式并讲话": a speech given tells of the ceremony attended, unless still ahead
# ("局长将出席并致辞").
_SPOKE = re.compile(r"并(?:在[^，。；]{0,8})?(?:讲话|致辞|发言|作[^，。；]{0,8}发言)")
_AHEAD = re.compile(r"将|拟|计划|准备|届时")
_CEREMONY = re.compile(r"仪式|启动会|开幕式")
_WORDS_ONLY = re.compile(r"[\s，,。.！!？?、；;：:~～…]+")
BARE_ANSWER_CHARS = 6
# "今天没有开展活动" held nothing.
_HELD = re.compile(r"(?<!没有)(?<!没)(?<!未)(?<!不)(?:举办|举行|开展|召开|组织)")
# 会 promises ("会尽快报"), unless it ends a word (座谈会, 推进会)
_PROMISE = re.compile(r"将|(?<![谈议讨流进署作班展博运盛晚])会|要|准备|计划|拟|争取|打算|抓紧|尽快|按要求|积极|马上")
# 了解 alone acknowledges; "了解企业…情况" is work done
_ACKNOWLEDGE = re.compile(r"收到|知道了|明白|好的|谢谢|感谢|辛苦|了解(?=[，,。！!\s]|$)")
# A forwarded notice ("【转发】…关于印发…的通知") passes on what others wrote.
_FORWARDED = re.compile(
    r"^\s*(?:【转发】|\[转发\]|转发[:：]|转[:：]|转发[^，。：:\n]{0,12}(?:通知|新闻|消息|文章))|关于印发"
    # the contact person to everyone: "各位联络员：…请各单位…报送"
    r"|^\s*各位(?:联络员|同事|老师)?[：:，,\s]|请各(?:单位|位)"
    # "…请大家按时报送总结": the contact person asking everyone to report
    r"|请大家[^。；\n]{0,12}报送"
)
# "计划的宣传取消了，不改期": nothing happened (a postponement, 改期到周五, still reports).
_CANCELLED = re.compile(r"取消")
_MOVED = re.compile(r"改期到|改到|改在|改为|顺延|推迟到|延期到")
# "请问资料发放数量按实际发出去的填…？印了1000份，发出去800": a question, whatever numbers follow.
_ASKING_FIRST = re.compile(r"\s*(?:请问|问一下|想问|请教一下|咨询一下)")
# "外出宣传没搞成", "没有安排宣传活动": nothing done.
_NOTHING_DONE = re.compile(r"没(?:有)?(?:搞|办|开展|去)成|没有安排|没安排|未能开展|没能开展|先停了|暂停了")
# "启动仪式定在20号，到时候报给你们": a promise to report later, nothing done yet.
# "届时欢迎指导" invites, it promises no report.
_REPORT_LATER = re.compile(r"到时候|届时(?!欢迎|请)|再报|后补|稍后报|之后报|回头报")
_CORRECTION_WORDS = (
    "写错|写成了?|打错|填错|报错了|有误|更正|改为|改成|应为|应该是|撤回|作废|删掉|删除|以这条为准|以此为准"
    "|少打|多打|修改一下|重复报送|报重了|报了两遍|发了两遍|发重了|删一条|删掉一条"
)
# The words only where one of their first characters stands: the ^ alternatives keep re from
# skipping to those itself, and trying ~25 words at every position was a tenth of classify.
_CORRECTION = re.compile(
    opens_with(first_chars(_CORRECTION_WORDS.split("|"))) + f"(?:{_CORRECTION_WORDS})"
    # "不是宣传，是培训": the type of the record just made
    r"|^\s*不是[^，,。]{1,6}[，,]\s*(?:而)?是"
    # the correction command itself: "改 人数 500", "改 2 地点 新华路商圈"
    rf"|^\s*改\s*(?:\d+\s*)?(?:{'|'.join(FIELD_WORDS)})"
)
_PHOTO_REMARK = re.compile(
    r"(?:照片|图片|相片).*(?:刚才|上面|上条|前面|稍后|补发|就是|请查收|查收|如下|发不出去|传不上去|太大)"
    r"|(?:刚才|上面|前面).*(?:照片|图片)"
)


@dataclass(frozen=True)
class Signals:
    """What the other modules found in the message."""

    has_trigger: bool
    has_activity_word: bool  # a strong trigger of an activity other than the ceremony
    has_counts: bool
    has_date: bool
    has_location: bool
    # Finds who is named as attending, called when first asked (see attendees): only the attendance
    # reply's branch asks, and most messages are decided before it (names cost a report ~2% of its reading).
    read_attendees: Callable[[], tuple[Attendee, ...]]
    # Every date written is on or before the message day.
    dates_past: bool = False
    # The message is sent on or after the configured ceremony day.
    ceremony_past: bool = False
    # A date written is the configured ceremony day ("17号我们局来2个人").
    names_ceremony_day: bool = False

    @cached_property
    def attendees(self) -> tuple[Attendee, ...]:
        return self.read_attendees()

    @property
    def has_attendees(self) -> bool:
        return bool(self.attendees)


def classify(text: str, signals: Signals, trace: Trace | None = None) -> Intent:
    """The intent of a normalised message; ``trace`` records the branch that decided it."""
    if not text.strip():
        return explained(trace, OTHER, "empty message")
    question = _asks(text)
    itemised = signals.has_activity_word and signals.has_counts and signals.has_date
    if _FORWARDED.search(text):
        return explained(trace, OTHER, "forwarded notice or a call to all units (_FORWARDED)")
    # Whether it is sent, to be sent or received is asked only of a message naming a summary (few do).
    if _SUMMARY.search(text):
        not_yet = (question or _NOT_YET.search(text) is not None) and not _DONE.search(text)
        later = _SEND_LATER_SENTENCE.search(text) is not None
        # "参会回执已经填好发到邮箱了": the reply slip, not the summary
        summary_sent = _SENT.search(text) and not not_yet and not later and "回执" not in text
        summary_sent = summary_sent and not _UNDELIVERED.search(text)
        if summary_sent and not itemised and not _RECEIVED.search(text):
            return explained(trace, SUMMARY, "summary with a sending word (_SUMMARY, _SENT)")
        if (later or _RECEIVED.search(text)) and not itemised:
            return explained(trace, OTHER, "summary to be sent later or acknowledged (_SEND_LATER_SENTENCE, _RECEIVED)")
    if _is_rsvp(text, signals, question and _only_questions(text)):
        return explained(trace, RSVP, "who will attend the ceremony (_is_rsvp)")
    if _CORRECTION.search(text):
        return explained(trace, OTHER, "correction of a message sent (_CORRECTION)")
    if (_DECLINED.search(text) or _SWAPPED.search(text)) and _CEREMONY.search(text):
        return explained(trace, RSVP, "ceremony declined or someone else going (_DECLINED, _SWAPPED)")
    # (Below, the signals are asked before the text is searched: most reports have counts, a date or a place.)
    if not signals.has_counts and _CANCELLED.search(text) and not _MOVED.search(text):
        return explained(trace, OTHER, "activity called off (_CANCELLED)")
    first_sentence = _SENTENCE.match(text.strip())
    asks_about_reporting = first_sentence is not None and _ABOUT_REPORTING.search(first_sentence.group())
    if _ASKING_FIRST.match(text) or asks_about_reporting:
        return explained(trace, OTHER, "asks first or asks about reporting (_ASKING_FIRST, _ABOUT_REPORTING)")
    if not signals.has_counts and _NOTHING_DONE.search(text):
        return explained(trace, OTHER, "nothing done (_NOTHING_DONE)")
    if not (signals.has_counts or signals.has_location) and _PHOTO_REMARK.search(text):
        return explained(trace, OTHER, "remark on photos sent (_PHOTO_REMARK)")
    if question and (not signals.has_counts or _only_questions(text)):
        return explained(trace, OTHER, "question (_QUESTION)")
    if not (signals.has_date or signals.has_location) and _REQUEST.search(text):
        return explained(trace, OTHER, "request for materials (_REQUEST)")
    if not signals.has_counts and _REPORT_LATER.search(text):
        return explained(trace, OTHER, "promise to report later (_REPORT_LATER)")
    concrete = signals.has_counts or signals.has_date or signals.has_location
    if not concrete and (_PROMISE.search(text) or _ACKNOWLEDGE.search(text)):
        return explained(trace, OTHER, "promise or acknowledgement, nothing concrete (_PROMISE, _ACKNOWLEDGE)")
    # "讲座", "大概两百份吧": an answer in a conversation, not a report of its own.
    # ("走访3家", with its work and its count, is a terse report.)
    terse_report = signals.has_activity_word and signals.has_counts
    bare = not (signals.has_date or signals.has_location or terse_report)
    if bare and len(_WORDS_ONLY.sub("", text)) <= BARE_ANSWER_CHARS:
        return explained(trace, OTHER, "bare answer of a few characters (BARE_ANSWER_CHARS)")
    # "4月24日在朝阳科技城举办…对接活动": an event held on a day or at a place, of no listed kind.
    held = (signals.has_date or signals.has_location) and _HELD.search(text) is not None
    if signals.has_trigger or signals.has_counts or held:
        return explained(trace, REPORT, _report_rule(signals))
    return explained(trace, OTHER, "no activity word, count or event held")


def _report_rule(signals: Signals) -> str:
    if signals.has_trigger:
        return "activity word"
    return "count" if signals.has_counts else "event held on a day or at a place (_HELD)"


def _asks(text: str) -> bool:
    """Whether the message asks something (_QUESTION), an explained 怎么/如何 aside (_TOLD_HOW)."""
    for match in _QUESTION.finditer(text):
        # The telling verb is near (_TOLD_HOW reaches 20 characters back): a bounded look keeps a long
        # message full of question words linear.
        window = max(0, match.start() - _TOLD_HOW_REACH)
        cut = max(text.rfind(mark, window, match.start()) for mark in "，,。；;！!？?\n")
        if not _TOLD_HOW.search(text, cut + 1 if cut >= 0 else window, match.end()):
            return True
    return False


def _only_questions(text: str) -> bool:
    """ "要发多少份？200份够吗" only asks; "今天在集上发了300份，照片要几张？" tells of work done first."""
    sentences = _SENTENCE.findall(text.strip())
    return (
        bool(sentences)
        and all(_ONE_QUESTION.fullmatch(sentence) for sentence in sentences)
        and _DONE_WITH_COUNT.search(text) is None
    )


def _is_rsvp(text: str, signals: Signals, only_asks: bool) -> bool:
    """Who will attend: a name or phone with attendance or ceremony words, or sending words.

    "参加了启动仪式" (no name, no phone) reports the ceremony attended, it is no reply; a message
    that only asks and names nobody ("启动仪式参加人员需要带介绍信吗？") is no reply either.
    """
    if _ATTENDED.search(text) or (_SPOKE.search(text) and not _AHEAD.search(text)):
        return False

    def named() -> bool:
        # Asked last in each condition below (each is a conjunction without side effects, so
        # its order changes no answer): most reports are decided without reading the names.
        return signals.has_attendees or PHONE.search(text) is not None

    if only_asks and _SENDING.search(text) is None and not named():
        return False
    ceremony = _CEREMONY.search(text) is not None
    # "今天组织讲座一场，参加人数45人，联系人王磊139…": a report signed with a contact.
    signed_report = signals.has_activity_word and signals.has_counts and not ceremony
    if not signed_report and (ceremony or _ATTENDING.search(text)) and named():
        return True
    # "4月17日，我部派员参加…启动仪式", written that day or after: attended, not a reply.
    sending = _SENDING.search(text) is not None and not (
        signals.dates_past and not _NOT_YET_SENT.search(text) and not named()
    )
    # "我们局长亲自参加启动仪式", "17号启动仪式我们单位去两个人" (before the 17th): going, not gone.
    ahead = (not signals.has_date or not signals.dates_past) and not signals.ceremony_past
    # "17号上午我和科长过去，我叫韩雪，电话186…" (before the ceremony): a name or phone going.
    going = ahead and _GOING.search(text) is not None and not _DONE.search(text)
    if going and not signals.has_activity_word and (ceremony or signals.names_ceremony_day or named()):
        return True
    return sending or (_LISTING.search(text) is not None and not signals.has_counts)
