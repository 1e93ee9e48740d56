"""What both WeChat channels share: request rejection, safe XML, normalisation, replies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply

from handlers.inbound import Inbound, Link, Location
from scheduler.clock import TZ
from storage.wording import clip

MAX_BODY = 64 * 1024


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


# Anything the AES/base64/PKCS#7 layer can raise on a tampered payload.
CIPHER_ERRORS = (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError)


def unseal(action: Callable[[], str | bytes]) -> str:
    """Run a wechatpy verify/decrypt call, mapping its failures to 403/400."""
    try:
        result = action()
    except InvalidSignatureException:
        raise forbidden() from None
    except (InvalidCorpIdException, InvalidAppIdException):
        raise bad_request("receiver id does not match") from None
    except CIPHER_ERRORS as exc:
        raise bad_request(f"cannot decrypt: {type(exc).__name__}") from None
    return result.decode("utf-8") if isinstance(result, bytes) else str(result)


def check_xml(text: str) -> None:
    """Refuse DTDs, entities and anything that is not one well-formed <xml> document.

    WeChat never sends a DOCTYPE, so the safe answer to one (XXE, billion laughs) is 400.
    """
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError) as exc:
        raise bad_request(f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise bad_request("root element is not <xml>")


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("body is not UTF-8") from None


def message_fields(plaintext_xml: str) -> dict[str, Any]:
    """The fields of a callback message, as wechatpy's parser reads them."""
    return dict(parse_message(plaintext_xml)._data)  # wechatpy keeps the parsed fields in _data


def to_inbound(channel: str, data: Mapping[str, Any], raw: str) -> Inbound:
    """Normalise a callback message's fields (from XML or JSON)."""
    msg_type = str(data.get("MsgType", "")).lower()
    user_id = str(data.get("FromUserName") or "")
    try:
        created = datetime.fromtimestamp(int(data.get("CreateTime") or 0), TZ)
    except (TypeError, ValueError, OverflowError):
        raise bad_request("CreateTime is not a timestamp") from None
    if not user_id or not msg_type:
        raise bad_request("FromUserName or MsgType missing")
    event = str(data["Event"]).lower() if msg_type == "event" and data.get("Event") else None
    msg_id = data.get("MsgId")
    dedupe = f"{channel}:{msg_id}" if msg_id else f"{channel}:{user_id}:{data.get('CreateTime')}:{event}"
    fields: dict[str, Any] = {}
    if msg_type == "text":
        fields["content"] = str(data.get("Content") or "")
    elif msg_type == "voice":
        fields["content"] = str(data.get("Recognition") or "")
        fields["media_id"] = data.get("MediaId")
    elif msg_type == "image":
        fields["media_id"] = data.get("MediaId")
        fields["pic_url"] = data.get("PicUrl")
    elif msg_type == "location":
        try:
            fields["location"] = Location(
                float(data["Location_X"]), float(data["Location_Y"]), str(data.get("Label") or "")
            )
        except (KeyError, TypeError, ValueError):
            raise bad_request("location message without coordinates") from None
    elif msg_type == "link":
        fields["link"] = Link(
            str(data.get("Title") or ""), str(data.get("Description") or ""), str(data.get("Url") or "")
        )
    elif event:
        fields["event"] = event
        fields["event_key"] = data.get("EventKey")
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


def text_reply_xml(fields: Mapping[str, Any], content: str, now: datetime) -> str:
    reply = TextReply(
        source=fields.get("ToUserName"),
        target=fields.get("FromUserName"),
        content=escape_cdata(clip(content)),
        time=int(now.timestamp()),
    )
    return str(reply.render())
