"""Where an uploaded register file waits between its preview and the cadre's confirmation.

The file (it holds ID numbers) is kept encrypted under the instance folder, in a folder of the
uploading account's own, under a random token; the confirm step reads it back from there, so
nothing the browser sends besides the token is trusted. Claiming is an atomic rename: of two
confirmations racing each other only one gets the file.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.errors import NotFound
from app.privacy import EncryptedBytes
from app.services import clock

KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
# The same cipher (and keys) as archive photos: the waiting file is personal data at rest.
_CIPHER = EncryptedBytes()
GONE_MESSAGE = "找不到这份上传的文件：可能已超过 24 小时被清理了，请重新上传。"


@dataclass(frozen=True)
class PendingUpload:
    token: str
    account_id: int
    village_id: int
    filename: str
    uploaded_at: float
    folder: Path

    @property
    def data_path(self) -> Path:
        return self.folder / f"{self.token}.xlsx.enc"

    @property
    def claimed_path(self) -> Path:
        return self.folder / f"{self.token}.claimed"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.token}.json"


def _folder(account_id: int) -> Path:
    return Path(current_app.instance_path) / "register_imports" / str(int(account_id))


def save(account_id: int, village_id: int, filename: str, raw: bytes) -> PendingUpload:
    """Keep an upload that passed its dry run; returns it with its new token."""
    folder = _folder(account_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(folder)
    pending = PendingUpload(
        secrets.token_urlsafe(16), account_id, village_id, (filename or "")[-100:], clock.timestamp(), folder
    )
    pending.data_path.write_bytes(_CIPHER.process_bind_param(raw, None))
    meta = {"village_id": village_id, "filename": pending.filename, "uploaded_at": pending.uploaded_at}
    pending.meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return pending


def find(account_id: int, token: str) -> PendingUpload:
    """This account's upload under ``token``; NotFound for another account's, a stale or a made-up token."""
    folder = _folder(account_id)
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound(GONE_MESSAGE)
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(GONE_MESSAGE) from None
    if clock.timestamp() - meta["uploaded_at"] > KEEP_SECONDS:
        raise NotFound(GONE_MESSAGE)
    return PendingUpload(token, account_id, meta["village_id"], meta["filename"], meta["uploaded_at"], folder)


def read(pending: PendingUpload) -> bytes | None:
    """The waiting file's bytes, or None once it has been claimed (being imported, or imported)."""
    try:
        return _CIPHER.process_result_value(pending.data_path.read_bytes(), None)
    except FileNotFoundError:
        return None


def claim(pending: PendingUpload) -> bytes | None:
    """Take the file for importing; None if another request already took it."""
    try:
        pending.data_path.rename(pending.claimed_path)
    except FileNotFoundError:
        return None
    return _CIPHER.process_result_value(pending.claimed_path.read_bytes(), None)


def release(pending: PendingUpload) -> None:
    """Put a claimed file back (the import did not happen), so the preview shows why."""
    pending.claimed_path.rename(pending.data_path)


def finish(pending: PendingUpload) -> None:
    """The import is committed: the personal data goes; the small note stays so a repeat is recognised."""
    pending.claimed_path.unlink(missing_ok=True)


def sweep_all() -> None:
    """Remove every account's uploads older than a day (the periodic ``files.sweep``): an
    account that never uploads again must not keep ID numbers waiting on disk."""
    root = Path(current_app.instance_path) / "register_imports"
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.is_dir():
            sweep(folder)


def sweep(folder: Path) -> None:
    """Remove this account's uploads older than a day."""
    cutoff = clock.timestamp() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass
