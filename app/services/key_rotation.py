"""Re-encrypt personal data under the newest key, so an old key can be retired."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.privacy import rotate
from app.services import audit

# Raw SQL on purpose: the ORM column type would decrypt, and rotation must see ciphertext.
_SELECT = text("SELECT id, id_number, phone FROM villagers WHERE id > :after ORDER BY id LIMIT :size")
_UPDATE = text("UPDATE villagers SET id_number = :id_number, phone = :phone WHERE id = :id")


def rotate_personal_data(*, actor: str, batch: int = 500) -> int:
    """Re-encrypt every stored ID and phone number under the primary key; returns rows done."""
    done, after = 0, 0
    while True:
        rows = db.session.execute(_SELECT, {"after": after, "size": batch}).all()
        if not rows:
            break
        for row_id, id_number, phone in rows:
            db.session.execute(
                _UPDATE,
                {
                    "id": row_id,
                    "id_number": rotate(id_number) if id_number else None,
                    "phone": rotate(phone) if phone else None,
                },
            )
        done += len(rows)
        after = rows[-1][0]
        db.session.commit()  # a batch at a time: a crash midway leaves every row readable
    audit.record(actor, "privacy.rotate_keys", target="villagers", rows=done)
    db.session.commit()
    return done
