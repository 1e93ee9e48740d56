"""What both WeChat channels share: request rejection, safe XML, normalisation, replies."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import fromstring as expat_tree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_tree

from handlers.inbound import CardClick, Inbound, Link, Location
from scheduler.clock import TZ
from storage.wording import clip

MAX_BODY = 64 * 1024
# WeChat's deepest callback (SendPicsInfo > PicList > item > PicMd5Sum under <xml>) is 5 levels.
MAX_NESTING = 8
# Ids go into unique and plain indexes: PostgreSQL refuses an index entry over ~2,700 bytes, so a
# megabyte-long MsgId would fail at the INSERT (a 500) instead of here (a 400).
MAX_ID_LENGTH = 128
# The fields the bot reads; each must be one scalar (not nested, not repeated) if present.
READ_FIELDS = (
    "ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey", "Content",
    "Recognition", "MediaId", "PicUrl", "Location_X", "Location_Y", "Label", "Title", "Description", "Url",
    "TaskId", "CardType", "ResponseCode",
)  # fmt: skip
ID_FIELDS = ("FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "TaskId", "EventKey")
# A template card click (WeCom): its task, the button's key, and the code that may update the card.
CARD_EVENT = "template_card_event"


class Rejected(Exception):
    """The request is refused: 403 for a bad signature, 400 for anything malformed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def forbidden(reason: str = "invalid signature") -> Rejected:
    return Rejected(403, reason)


def bad_request(reason: str) -> Rejected:
    return Rejected(400, reason)


def require(query: Any, *names: str) -> list[str]:
    missing = [n for n in names if not query.get(n)]
    if missing:
        raise bad_request(f"missing query parameter(s): {', '.join(missing)}")
    return [query[n] for n in names]


