"""Safe reading of the XML WeChat posts, and safe text for the XML we answer with.

Everything here fails with ``UnsafeXML`` and never with anything else, so the callback can answer
``success`` to whatever arrives. The checks run before any XML parser sees the text, and again
on the decrypted payload of an encrypted message (WECHAT.md, "XML safety").
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import fromstring  # nosec B405  # guarded: see _parse

from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage

MAX_BODY = 64 * 1024  # a real callback is well under 2 KB; an encrypted one under 3 KB

# Any markup declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST …) except CDATA sections and
# comments, which WeChat's own messages use. Entity expansion and external entities both need one.
_DECLARATION = re.compile(r"<!(?!\[CDATA\[|--)", re.IGNORECASE)
# openids, unionids and gh_ ids: letters, digits, "_" and "-". Anything else is not WeChat talking,
# and is kept out of our replies, our logs and the database.
_ACCOUNT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DIGITS = re.compile(r"^[0-9]{1,20}$")
# Characters XML 1.0 cannot carry at all (most C0 controls, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UnsafeXML(ValueError):
    """The body is not a well-formed, declaration-free WeChat message; the reason is safe to log."""


def check_text(raw: bytes | str) -> str:
    """The body as text, if it is UTF-8, within the size cap and free of markup declarations."""
    if len(raw) > MAX_BODY:
        raise UnsafeXML("body too large")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeXML("body is not UTF-8") from None
    if not raw.strip():
        raise UnsafeXML("empty body")
    if _DECLARATION.search(raw):
        raise UnsafeXML("markup declaration (DOCTYPE/ENTITY) in body")
    return raw


def parse_fields(text: str) -> dict:
    """The children of the ``<xml>`` root as a dict (after ``check_text``)."""
    try:
        root = _flat_fields(_parse(text))
    except Exception:  # expat errors, a root that is not <xml>, anything odd
        raise UnsafeXML("malformed XML") from None
    if not isinstance(root, dict):
        raise UnsafeXML("no <xml> root with fields")
    return root


def encrypted_part(raw: bytes) -> str:
    """The ``Encrypt`` field of an encrypted ("safe mode") envelope."""
    value = parse_fields(check_text(raw)).get("Encrypt")
    if not isinstance(value, str) or not value.strip():
        raise UnsafeXML("no Encrypt field")
    return value.strip()


def read_message(raw: bytes | str) -> BaseMessage:
    """A wechatpy message or event from a plain body, with the fields we rely on checked."""
    text = check_text(raw)
    try:
        fields = _flat_fields(_parse(text))
    except Exception:  # expat errors, a root that is not <xml> …
        raise UnsafeXML("malformed XML or not a WeChat message") from None
    if not isinstance(fields, dict):
        raise UnsafeXML("no <xml> root with fields")
    for name in ("ToUserName", "FromUserName"):
        if not isinstance(fields.get(name), str) or not _ACCOUNT.match(fields[name]):
            raise UnsafeXML(f"missing or odd {name}")
    if not isinstance(fields.get("CreateTime"), str) or not _DIGITS.match(fields["CreateTime"]):
        raise UnsafeXML("missing or odd CreateTime")
    msg_type = fields.get("MsgType")
    if not isinstance(msg_type, str):
        raise UnsafeXML("missing or nested MsgType")
    if msg_type.lower() == "event" and not isinstance(fields.get("Event"), str):
        raise UnsafeXML("event without Event")
    if "MsgId" in fields and not (isinstance(fields["MsgId"], str) and _DIGITS.match(fields["MsgId"])):
        raise UnsafeXML("odd MsgId")
    for name in ("EventKey", "Content"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise UnsafeXML(f"nested {name}")
    try:
        return _message(fields, msg_type.lower())
    except Exception:  # an odd Event or EventKey in a device_ message, say
        raise UnsafeXML("not a WeChat message") from None


def _parse(text: str):
    """The element tree of text that passed ``check_text``: the C-accelerated ElementTree over
    expat. No DOCTYPE or ENTITY declaration gets past ``check_text``, and without one expat knows
    only the five predefined entities and refuses any other reference: no expansion, no external
    entity. (One parse, where wechatpy's parse_message went through xmltodict's Python handlers.)"""
    return fromstring(text)  # noqa: S314  # nosec B314  # declarations refused before this; see the docstring


def _flat_fields(root) -> dict | str | None:
    """The ``<xml>`` root's children as xmltodict gives them (what wechatpy's messages hold)."""
    if root.tag != "xml":
        raise ValueError("root is not <xml>")
    fields = {}
    for child in root:  # the usual message: plain, distinct children and no stray text
        if len(child) or child.attrib or child.tag in fields or (child.tail and child.tail.strip()):
            return _value(root)
        fields[child.tag] = (child.text or "").strip() or None
    if not fields or root.attrib or (root.text and root.text.strip()):
        return _value(root)
    return fields


def _value(element) -> dict | str | None:
    """xmltodict's shape: stripped text or None for a plain element; a dict (``@attr``, children,
    ``#text``) otherwise, with a list for a repeated child. ``read_message`` refuses nested or
    repeated values where it relies on text."""
    if not len(element) and not element.attrib:
        return (element.text or "").strip() or None
    value: dict = {f"@{k}": v for k, v in element.attrib.items()}
    text = [element.text or ""]
    for child in element:
        item = _value(child)
        previous = value.get(child.tag, _ABSENT)
        if previous is _ABSENT:
            value[child.tag] = item
        elif isinstance(previous, list):
            previous.append(item)
        else:
            value[child.tag] = [previous, item]
        text.append(child.tail or "")
    joined = "".join(text).strip()
    if joined:
        value["#text"] = joined
    return value


_ABSENT = object()


def _message(fields: dict, msg_type: str) -> BaseMessage:
    """The wechatpy class for the fields: ``wechatpy.parse_message``'s mapping, without its parse."""
    if msg_type != "event" and not msg_type.startswith("device_"):
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(fields)
    event_type = fields["Event"].lower() if "Event" in fields else None  # odd Event: UnsafeXML
    if msg_type.startswith("device_"):
        event_type = msg_type if event_type is None else f"device_{event_type}"
    if event_type == "subscribe" and fields.get("EventKey"):
        key = fields["EventKey"]
        if key.startswith(("scanbarcode|", "scanimage|")):
            event_type = fields["Event"] = "subscribe_scan_product"
        elif key.startswith("qrscene_"):
            event_type = fields["Event"] = "subscribe_scan"
            fields["EventKey"] = key[len("qrscene_") :]
    return EVENT_TYPES.get(event_type, UnknownMessage)(fields)


def clean(value: object, limit: int = 600) -> str:
    """Text safe inside wechatpy's ``<![CDATA[…]]>`` (which does not escape): no ``]]>``, no
    characters XML forbids, and not longer than ``limit``."""
    text = _NOT_XML.sub("", str(value or ""))[:limit]
    return text.replace("]]>", "]] >")
