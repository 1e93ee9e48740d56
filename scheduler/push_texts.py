"""The Chinese wording of the planned pushes, built from config only.

Digest and rollup texts are descriptions for the plan listing: their real content is computed from
the reports when they fire.
"""

from __future__ import annotations

from datetime import date, datetime

from scheduler.campaign import CampaignConfig, CeremonyConfig, ContactConfig
from storage.wording import say_date
from storage.wording import say_span as span_label  # the one span wording, shared with the records


def date_label(day: date) -> str:
    return f"{day.month}月{day.day}日"


def clock_label(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def moment_label(moment: datetime) -> str:
    return f"{say_date(moment.date())}{clock_label(moment)}"


def _ceremony_contact(ceremony: CeremonyConfig) -> str:
    return f"联系人：{ceremony.contact_name}，电话{ceremony.contact_phone}。"


def rsvp_request(campaign: CampaignConfig, ceremony: CeremonyConfig) -> str:
    return (
        f"您好！{campaign.name}启动仪式将于{moment_label(ceremony.at)}在{ceremony.place}举行，"
        f"请贵单位派员参加，并直接回复参会人员姓名和手机号。{_ceremony_contact(ceremony)}"
    )


def rsvp_chase(campaign: CampaignConfig, ceremony: CeremonyConfig) -> str:
    return (
        f"温馨提醒：{campaign.name}启动仪式{moment_label(ceremony.at)}在{ceremony.place}举行，"
        f"还没收到贵单位的参会回复，请回复参会人员姓名和手机号。{_ceremony_contact(ceremony)}"
    )


def ceremony_reminder(campaign: CampaignConfig, ceremony: CeremonyConfig, on: date) -> str:
    days_ahead = (ceremony.at.date() - on).days
    if days_ahead == 0:
        when = f"今天{clock_label(ceremony.at)}"
    elif days_ahead == 1:
        when = f"明天（{date_label(ceremony.at.date())}）{clock_label(ceremony.at)}"
    else:
        when = moment_label(ceremony.at)
    return f"提醒：{campaign.name}启动仪式{when}在{ceremony.place}举行，请提前到场。{_ceremony_contact(ceremony)}"


def checkin_open(ceremony: CeremonyConfig) -> str:
    return (
        f"启动仪式签到已开始（{clock_label(ceremony.at)}开始，地点：{ceremony.place}）。"
        f"到场后回复“签到”即可。{_ceremony_contact(ceremony)}"
    )


def week_kickoff(campaign: CampaignConfig, contact: ContactConfig, deadline: datetime) -> str:
    return (
        f"{campaign.name}今天开始（{span_label(campaign.week_start, campaign.week_end)}），"
        f"主题：{campaign.theme}。\n"
        "开展活动后请随时在这里报送：一条消息说清时间、地点、活动内容和数字，再发几张现场照片。"
        f"例如：“今天上午在{campaign.city}主要商圈开展集中宣传，发放宣传资料300份，现场咨询50人次”，"
        "然后发照片。\n"
        f"宣传周结束后，请于{moment_label(deadline)}前将工作总结发送至{contact.email}。"
        f"联系人：{contact.name}，电话{contact.phone}。"
    )


def report_nudge(on: date) -> str:
    return (
        f"今天（{date_label(on)}）还没收到贵单位的活动报送。有活动的话，请发一条消息说明时间、地点、"
        "内容和数字，再附几张照片；今天没有活动可不回复。"
    )


def daily_digest(on: date) -> str:
    return f"今日汇总（{date_label(on)}）：各单位报送情况、合计、未报单位、图片拼图"


def week_digest(campaign: CampaignConfig) -> str:
    span = span_label(campaign.week_start, campaign.week_end)
    return f"宣传周汇总（{span}）：各单位报送情况、全周合计、未报单位、图片拼图"


def summary_reminder(campaign: CampaignConfig, contact: ContactConfig, on: date, deadline: datetime) -> str:
    if on == deadline.date():
        return (
            f"今天{clock_label(deadline)}截止：请将{campaign.name}工作总结发送至{contact.email}。已发送的单位请忽略。"
        )
    if on == campaign.week_end:
        return (
            f"今天是{campaign.name}的最后一天，感谢各单位的辛苦付出！"
            f"请于{moment_label(deadline)}前将工作总结发送至{contact.email}。"
        )
    return f"提醒：请于{moment_label(deadline)}前将{campaign.name}工作总结发送至{contact.email}。已发送的单位请忽略。"


def final_rollup() -> str:
    return "总结截止汇总：各单位总结提交情况、未交单位、全周活动合计"
