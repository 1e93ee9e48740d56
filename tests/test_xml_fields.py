"""The channels read a callback's fields from the one tree check_xml builds (no second parse):
what they read must be what xmltodict, which they used before, read from the same document."""

from __future__ import annotations

from typing import Any

import pytest
import xmltodict

from bot.channels.wire import Rejected, check_xml, normalise, xml_fields

HEAD = "<ToUserName>gh_1</ToUserName><FromUserName><![CDATA[u1]]></FromUserName><CreateTime>1776650700</CreateTime>"
DOCUMENTS = [
    f"<xml>{HEAD}<MsgType>text</MsgType><Content><![CDATA[  今天 发放资料200份 \n]]></Content><MsgId>1</MsgId></xml>",
    f"<xml>{HEAD}<MsgType> text </MsgType><Content>a &amp; b &lt;c&gt;</Content></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><Content></Content><MsgId>  </MsgId></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><Content>a<![CDATA[b]]>c</Content></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><MsgType>image</MsgType></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><Content a='1'>x</Content></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><Content><b>x</b></Content></xml>",
    f"<xml>{HEAD}<MsgType>text</MsgType><Content>x<b/>y</Content></xml>",
    f"<xml id='1'>{HEAD}<MsgType>event</MsgType><Event>click</Event><EventKey>k</EventKey></xml>",
    f"<xml>\n  {HEAD}\n  <MsgType>image</MsgType>\n  <PicUrl>http://x/y.jpg</PicUrl>\n</xml>",
    f"<xml>{HEAD}<MsgType>location</MsgType><Location_X>39.9</Location_X><Location_Y>116.3</Location_Y></xml>",
]


def _read(read: Any) -> dict[str, str] | str:
    try:
        return normalise(read())
    except Rejected as exc:
        return f"{exc.status}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_fields_read_from_the_checked_tree_are_xmltodicts(document: str) -> None:
    ours = _read(lambda: xml_fields(check_xml(document)))
    theirs = _read(lambda: dict(xmltodict.parse(document)["xml"]))
    assert ours == theirs


@pytest.mark.parametrize("document", ["<xml/>", "<xml>  </xml>", "<xml>text</xml>"])
def test_a_document_without_fields_is_400(document: str) -> None:
    with pytest.raises(Rejected) as refused:
        xml_fields(check_xml(document))
    assert refused.value.status == 400
