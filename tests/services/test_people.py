"""Personal data: ID and phone numbers encrypted at rest, found by keyed hash, shown masked."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, text

from app import privacy
from app.errors import ValidationError
from app.extensions import db as _db
from app.models import Household, RegisterEvent, Villager
from app.services import register
from app.services.people import PersonInput, clean_person, find_by_id_number, snapshot
from tests.helpers import make_household, make_village

_seq = itertools.count(0)


def new_id(born: date, *, male: bool = True, check: str | None = None) -> str:
    """A synthetic, checksum-valid ID number (GB 11643 formula written out independently)."""
    while True:
        n = next(_seq)
        first17 = f"430923{born:%Y%m%d}{n % 100:02d}{2 * (n // 100 % 5) + int(male)}"
        total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
        c = (12 - total % 11) % 11
        number = first17 + ("X" if c == 10 else str(c))
        if check is None or number[-1] == check:
            return number


def add_household(village, number: str, head: PersonInput, *members: PersonInput) -> Household:
    return register.register_household(
        village, register.HouseholdInput(number=number, group_number=1, head=head, members=members), recorded_by="测试"
    )


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


# --- encrypted at rest ------------------------------------------------------------------------


def test_id_and_phone_are_not_stored_in_plaintext(db):
    household = make_household(members=1)
    head = household.head
    id_number, phone = head.id_number, head.phone
    [(raw_id, raw_phone)] = db.session.execute(text("SELECT id_number, phone FROM villagers")).all()
    assert id_number not in raw_id and id_number[-8:] not in raw_id
    assert phone not in raw_phone
    assert privacy.decrypt(raw_id) == id_number and privacy.decrypt(raw_phone) == phone
    db.session.expire_all()
    reread = db.session.get(Villager, head.id)
    assert (reread.id_number, reread.phone) == (id_number, phone)


def test_same_phone_encrypts_differently_but_hashes_the_same(db):
    village = make_village()
    add_household(village, "0101", PersonInput(name="刘建华", gender="男", phone="13807371234"))
    add_household(village, "0102", PersonInput(name="李秀英", gender="女", phone="138 0737 1234"))
    rows = db.session.execute(text("SELECT phone, phone_hash FROM villagers ORDER BY id")).all()
    assert rows[0].phone != rows[1].phone  # no pattern showing who shares a number
    assert rows[0].phone_hash == rows[1].phone_hash


def test_lookup_hash_is_keyed_not_a_plain_digest(db):
    household = make_household(members=1)
    id_number = household.head.id_number
    [stored] = db.session.execute(text("SELECT id_number_hash FROM villagers")).scalars().all()
    assert stored != hashlib.sha256(id_number.encode()).hexdigest()
    assert stored != hashlib.sha256(f"id:{id_number}".encode()).hexdigest()
    assert id_number not in stored


# --- lookup by ID number ----------------------------------------------------------------------


def test_find_by_id_number_through_the_hash(db):
    village = make_village()
    wanted = new_id(date(1972, 3, 8), male=False, check="X")
    add_household(village, "0101", PersonInput(name="刘建华", id_number=new_id(date(1968, 5, 4))))
    add_household(village, "0102", PersonInput(name="李秀英", id_number=wanted))
    for typed in (wanted, wanted.lower(), f" {wanted[:6]} {wanted[6:14]} {wanted[14:].lower()} "):
        found = find_by_id_number(typed)
        assert found is not None and found.name == "李秀英", typed
    assert find_by_id_number(new_id(date(1972, 3, 8))) is None


def test_find_by_id_number_rejects_a_malformed_number(db):
    with pytest.raises(ValidationError, match="18位"):
        find_by_id_number("4309231972")


# --- what clean_person checks -----------------------------------------------------------------


def test_gender_and_birth_date_come_from_the_id_number(db):
    values = clean_person(PersonInput(name="刘建华", id_number=new_id(date(1968, 5, 4), male=True)))
    assert values["gender"] == "男" and values["birth_date"] == date(1968, 5, 4)
    values = clean_person(PersonInput(name="李秀英", id_number=new_id(date(1970, 2, 1), male=False)))
    assert values["gender"] == "女" and values["birth_date"] == date(1970, 2, 1)


def test_stated_gender_contradicting_the_id_is_rejected(db):
    with pytest.raises(ValidationError, match="性别和身份证号不一致") as caught:
        clean_person(PersonInput(name="刘建华", gender="女", id_number=new_id(date(1968, 5, 4), male=True)))
    assert caught.value.field == "gender"


def test_stated_birth_date_contradicting_the_id_is_rejected(db):
    with pytest.raises(ValidationError, match="出生日期和身份证号里的不一致") as caught:
        clean_person(PersonInput(name="刘建华", birth_date="1968-05-05", id_number=new_id(date(1968, 5, 4))))
    assert caught.value.field == "birth_date"


def test_without_id_a_gender_is_required(db):
    with pytest.raises(ValidationError, match="请填写性别"):
        clean_person(PersonInput(name="刘建华"))


def test_duplicate_id_number_is_rejected_and_nothing_written(db):
    village = make_village()
    id_number = new_id(date(1968, 5, 4))
    add_household(village, "0101", PersonInput(name="刘建华", id_number=id_number))
    before = (count(Household), count(Villager), count(RegisterEvent))
    with pytest.raises(ValidationError, match="已经登记在册了，同一个人不能登记两次") as caught:
        add_household(village, "0102", PersonInput(name="刘建华", id_number=id_number.lower()))
    assert caught.value.field == "id_number"
    db.session.rollback()
    assert (count(Household), count(Villager), count(RegisterEvent)) == before


def test_duplicate_id_within_one_household_is_rejected(db):
    village = make_village()
    id_number = new_id(date(1990, 1, 1))
    with pytest.raises(ValidationError, match="同一户里有两个人的身份证号相同"):
        add_household(
            village, "0101", PersonInput(name="刘建华", id_number=new_id(date(1968, 5, 4))),
            PersonInput(name="刘强", id_number=id_number, relation="子"),
            PersonInput(name="刘强强", id_number=id_number, relation="子"),
        )  # fmt: skip
    db.session.rollback()
    assert count(Villager) == 0


def test_editing_a_person_may_keep_their_own_id(db):
    household = make_household(members=1)
    head = household.head
    values = clean_person(PersonInput(name="刘建华", id_number=head.id_number), exclude_id=head.id)
    assert values["id_number_hash"] == head.id_number_hash


# --- masking ----------------------------------------------------------------------------------


def test_masks():
    # Region and check character only: the birth date and the sequence (gender) stay hidden.
    assert privacy.mask_id_number("430923199001011234") == "430923***********4"
    assert privacy.mask_id_number("11010519491231002X") == "110105***********X"
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_phone("0737-7221234") == "0737-***1234"
    assert privacy.mask_phone("010-12345678") == "010-****5678"
    assert privacy.mask_id_number(None) == "" and privacy.mask_phone("") == ""
    assert privacy.mask_name("刘建华") == "刘*华" and privacy.mask_name("刘华") == "刘*"


def test_snapshot_for_history_is_masked(db):
    household = make_household(members=1)
    head = household.head
    shot = snapshot(head)
    assert shot["id_number"] == head.id_number[:6] + "*" * 11 + head.id_number[-1]
    assert shot["phone"] == "138****1234"
    assert shot["birth_date"] == head.birth_date.isoformat()[:7]  # year and month, never the day
    assert head.id_number not in str(shot) and head.phone not in str(shot)
    assert head.birth_date.isoformat() not in str(shot) and head.id_number[6:14] not in str(shot)


def test_ages_are_counted_by_month_so_the_day_of_birth_never_shows():
    born = date(1958, 3, 20)
    # The whole of March 2026 says 68, before the 20th too: watching the age tick gives no day.
    assert privacy.age_on(born, date(2026, 2, 28)) == 67
    assert privacy.age_on(born, date(2026, 3, 1)) == 68 == privacy.age_on(born, date(2026, 3, 31))
    assert privacy.age_on(None, date(2026, 3, 1)) is None


def test_a_birth_month_is_given_once_the_month_after_it_has_ended():
    assert privacy.birth_month(date(1958, 3, 20), date(2026, 3, 15)) == "1958-03"
    # On 15 March, "March" would leave 15 days and "February" 28 of which the baby is in the
    # register anyway; both are withheld until the 1st of the month after next.
    assert privacy.birth_month(date(2026, 3, 2), date(2026, 3, 15)) == ""
    assert privacy.birth_month(date(2026, 2, 27), date(2026, 3, 31)) == ""
    assert privacy.birth_month(date(2026, 2, 27), date(2026, 4, 1)) == "2026-02"
    assert privacy.birth_month(date(2025, 12, 5), date(2026, 1, 31)) == ""
    assert privacy.birth_month(date(2025, 12, 5), date(2026, 2, 1)) == "2025-12"
    assert privacy.birth_month(None, date(2026, 3, 1)) == ""


# --- key rotation -----------------------------------------------------------------------------


def test_rotating_keys_keeps_old_rows_readable_and_hashes_unchanged(app, db):
    old_key = app.config["DATA_ENCRYPTION_KEY"]
    new_key = Fernet.generate_key().decode()
    household = make_household(members=1)
    head_id, id_number, phone = household.head.id, household.head.id_number, household.head.phone
    old_hash = household.head.id_number_hash
    try:
        privacy.configure(f"{new_key},{old_key}")
        db.session.expire_all()
        head = db.session.get(Villager, head_id)
        assert (head.id_number, head.phone) == (id_number, phone)
        assert privacy.lookup_hash("id", id_number) == old_hash
        assert find_by_id_number(id_number).id == head_id

        # New writes use the new (first) key.
        newcomer = add_household(
            household.village, "0999", PersonInput(name="王芳", gender="女", phone="13912345678")
        ).head_id
        raw = db.session.execute(text("SELECT phone FROM villagers WHERE id = :id"), {"id": newcomer}).scalar()
        assert Fernet(new_key.encode()).decrypt(raw.encode()) == b"13912345678"
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(raw.encode())
    finally:
        privacy.configure(old_key)


def test_rows_are_unreadable_without_the_key(app, db):
    household = make_household(members=1)
    try:
        privacy.configure(Fernet.generate_key().decode())
        db.session.expire_all()
        with pytest.raises(RuntimeError, match="cannot be read"):
            db.session.get(Villager, household.head_id).id_number  # noqa: B018
    finally:
        privacy.configure(app.config["DATA_ENCRYPTION_KEY"])
        db.session.rollback()


@pytest.mark.parametrize("setting", ["", " , ", "not-a-fernet-key"])
def test_bad_key_setting_fails_loudly(app, setting):
    try:
        with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEY"):
            privacy.configure(setting)
    finally:
        privacy.configure(app.config["DATA_ENCRYPTION_KEY"])