def check_xml(text: str) -> Element:
    """The root of one well-formed <xml> document; refuse DTDs, entities and anything else.

    WeChat never sends a DOCTYPE, so the safe answer to one (XXE, billion laughs) is 400. The root
    is returned so the fields are read from this one parse (xml_fields), not parsed again.
    """
    try:
        root = _parse(text)
    except (DefusedXmlException, SyntaxError, ValueError) as exc:
        raise bad_request(f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise bad_request("root element is not <xml>")
    # A callback is usually <xml> and its leaves: only a tree with a grandchild needs the walk.
    if any(len(child) for child in root) and nested_too_deep(root, lambda element: element):
        raise bad_request("XML nested too deep")
    return root


def _parse(text: str) -> Element:
    """The tree of ``text``, as defusedxml (no DTD, no entities, nothing external) would build it.

    Every attack defusedxml stops needs a document type declaration: entities (billion laughs,
    external ones for XXE) can only be declared inside one, and an external DTD is named by one.
    That declaration is the literal ``<!DOCTYPE`` (XML keywords are case-sensitive), and a str is
    handed to expat as UTF-8 whatever encoding the document claims, so no other spelling reaches
    the parser. A document without those characters is therefore parsed by the C parser, a
    quarter of defusedxml's pure-Python handlers' cost; one with them (an attack, or a chat text
    quoting them) goes to defusedxml, which answers it exactly as before.
    """
    if "<!DOCTYPE" in text:
        return defused_tree(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return expat_tree(text)


Node = TypeVar("Node")


def nested_too_deep(root: Node, children: Callable[[Node], Iterable[Node]]) -> bool:
    """Whether a tree goes deeper than MAX_NESTING; iterative, so depth itself cannot overflow."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        stack.extend((child, depth + 1) for child in children(node))
    return False


def _json_children(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        return value.values()
    return value if isinstance(value, list) else ()


def json_object(text: str) -> dict[str, Any]:
    """A JSON object no deeper than MAX_NESTING, or 400."""
    try:
        value = json.loads(text)
    except RecursionError:  # the C scanner's own guard, some thousands of levels down
        raise bad_request("JSON nested too deep") from None
    except ValueError:
        raise bad_request("malformed JSON") from None
    if not isinstance(value, dict):
        raise bad_request("JSON body is not an object")
    if nested_too_deep(value, _json_children):
        raise bad_request("JSON nested too deep")
    return value


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("body is not UTF-8") from None


def xml_fields(root: Element) -> dict[str, Any]:
    """The fields of a callback message (a root from check_xml) as xmltodict would read them:
    stripped text or None for a leaf, a dict for an element with children or attributes, a list
    for a repeated one (normalise refuses the last two for the fields the bot reads).

    Read from the tree check_xml already built: a second parse (xmltodict, or wechatpy's
    parse_message, which also calls .lower() on whatever MsgType and Event hold, so a repeated or
    missing one raised there, a 500) would cost as much again on every message.
    """
    if len(root) == 0:
        raise bad_request("message has no fields")
    fields: dict[str, Any] = {}
    for child in root:
        value = _leaf(child)
        if child.tag not in fields:
            fields[child.tag] = value
        elif isinstance(fields[child.tag], list):
            fields[child.tag].append(value)
        else:
            fields[child.tag] = [fields[child.tag], value]
    return fields


def _leaf(element: Element) -> str | dict[str, Any] | None:
    if len(element) or element.attrib:
        return {"@": dict(element.attrib), "children": [child.tag for child in element]}
    return (element.text or "").strip() or None


@dataclass(frozen=True)
class SignedNonce:
    """The query of a callback whose signature covers token, timestamp and nonce but not the
    body (the Official Account's plaintext mode): it needs a freshness and replay check."""

    timestamp: str
    nonce: str


@dataclass(frozen=True)
class Decoded:
    inbound: Inbound
    fields: dict[str, Any]  # the scalar fields read (normalise), for the reply
    unsigned_body: SignedNonce | None = None


def normalise(data: Mapping[str, Any]) -> dict[str, str]:
    """The fields the bot reads, each as one string; 400 for one that is nested or repeated, is
    not storable text (a lone surrogate or NUL from a JSON escape), or is an over-long id."""
    fields: dict[str, str] = {}
    for name in READ_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad_request(f"{name} is not a single value")
        text = str(value)
        if "\x00" in text or not _encodable(text):
            raise bad_request(f"{name} is not valid text")
        if name in ID_FIELDS and len(text) > MAX_ID_LENGTH:
            raise bad_request(f"{name} is too long")
        fields[name] = text
    return fields


def plaintext_fields(plaintext: str) -> dict[str, str]:
    """The read fields of a message's plaintext, JSON or XML by its first character (a stored
    message read again: its format is not in a query any more)."""
    if plaintext.lstrip().startswith("{"):
        return normalise(json_object(plaintext))
    return normalise(xml_fields(check_xml(plaintext)))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def to_inbound(channel: str, data: Mapping[str, str], raw: str) -> Inbound:
    """Normalise a callback message's fields (from XML or JSON, through normalise)."""
    msg_type = data.get("MsgType", "").strip().lower()
    user_id = data.get("FromUserName", "").strip()
    try:
        created = datetime.fromtimestamp(int(data.get("CreateTime") or 0), TZ)
    except (ValueError, OverflowError, OSError):
        raise bad_request("CreateTime is not a timestamp") from None
    if not user_id or not msg_type:
        raise bad_request("FromUserName or MsgType missing")
    event = data.get("Event", "").strip().lower() if msg_type == "event" else None
    if event == "":
        raise bad_request("event without Event")
    msg_id = data.get("MsgId")
    dedupe = f"{channel}:{msg_id}" if msg_id else f"{channel}:{user_id}:{data.get('CreateTime')}:{event}"
    if event == CARD_EVENT:
        # Two clicks on two cards can share a second; a retried callback repeats all of these.
        dedupe += f":{data.get('TaskId', '')}:{data.get('EventKey', '')}"
    elif event == "click":
        # Two different menu buttons tapped within one second are two messages.
        dedupe += f":{data.get('EventKey', '')}"
    fields: dict[str, Any] = {}
    if msg_type == "text":
        fields["content"] = data.get("Content", "")
    elif msg_type == "voice":
        fields["content"] = data.get("Recognition", "")
        fields["media_id"] = data.get("MediaId")
    elif msg_type == "image":
        fields["media_id"] = data.get("MediaId")
        fields["pic_url"] = data.get("PicUrl")
    elif msg_type == "location":
        try:
            latitude, longitude = float(data["Location_X"]), float(data["Location_Y"])
        except (KeyError, ValueError):
            raise bad_request("location message without coordinates") from None
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            raise bad_request("location message without coordinates")
        fields["location"] = Location(latitude, longitude, data.get("Label", ""))
    elif msg_type == "link":
        fields["link"] = Link(data.get("Title", ""), data.get("Description", ""), data.get("Url", ""))
    elif event:
        fields["event"] = event
        fields["event_key"] = data.get("EventKey")
        if event == CARD_EVENT:
            if not data.get("TaskId"):
                raise bad_request("template_card_event without TaskId")
            fields["card"] = CardClick(
                task_id=data["TaskId"],
                card_type=data.get("CardType", ""),
                response_code=data.get("ResponseCode", ""),
            )
    return Inbound(
        channel=channel,
        user_id=user_id,
        msg_type=msg_type,
        dedupe_key=dedupe,
        created_at=created,
        raw_xml=raw,
        **fields,
    )


def escape_cdata(text: str) -> str:
    """wechatpy wraps reply text in CDATA without escaping: split any ']]>' across sections."""
    return text.replace("]]>", "]]]]><![CDATA[>")


# wechatpy's TextReply.render, byte for byte (its field order, its empty CDATA for a missing id),
# without building a reply object and its field descriptors for every answer.
TEXT_REPLY_XML = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[{content}]]></Content>
<FromUserName><![CDATA[{source}]]></FromUserName>
<ToUserName><![CDATA[{target}]]></ToUserName>
<CreateTime>{time}</CreateTime>
</xml>"""


def text_reply_xml(fields: Mapping[str, Any], content: str, now: datetime) -> str:
    return TEXT_REPLY_XML.format(
        content=escape_cdata(clip(content)),
        source=fields.get("ToUserName") or "",
        target=fields.get("FromUserName") or "",
        time=int(now.timestamp()),
    )
