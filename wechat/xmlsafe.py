"""Safe reading of the XML WeChat posts, and safe text for the XML we answer with.

Everything here fails with ``UnsafeXML`` and never with anything else, so the callback can answer
``success`` to whatever arrives. The checks run before any XML parser sees the text, and again
on the decrypted payload of an encrypted message (WECHAT.md, "XML safety").
"""

from __future__ import annotations

import re

import xmltodict
from wechatpy import parse_message
from wechatpy.messages import BaseMessage

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
        # disable_entities is xmltodict's default; said here because it is a defence, not a detail.
        root = xmltodict.parse(text, disable_entities=True).get("xml")
    except Exception:  # expat errors, ValueError from the entity guard, anything odd
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
        # One parse: wechatpy's (xmltodict over expat, entities disabled), checked afterwards.
        message = parse_message(text)
        fields = message._data  # the parsed <xml> children (wechatpy 1.8 keeps them here)
    except Exception:  # expat errors, the entity guard, a root without fields, nested MsgType …
        raise UnsafeXML("malformed XML or not a WeChat message") from None
    if not isinstance(fields, dict):
        raise UnsafeXML("no <xml> root with fields")
    for name in ("ToUserName", "FromUserName"):
        if not isinstance(fields.get(name), str) or not _ACCOUNT.match(fields[name]):
            raise UnsafeXML(f"missing or odd {name}")
    if not isinstance(fields.get("CreateTime"), str) or not _DIGITS.match(fields["CreateTime"]):
        raise UnsafeXML("missing or odd CreateTime")
    if fields.get("MsgType", "").lower() == "event" and not isinstance(fields.get("Event"), str):
        raise UnsafeXML("event without Event")
    if "MsgId" in fields and not (isinstance(fields["MsgId"], str) and _DIGITS.match(fields["MsgId"])):
        raise UnsafeXML("odd MsgId")
    for name in ("EventKey", "Content"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise UnsafeXML(f"nested {name}")
    return message


def clean(value: object, limit: int = 600) -> str:
    """Text safe inside wechatpy's ``<![CDATA[…]]>`` (which does not escape): no ``]]>``, no
    characters XML forbids, and not longer than ``limit``."""
    text = _NOT_XML.sub("", str(value or ""))[:limit]
    return text.replace("]]>", "]] >")
