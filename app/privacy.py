"""Personal data at rest: field encryption, keyed lookup hashes and masking.

ID and phone numbers are stored encrypted (Fernet, AES-128-CBC + HMAC). To find a person by
ID number without decrypting every row, each encrypted field has a companion column holding an
HMAC of the normalised value under a key derived from ``DATA_ENCRYPTION_KEY``.
``DATA_ENCRYPTION_KEY`` may list several comma-separated Fernet keys: the first encrypts, all
decrypt, so keys can be rotated without downtime (``flask privacy rotate-keys`` re-encrypts the
stored rows). Lookup hashes use ``DATA_HASH_KEY``, or else a key derived from the last, oldest,
encryption key, so adding a new key in front changes no hash.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary, String
from sqlalchemy.types import TypeDecorator


class _Keys:
    cipher: MultiFernet | None = None
    hash_key: bytes | None = None


_keys = _Keys()


def configure(key_setting: str, hash_key: str | None = None) -> None:
    """Load the encryption keys; called once by ``create_app``.

    ``hash_key`` (``DATA_HASH_KEY``) keys the lookup hashes. It must never change, so when it is
    not given it is derived from the *last* (oldest) encryption key; set it explicitly before
    that oldest key is ever retired.
    """
    keys = [k.strip() for k in key_setting.split(",") if k.strip()]
    if not keys:
        raise RuntimeError("DATA_ENCRYPTION_KEY is empty")
    try:
        _keys.cipher = MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise RuntimeError("DATA_ENCRYPTION_KEY must be Fernet keys (urlsafe base64, 32 bytes)") from exc
    _keys.hash_key = hashlib.sha256(b"cunwutong-lookup-hash:" + (hash_key or keys[-1]).encode()).digest()


def rotate(token: str) -> str:
    """Re-encrypt a stored value under the primary (first) key."""
    return _keys.cipher.rotate(token.encode()).decode()


def encrypt(value: str) -> str:
    return _keys.cipher.encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys.cipher.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("encrypted field cannot be read with the configured keys") from exc


def lookup_hash(kind: str, value: str) -> str:
    """Keyed hash for equality search on an encrypted field (``kind`` keeps fields apart)."""
    message = f"{kind}:{value.strip().upper()}".encode()
    return hmac.new(_keys.hash_key, message, hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator):
    """A string column stored encrypted; Python code only ever sees plaintext."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def mask_id_number(value: str | None) -> str:
    """``430923199001011234`` → ``430923***********4``: the region and the check character only.

    The birth date (digits 7–14) is shown beside the mask as year and month, and the gender is
    shown too, so the mask must not add the day or the sequence: with the region, year, month and
    gender known, the hidden day (28–31) times the sequence numbers of that gender (500) leaves
    about 1,270 numbers with a valid check character. Showing the last four, as before, left one.
    """
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 7) + value[-1:]


def birth_month(born: date | None, today: date) -> str:
    """``1958-03``: the birth date as shown and kept without a reveal; "" while it would still
    narrow the day.

    A month is given once the month after it has ended too. Someone in the register on the 5th
    of their birth month was born on one of 5 days, too few with the mask; shown from the 1st of
    the month after next, every day of the month is long past, and while it is withheld the
    withholding says only "born since the 1st of last month" (29 days or more).
    """
    if born is None or (today.year * 12 + today.month) - (born.year * 12 + born.month) < 2:
        return ""
    return f"{born:%Y-%m}"


def age_on(born: date | None, day: date) -> int | None:
    """Whole years reached by ``day``, counted from the first of the birth month.

    Every page, filter, chart and export uses this age. Counted to the day, an age that ticks
    over on the birthday would give the day away to anyone who looks on consecutive days (or
    filters "60 and over" on the right day); counted by month it changes on the 1st, which says
    no more than the birth month that is shown anyway.
    """
    if born is None:
        return None
    return day.year - born.year - (day.month < born.month)


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``; landlines keep the area code and last four digits."""
    if not value:
        return ""
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}"
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """``刘建华`` → ``刘*华``; used where a name is shown beyond the village."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


class EncryptedBytes(TypeDecorator):
    """A binary column (document photos) stored encrypted; Python code sees the plain bytes."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else _keys.cipher.encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return _keys.cipher.decrypt(bytes(value))
        except InvalidToken as exc:
            raise RuntimeError("encrypted file cannot be read with the configured keys") from exc
