"""Wordings from the eighth to eleventh blind batches, one rule a case, so that a change breaking
one names it (the corpus score alone would only move by a case)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import parse_report
from handlers.parsing.dates import find_dates
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.numerals import find_quantities
from scheduler.clock import TZ

BOUND = "双塔区知识产权局"
CEREMONY_DAY = dt.date(2026, 4, 17)


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def at(month: int, day: int, hour: int = 18) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "sent", "days"),
    [
        ("4·21在人民广场开展宣传", dt.date(2026, 4, 22), [dt.date(2026, 4, 21)]),
        ("4·26世界知识产权日当天在县人民公园开展主题宣传", dt.date(2026, 4, 27), [dt.date(2026, 4, 26)]),
        ("世界知识产权日当天在慕容街开展宣传", dt.date(2026, 4, 27), [dt.date(2026, 4, 26)]),
        ("22、23号两天在兴源市场开展宣传", dt.date(2026, 4, 23), [dt.date(2026, 4, 22), dt.date(2026, 4, 23)]),
        ("4月21日在A开展宣传；次日转至B讲解", dt.date(2026, 4, 22), [dt.date(2026, 4, 21), dt.date(2026, 4, 22)]),
        ("4月23日上午设台；当日下午走访3家", dt.date(2026, 4, 24), [dt.date(2026, 4, 23), dt.date(2026, 4, 23)]),
        (
            "视频号4月21日起连续3天每天发布1条",
            dt.date(2026, 4, 23),
            [dt.date(2026, 4, 21), dt.date(2026, 4, 22), dt.date(2026, 4, 23)],
        ),
        (
            "周末两天（25、26日）在县城人民广场举办展销",
            dt.date(2026, 4, 27),
            [dt.date(2026, 4, 25), dt.date(2026, 4, 26)],
        ),
        ("4月24日举办成果展；次日（周六）继续开放", dt.date(2026, 4, 25), [dt.date(2026, 4, 24), dt.date(2026, 4, 25)]),
        ("4月25日（周六）在广场宣传", dt.date(2026, 4, 27), [dt.date(2026, 4, 25)]),
        (
            "20、21、22三天在三个镇轮流宣传",
            dt.date(2026, 4, 22),
            [dt.date(2026, 4, 20), dt.date(2026, 4, 21), dt.date(2026, 4, 22)],
        ),
        ("周六周日在市科技馆设了展区", dt.date(2026, 4, 27), [dt.date(2026, 4, 25), dt.date(2026, 4, 26)]),
    ],
)
def test_dates(text: str, sent: dt.date, days: list[dt.date]) -> None:
    assert [day for mention in find_dates(text, sent) for day in mention.days] == days


@pytest.mark.parametrize(
    ("text", "sent", "day"),
    [
        ("科技局昨儿去凌源走访了2家企业", at(4, 24, 9), dt.date(2026, 4, 23)),
        ("今儿个在县城广场发资料300份", at(4, 24, 18), dt.date(2026, 4, 24)),
        ("刚到家 今天在木头城子集上忙活一天 发资料600多", at(4, 23, 0), dt.date(2026, 4, 22)),
        ("今儿跟大前天一样还是在召都巴镇集上，又发了500份", at(4, 26), dt.date(2026, 4, 26)),
        ("4/22日上午去西大营子农贸市场转了一圈，发出去350份", at(4, 22), dt.date(2026, 4, 22)),
    ],
)
def test_the_day_of_the_activity(units: UnitDirectory, text: str, sent: dt.datetime, day: dt.date) -> None:
    assert [a.date for a in parse_report(text, sent, BOUND, units).activities] == [day]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("路过看的有百十来人", 100, "人"),
        ("来了三百来号人", 300, "号人"),
        ("派发宣传扇子三百把", 300, "把"),
        ("有一千五六百人", 1500, "人"),
    ],
)
def test_spoken_counts(text: str, value: int, unit: str) -> None:
    [quantity] = find_quantities(text)
    assert (quantity.value, quantity.unit) == (value, unit)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("今天在“龙城发布”微博、视频号同步推送短视频第二集，两个平台各1条", "articles", 2),
        ("今天在东大屯乡、王营子乡两个乡的集上发资料，一共发了九百来份", "materials", 900),
        ("今天在联合镇葡萄园搞了个田间课堂 果农来了六十多个 另外发了资料一百五十份", "participants", 60),
        ("今天在北票大集摆了个摊子发了三百来份资料有二十几个老乡过来问", "consultations", 20),
        ("今天在公共法律服务中心开展法律咨询日，解答咨询八十七人次，代写法律文书三份", "materials", 0),
        ("今天和市监局去了新天地商贸城，挨家给商户讲不卖假货，走了四十来家", "enterprises", 40),
        ("区融媒体“双塔发布”今天转了宣传周主题海报一张，原创推文一篇", "articles", 2),
        ("今天在花园社区搞宣传，原计划发放资料500份，实际发放320份，有35人现场咨询", "materials", 320),
        ("今天在A街道宣传，累计发放资料1500份（20日500份、21日600份），咨询共计120人次", "materials", 1500),
        ("今天在检察服务中心，全天共计接待46人次", "participants", 46),
        ("今天受训民警共计160人次，在警务培训基地举办培训", "participants", 160),
        ("今天国资委调研组一行4人赴朝阳水务集团开展调研", "participants", 0),
        ("今天在“喀左发布”公众号推送问答1篇，浏览量3500+，点赞126个", "articles", 1),
        ("今天在“朝阳商务”公众号推出“知识产权小课堂”第3期", "articles", 1),
        ("视频号4月21日起连续3天每天发布1条短视频，三条播放量合计1.6万次", "articles", 3),
        ("上园化石市场今天上午宣传了一下，发了1.2k份资料", "materials", 1200),
        ("今天在锦绣社区居委会门口发了两百来份资料 问的人不多 也就七八个", "consultations", 7),
        ("今天在刀尔登镇中学讲了一课（初二学生260人）", "participants", 260),
        ("今天在叶柏寿步行街发宣传单 发了600，有20多人过来咨询", "materials", 600),
        ("今天在县城广场搞宣传，资料发出去四百五，咨询的四十多人", "materials", 450),
        ("今天在大板镇集市发方宣传单500份 咨训80人次", "consultations", 80),
        ("今天赶上胜利镇二六集 在集上设点 发了800份 咨询的七十来个", "consultations", 70),
        ("4/22日、4/23日两天在南八家子乡集市 各发了300份资料", "materials", 600),
        ("今天下午回城去了2家企业，哦不是3家", "enterprises", 3),
        ("今天我委赴朝阳重型机器有限公司、辽宁朝阳水泥集团有限公司开展调研", "enterprises", 2),
        ("今天召开新闻发布会，6家新闻媒体到场报道", "enterprises", 0),
        ("今天我局开展打假集中行动，抓获犯罪嫌疑人3名", "participants", 0),
        ("4月22日集中宣传数据\n地点｜公营子镇中心广场\n资料｜500｜份\n咨询｜62｜人次", "materials", 500),
        ("4月20日至22日在万达广场设立咨询台，每天发放资料约300份", "materials", 900),
        ("20号、22号、24号分三次到三个社区开展宣传，每次发资料200份", "materials", 600),
        ("今天在公营子镇宣传，问的人三十上下", "consultations", 30),
        ("今天到王营子乡两个村入户宣传，走访农户56户，发放明白纸120份", "enterprises", 0),
        ("这周二和周四各举办了一次法律咨询日，两次共接待咨询92人次", "consultations", 92),
        ("今天上午参加了启动仪式，我办去了2人", "participants", 0),
        ("今晚在视频号直播间开了一场科普直播，观看2600人次，互动留言300多条", "articles", 0),
        ("今天为市公安局经侦民警举办专题讲座，60名民警参加", "participants", 60),
        ("今天上午我办2名同志参加了宣传周启动仪式", "participants", 0),
        ("今天委官网和“健康朝阳”公众号各发布了1条宣传周信息", "articles", 2),
        ("林草局公众号今天推送了《植物新品种保护知多少》一文", "articles", 1),
        ("下午到朝阳天翼新能源公司发放宣传资料100份，为企业职工解答问题20余人次", "enterprises", 1),
        (
            "宣传周一周下来，我局合计发放资料2600份。分天看：周三在黑水镇集市宣传，发了800份；周六在沙海镇文化广场，发了1800份",
            "materials",
            2600,
        ),
        ("今天资料一共发出去1100份：上午大营子乡大集600份，下午坤都营子乡政府门前500份", "materials", 1100),
        ("周二培训那场已经报了，这里不重复。补两条：周三到高新区科创园走访企业4家", "enterprises", 4),
        ("今天在长皋乡集市开展种子品种权保护宣传，问的农户三十好几", "consultations", 30),
    ],
)
def test_what_each_number_counts(units: UnitDirectory, text: str, field: str, value: int) -> None:
    reading = parse_report(text, at(4, 22), BOUND, units)
    assert sum(getattr(a, field) or 0 for a in reading.activities) == value


@pytest.mark.parametrize(
    ("text", "sent", "intent"),
    [
        ("今天下雨，计划的宣传取消了，不改期", at(4, 23, 8), "other"),
        ("今天下雨，宣传活动改到周五", at(4, 22, 8), "report"),
        ("【转发】关于印发《宣传周活动方案》的通知：请准时派人参加4月17日的启动仪式", at(4, 16, 9), "other"),
        ("17号上午我和我们科长俩人过去，我叫韩雪，电话18642130077", at(4, 16, 17), "rsvp"),
        ("检察院的总结今天上午通过政务外网邮箱发出", at(4, 28, 9), "summary"),
        ("4月24日在朝阳科技城举办高校院所专利成果与企业对接活动", at(4, 24, 19), "report"),
        ("今天没有开展活动", at(4, 24, 19), "other"),
        ("感谢市局指导，今年我们县第一次搞成果展，效果不错", at(4, 27, 9), "other"),
        ("【转发】市知识产权局提醒：周结束后2个工作日内将总结报送至邮箱", at(4, 25), "other"),
        ("下周一能否延期报总结？我们领导这两天出差，签不了字", at(4, 25), "other"),
        ("附件：市卫生健康委关于2026年知识产权宣传周活动开展情况的报告.docx（共5页）", at(4, 25), "summary"),
        ("今天上午展示活动的照片，请查收", at(4, 25), "other"),
        ("收到,,龙城区局明天派王静参会", at(4, 16), "rsvp"),
        ("宣传折页不够了 市局还有吗 能不能给匀200份", at(4, 16), "other"),
        ("4.21号那条我报了两遍 删一条吧", at(4, 16), "other"),
        ("转发组委会办公室通知：宣传周工作总结会定于4月29日上午9时召开", at(4, 16), "other"),
        ("17号我们局来2个人，刘强和孙悦", at(4, 16, 15), "rsvp"),
        ("不好意思，今天的启动仪式来不了了", at(4, 17, 7), "rsvp"),
        ("请问资料按实际发出去的填，还是按印的数量填？印了1000份，发出去800", at(4, 23, 10), "other"),
        ("各位联络员：请于4月28日前报送总结，模板见群文件", at(4, 19, 16), "other"),
        ("今天下雨，外出宣传没搞成，明天看天气", at(4, 21, 15), "other"),
        ("今天局里开党组会，没有安排宣传活动", at(4, 22, 17), "other"),
        ("总结写好了，等盖完章就发", at(4, 27, 10), "other"),
        ("喀左局总结已收到", at(4, 28, 18), "other"),
        ("讲座", at(4, 24, 18), "other"),
        ("大概两百份吧", at(4, 23, 19), "other"),
        ("不是宣传，是培训", at(4, 22, 17), "other"),
        ("走访3家", at(4, 22, 17), "report"),
        ("田老师，宣传资料还有吗？我们想再领300份", at(4, 16, 14), "other"),
        ("龙城区局想要一份重点企业走访名单，方便的话发一下，谢谢", at(4, 19, 16), "other"),
        ("田老师，今早的启动仪式我们局换成办公室的李娜参加，原来报的张伟临时有事", at(4, 17, 7), "rsvp"),
        ("我们的总结昨天下午就发邮箱了，您看收到了吗？", at(4, 28, 9), "summary"),
        ("上午去朝阳佛瑞达科技公司跑了一趟，了解企业出口产品的商标注册情况", at(4, 23, 11), "report"),
        ("下午召开了市属国企知识产权工作座谈会，7家企业参加", at(4, 24, 17), "report"),
        ("参会回执已经填好发到邮箱了，我们来两位：李主任和我。", at(4, 16, 9), "rsvp"),
        ("各位联络员：宣传周今天正式开始，请各单位每天活动结束后及时报送活动信息", at(4, 20, 8), "other"),
        ("转发一条新闻给大家学习：国家知识产权局今天举行新闻发布会", at(4, 26, 8), "other"),
        (
            "我们局跟双塔局昨天联合搞的那次宣传，双塔局已经报了，我们还需要单独报吗？当时带了200份资料",
            at(4, 22, 10),
            "other",
        ),
        ("今天风太大，展板立不住，广场上的宣传先停了，看明天天气再说。", at(4, 23, 10), "other"),
    ],
)
def test_intents(units: UnitDirectory, text: str, sent: dt.datetime, intent: str) -> None:
    assert parse_report(text, sent, BOUND, units, ceremony_day=CEREMONY_DAY).intent == intent


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("周一全市中小学开展“尊重知识产权”主题升旗仪式", ["publicity"]),
        ("外办今天请专家来讲海外商标抢注防范，听课人员三十三人", ["training"]),
        ("今天在万达广场开展集中宣传，发放资料两千多份，同时区融媒体中心对活动进行了报道", ["publicity"]),
        ("今天上午启动仪式在七楼会议室举行，九十余人出席。仪式后召开交流座谈会", ["ceremony"]),
        ("今天上午参加市里的启动仪式，回来后下午在政务服务中心开展宣传，发资料200份", ["ceremony", "publicity"]),
        ("今天在朝阳工程技术学校开展“打击侵权假冒 守护校园”法治讲座，800余名师生收看", ["training"]),
        ("今天调研组赴朝阳水务集团开展知识产权专项调研，召开座谈会2场", ["visit"]),
        ("今天在羊山镇集上发了300份，照片要几张？", ["publicity"]),
        ("上午在西山村村委会开了个商标陪训会 三十几号人参加", ["training"]),
        ("上午在县城广场发资料500份，完事中午扒拉口饭下午又跑了两家企业", ["publicity", "visit"]),
        ("晚上又在社区广场放了场宣传片 看的有一百多人", ["publicity"]),
        ("朱碌科镇 半天转了6家小米加工企业", ["visit"]),
        ("卫健委今天组织药剂科骨干80余人，举办药品专利链接制度专题讲座", ["training"]),
        ("今天对城区6家印刷企业开展版权专项检查，并现场宣讲著作权法", ["other"]),
        ("今天在市科技大市场举办专利技术推介活动，发布可转化专利技术成果36项", ["exhibition"]),
        ("朝阳电视台今天播出宣传周启动仪式综合报道", ["media"]),
        ("今天依法向相关行政机关制发检察建议1份", ["other"]),
        ("17号早上趁仪式开始前在大楼门口摆了宣传台，发了150多份资料；9点参加了启动仪式", ["publicity", "ceremony"]),
        ("今天在苗木基地召开培训会，林农及企业代表65人参加，到场企业9家", ["training"]),
        ("今天组织全市新闻单位知识产权报道业务培训，参训记者编辑40人", ["training"]),
        (
            "4月21日在文化广场开展宣传，发资料300份；4月23日在同一地点又搞了一次，发资料260份",
            ["publicity", "publicity"],
        ),
        ("今天我院干警走进朝阳师范高等专科学校，为300余名师生讲授商业秘密保护知识", ["training"]),
        ("市博物馆这边，我局的非遗文创作品展今天开展了，首日参观群众1200余人次", ["exhibition"]),
        ("昨天在区融媒体中心的抖音号发了1条宣传视频，播放量3000多", ["media"]),
        ("今天下午在龙城区图书馆开讲“商标那些事儿”，75位市民到场听讲", ["training"]),
    ],
)
def test_kinds(units: UnitDirectory, text: str, types: list[str]) -> None:
    assert [a.type for a in parse_report(text, at(4, 22), BOUND, units).activities] == types


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("今早经侦在龙城区物流园查扣一批假冒包装箱，发了明白纸八十张", "龙城区物流园"),
        ("科普大篷车今天开进了凌源市刀尔登镇中心小学，发放挂图二百五十套", "凌源市刀尔登镇中心小学"),
        ("今早赶西大营子镇大集，设了个咨询摊，到中午收摊发出去宣传单三四百张", "西大营子镇大集"),
        ("教育局：双塔区实验小学今天下午举行知识竞赛决赛，近百名学生家长到场", "双塔区实验小学"),
        ("入企服务3家 经开区 送政策汇编30本", "经开区"),
        ("市局执法人员对双塔区商业街上百家商户开展检查指导", "双塔区商业街"),
        ("叶柏寿街道社区服务中心,今天上午,宣传资料:300,咨询 25人次。", "叶柏寿街道社区服务中心"),
        ("利州街道那边今天搞了场进社区宣传,发资料150份", "利州街道"),
        ("今天刀尔登赶集，在集上发了大概800份传单", "刀尔登"),
        ("宋杖子镇村部 今天下午 开了个专利知识讲座 来了四十几个村民", "宋杖子镇村部"),
        ("今天下午在建平县实验中学，不对，是喀左县第三中学搞了知识产权进校园", "喀左县第三中学"),
        ("今天去建平县职教中心给学员上了堂商标课，学员八十来人", "建平县职教中心"),
        ("今天依托双塔区公共法律服务中心开展公共法律服务宣传，解答咨询65人次", "双塔区公共法律服务中心"),
        ("22号晚上在凌源市热水汤街道广场放了一场知识产权宣传电影", "凌源市热水汤街道广场"),
        ("今天在深井镇集市和马场镇政府门前两个点同时宣传，共发放资料900份", "深井镇集市和马场镇政府门前"),
        ("本周四巡讲走进双塔区第二小学、燕都中学2所学校，受益师生1500人", "双塔区第二小学、燕都中学"),
        ("上周日利用张家营子镇大集提前预热宣传，发资料300份", "张家营子镇大集"),
        ("今天中午五十余个环保袋在东大屯乡便民服务中心送到了群众手中", "东大屯乡便民服务中心"),
        ("我局执法人员深入中三家镇12家个体工商户开展商标使用指导", "中三家镇"),
        ("今天组织企业代表参观市规划展览馆知识产权成果展区", "市规划展览馆"),
        ("市公安局今天到我们市三中开展进校园宣传，我局组织师生320人参加", "我们市三中"),
        ("今天去凌源市四合当镇开展进乡村活动，在镇政府广场发放宣传资料350份", "镇政府广场"),
        ("市博物馆这边，我局的非遗文创作品展今天开展了", "市博物馆"),
        (
            "今天下午给在朝外籍专家和留学生讲了一堂课，地点在朝阳师范学院国际交流中心，来了35人",
            "朝阳师范学院国际交流中心",
        ),
        ("刚才小王打电话说，他们一早在龙城区向阳街道早市摆了宣传点，发了二百份资料", "龙城区向阳街道早市"),
    ],
)
def test_places(units: UnitDirectory, text: str, place: str) -> None:
    assert [a.location for a in parse_report(text, at(4, 22), BOUND, units).activities] == [place]


def test_the_first_of_one_handful_is_no_fan() -> None:
    assert find_quantities("单位一把手带队宣传") == []


def test_a_partner_joined_by_the_sender_leaves_the_report_the_senders(units: UnitDirectory) -> None:
    text = "今天市场监管局联合我局在红旗社区开展知识产权进社区活动，我局发放资料300份"
    assert parse_report(text, at(4, 21), BOUND, units).unit == BOUND


def test_a_write_ups_apparatus_is_no_activity(units: UnitDirectory) -> None:
    text = (
        "【工信动态】市工信局走进高新区开展知识产权服务\n来源：科技与产业科　发布时间：2026-04-24\n"
        "4月23日，市工信局组织专家走进高新区，为园区内11家企业提供知识产权服务。\n"
        "附图：座谈交流\n（审核：刘东　编辑：孙悦）"
    )
    reading = parse_report(text, at(4, 24), BOUND, units)
    assert [(a.type, a.date) for a in reading.activities] == [("visit", dt.date(2026, 4, 23))]
    assert reading.activities[0].enterprises == 11


def test_a_summary_sent_to_the_chair_is_the_senders(units: UnitDirectory) -> None:
    text = "我局宣传周工作总结已通过OA系统发送至市市场监督管理局知识产权科"
    reading = parse_report(text, at(4, 28), "市工业和信息化局", units)
    assert (reading.intent, reading.unit) == ("summary", "市工业和信息化局")


def test_a_dated_item_without_words_is_an_activity(units: UnitDirectory) -> None:
    text = "工作情况\n(1)4月20日，在建平县人民法院开展巡回审判，40余人旁听；\n(2)4月22日，设立诉调对接窗口；"
    reading = parse_report(text, at(4, 25), BOUND, units)
    assert [(a.type, a.date.day) for a in reading.activities] == [("publicity", 20), ("other", 22)]


@pytest.mark.parametrize(
    ("text", "bound", "unit"),
    [
        ("卫健：4月21日在市第二医院住院部大厅开展宣传，发放手册260册", None, "市卫生健康委"),
        ("我是文旅的小韩，今天在凤凰山景区游客中心摆了宣传展板", None, "市文化和旅游局"),
        ("市公安局今天到我们市三中开展进校园宣传，我局组织师生320人参加", "市教育局", "市教育局"),
        ("应市中院邀请，组织12家企业法务人员到中院旁听庭审", "市工业和信息化局", "市工业和信息化局"),
    ],
)
def test_who_reports(units: UnitDirectory, text: str, bound: str | None, unit: str) -> None:
    assert parse_report(text, at(4, 22), bound, units).unit == unit
