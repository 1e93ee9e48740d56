"""check_xml parses with the C parser only what cannot hold a DTD, and otherwise with defusedxml:
the attacks are refused, and every document reads as defusedxml alone read it."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring as defused_fromstring

from bot.channels import wire
from bot.channels.wire import MAX_NESTING, Rejected, check_xml, xml_fields
from tests.test_xml_fields import DOCUMENTS

ATTACKS = {
    "billion-laughs": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;">]><xml><Content>&d;</Content></xml>',
    "quadratic-blowup": f'<!DOCTYPE xml [<!ENTITY a "{"x" * 5000}">]><xml><Content>{"&a;" * 2000}</Content></xml>',
    "xxe-file": '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    "xxe-parameter": '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><xml><a>1</a></xml>',
    "external-dtd": '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><a>1</a></xml>',
    "external-public-dtd": '<!DOCTYPE xml PUBLIC "-//X//DTD X//EN" "http://127.0.0.1:9/x.dtd"><xml><a>1</a></xml>',
    "empty-doctype": "<!DOCTYPE xml><xml><a>1</a></xml>",
    "doctype-after-comment": "<!-- <xml> --><!DOCTYPE xml [<!ENTITY e 'x'>]><xml><a>&e;</a></xml>",
    "claims-utf16": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY e "x">]><xml><a>&e;</a></xml>',
    # Without "<!DOCTYPE" there is no DTD: these are plain syntax errors to expat.
    "lowercase-doctype": '<!doctype xml [<!ENTITY e "x">]><xml><a>&e;</a></xml>',
    "entity-without-doctype": '<!ENTITY e "x"><xml><a>&e;</a></xml>',
    "undeclared-entity": "<xml><a>&e;</a></xml>",
    "spaced-doctype": '<! DOCTYPE xml [<!ENTITY e "x">]><xml><a>&e;</a></xml>',
}

EXTRA_DOCUMENTS = [
    "<xml><Content><![CDATA[a chat text quoting <!DOCTYPE html> and <!ENTITY x 'y'>]]></Content></xml>",
    '<?xml version="1.0" encoding="UTF-16"?><xml><Content>é</Content></xml>',
    "<xml><!-- a comment --><?pi data?><Content>&#20170;&#x5929; &amp;&lt;&gt;&quot;&apos;</Content></xml>",
    '<xml xmlns:w="urn:w"><w:Content>x</w:Content><Content xmlns="urn:d">y</Content></xml>',
    "<xml><a><b><c/></b></a><a>2</a></xml>",
    "<xml><a></xml>",
    "<notxml><a>1</a></notxml>",
    "",
]


def _read(document: str, parse: Any) -> dict[str, Any] | str:
    try:
        return xml_fields(parse(document))
    except Rejected as exc:
        return f"{exc.status}"
    except SyntaxError:
        return "400"


def _defused(document: str) -> Element:
    root: Element = defused_fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    if root.tag != "xml":
        raise Rejected(400, "root")
    return root


@pytest.mark.parametrize("name", ATTACKS)
def test_attacks_are_400(name: str) -> None:
    with pytest.raises(Rejected) as refused:
        check_xml(ATTACKS[name])
    assert refused.value.status == 400


@pytest.mark.parametrize("name", [name for name, document in ATTACKS.items() if "<!DOCTYPE" in document])
def test_a_document_with_a_doctype_never_reaches_the_plain_parser(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def unguarded(_text: str) -> Element:
        raise AssertionError("parsed without defusedxml")

    monkeypatch.setattr(wire, "expat_tree", unguarded)
    with pytest.raises(Rejected):
        check_xml(ATTACKS[name])


@pytest.mark.parametrize("document", DOCUMENTS + EXTRA_DOCUMENTS)
def test_every_document_reads_as_defusedxml_read_it(document: str) -> None:
    assert _read(document, check_xml) == _read(document, _defused)


def test_a_chat_text_quoting_a_doctype_is_read() -> None:
    fields = xml_fields(check_xml(EXTRA_DOCUMENTS[0]))
    assert fields["Content"] == "a chat text quoting <!DOCTYPE html> and <!ENTITY x 'y'>"


@pytest.mark.parametrize("depth", [MAX_NESTING, MAX_NESTING + 1])
def test_nesting_is_limited_below_a_flat_first_child(depth: int) -> None:
    deep = "<a>" * (depth - 1) + "x" + "</a>" * (depth - 1)
    document = f"<xml><Flat>1</Flat>{deep}</xml>"
    if depth > MAX_NESTING:
        with pytest.raises(Rejected):
            check_xml(document)
    else:
        check_xml(document)
