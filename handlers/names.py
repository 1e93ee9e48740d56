"""A newly bound liaison's name, asked once: the desk, the ledger and the digests show people by
name, and a WeCom userid ("jpzhao") or an openid tells the contact person nothing.

The question goes at the end of the first reply after binding (unless that reply asks something
else); the answer is taken only if it looks like a name, optionally with a mobile number. Anything
else clears the question and is handled as usual: the liaison is asked once, never nagged.
"""

from __future__ import annotations

import re
from typing import NamedTuple, TypeVar

from handlers import dialog
from handlers.binding import audit
from handlers.dialog import InState, State, States
from handlers.inbound import MessageKind
from handlers.router import Context, MsgType, NotHandled, Reply, Router
from handlers.wording import FIELD_WORDS, type_from_words

# A reply that is text stays text when the question is appended; one that may be None may stay None.
AnyReply = TypeVar("AnyReply", bound=Reply)

router = Router("names")

# The common surnames (百家姓, the few hundred that cover nearly everyone): a two-character reply
# like “我的” or “撤回” is a command, "王磊" is a name.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
    "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
    "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲"
    "虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井"
    "祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公"
    "哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)

NAME_QUESTION = "请回复您的姓名（可加手机号，如“王磊 13900001111”），方便联系人联系；不方便可忽略。"


class NameQuestions(States):
    """A liaison bound without a name is asked it once."""

    ask_name = State(question=NAME_QUESTION)


_NAME_ANSWER = re.compile(
    r"^\s*(?:我是|我叫|姓名[:：]?\s*)?([\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,4}[·•][\u4e00-\u9fff]{1,6})"
    r"[\s,，、]*(?:(?:手机|电话)[:：]?\s*)?(1[3-9]\d{9})?[\s。.!！]*$"
)


def ask_name_once(ctx: Context, reply: AnyReply) -> AnyReply | str:
    """Append the name question to ``reply`` for a liaison bound just now without a name."""
    liaison = ctx.liaison
    if liaison is None or liaison.name or dialog.current(ctx) is not None:
        return reply
    dialog.ask(ctx, NameQuestions.ask_name)
    return f"{reply}\n{NAME_QUESTION}" if reply else NAME_QUESTION


class NameAnswer(NamedTuple):
    name: str
    phone: str  # "" when not given


def _looks_like_a_name(ctx: Context) -> NameAnswer | None:
    match = _NAME_ANSWER.match(ctx.msg.text)
    if match is None:
        return None
    name = match.group(1)
    if name[0] not in SURNAMES:
        return None
    # A lone word the bot understands otherwise (讲座, 人数) is an answer to something else.
    if name in FIELD_WORDS or type_from_words(name):
        return None
    return NameAnswer(name, match.group(2) or "")


@router.message(MsgType(MessageKind.TEXT), InState(NameQuestions.ask_name))
def on_name(ctx: Context) -> str:
    dialog.clear(ctx)
    found = _looks_like_a_name(ctx)
    if found is None:
        raise NotHandled("not a name")  # asked once: the message goes on to the other routes
    liaison = ctx.bound_liaison
    liaison.name = found.name
    liaison.phone = found.phone or liaison.phone
    ctx.session.add(liaison)
    audit(ctx, "liaison.name", ctx.bound_unit.name, name=found.name, phone=bool(found.phone))
    phone = f"，手机{found.phone}" if found.phone else ""
    return f"好的，{found.name}{phone}，已记下。直接发文字和图片报送活动即可。"
