"""``flask privacy rotate-keys``: retire an old encryption key without losing anything."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from app import privacy
from app.services.people import find_by_id_number
from tests.helpers import make_household


def test_rotation_lets_the_old_key_be_retired(app, db, runner):
    old = app.config["DATA_ENCRYPTION_KEY"]
    new = Fernet.generate_key().decode()
    household = make_household()
    head = household.members[0]
    id_number, phone = head.id_number, head.phone
    try:
        privacy.configure(f"{new},{old}", hash_key=old)
        result = runner.invoke(args=["privacy", "rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "2人" in result.output
        raw = db.session.execute(text("SELECT id_number FROM villagers WHERE id = :id"), {"id": head.id}).scalar()
        assert Fernet(new).decrypt(raw.encode()).decode() == id_number
        privacy.configure(new, hash_key=old)  # the old key is gone
        db.session.expire_all()
        found = find_by_id_number(id_number)
        assert found is not None and found.id == head.id and found.phone == phone
    finally:
        privacy.configure(old)
