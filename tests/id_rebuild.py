"""An attacker's notebook: what a back-office page, an export or a stored snapshot says about one
person, and how many ID numbers (valid GB 11643 check character) remain consistent with it.

Facts are gathered by label, as a reader would: a table cell under 身份证号 is a mask, under
出生 / 出生日期 / 出生年月 a birth date (to the day or to the month), under 年龄 an age on the day of
the visit, "享年 N 岁" an age on the day of death; a timeline's 出生 item gives its date; a list
filtered by age band says who is inside the band and who is not; a search by a full number that
finds the person confirms the number. Ages are read either way a reader might count them (to the
day or by month), so an age rules a candidate out only if it contradicts both. ``stored_notes`` reads the stored history the same way, and
``assert_nothing_gives_it_back`` is the verdict: every person keeps at least ``FLOOR`` candidates
(and the real number among them), no mask shows more than 7 characters, and no full birth date,
ID or phone number appears.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, RegisterEvent, Villager
from app.services import clock
from app.services.validators import id_check_digit

FLOOR = 1000

_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(th|td)[^>]*>(.*?)</\1>", re.S)
_TABLE = re.compile(r"<table[^>]*>(.*?)</table>", re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
MASK = re.compile(r"(?<![0-9])[0-9]{6}[0-9*]{11}[0-9Xx*](?![0-9*])")
_FULL = re.compile(r"((?:19|20)[0-9]{2})(?:-|年)([0-9]{1,2})(?:-|月)([0-9]{1,2})日?")
_MONTH = re.compile(r"((?:19|20)[0-9]{2})(?:-|年)([0-9]{1,2})(?![0-9])月?")
_AGE = re.compile(r"(享年)?\s*([0-9]{1,3})\s*岁")
BIRTH_LABELS = ("出生", "出生日期", "出生年月")


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment)).strip()


def day_age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def month_age(born: date, on: date) -> int:
    return on.year - born.year - (on.month < born.month)


@dataclass
class Notes:
    """Everything gathered about one person."""

    masks: set[str] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
    months: set[tuple[int, int]] = field(default_factory=set)
    ages: set[tuple[int, date]] = field(default_factory=set)
    bands: set[tuple[int, int | None, date, bool]] = field(default_factory=set)  # low, high, on, inside
    numbers: set[str] = field(default_factory=set)  # confirmed by a search

    def birth(self, value: str) -> None:
        full = _FULL.search(value)
        if full:
            self.days.add(date(*map(int, full.groups())))
        elif (month := _MONTH.search(value)) is not None:
            self.months.add((int(month.group(1)), int(month.group(2))))

    def cell(self, label: str, value: str, today: date, died_on: date | None) -> None:
        label = label.strip()
        if label == "身份证号":
            self.masks.update(MASK.findall(value))
        elif label in BIRTH_LABELS:
            self.birth(value)
            for mourned, years in _AGE.findall(value):
                self.ages.add((int(years), died_on if mourned and died_on else today))
        elif label == "年龄" and value.strip().isdigit():
            self.ages.add((int(value), today))

    def _dates(self, today: date) -> list[date]:
        if self.days:
            return sorted(self.days)
        if self.months:
            year, month = next(iter(self.months))
            first = date(year, month, 1)
            days = [first + timedelta(n) for n in range(31) if (first + timedelta(n)).month == month]
        else:
            years = {on.year - age for age, on in self.ages} or {today.year - 60}
            first = date(min(years) - 1, 1, 1)
            days = [first + timedelta(n) for n in range(0, 3 * 366)]
        return [d for d in days if d <= today and (d.year, d.month) in (self.months or {(d.year, d.month)})]

    def _fits(self, born: date) -> bool:
        if any(not ({day_age(born, on), month_age(born, on)} & {age}) for age, on in self.ages):
            return False
        for low, high, on, inside in self.bands:
            readings = {low <= a and (high is None or a <= high) for a in (day_age(born, on), month_age(born, on))}
            if inside not in readings:
                return False
        return True

    def candidates(self, region: str, gender: str, today: date, limit_days: int = 120) -> tuple[list[str], bool]:
        """ID numbers consistent with every note, and whether that is all of them: at most
        ``limit_days`` birth dates are tried, so a loose notebook gives a lower bound."""
        if self.numbers:
            return sorted(self.numbers), True
        found, dates = [], [d for d in self._dates(today) if self._fits(d)]
        complete = len(dates) <= limit_days and bool(self.days or self.months)
        for born in dates[:limit_days]:
            for sequence in range(1 if gender == "男" else 0, 1000, 2):
                first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
                number = first17 + id_check_digit(first17)
                if all(_matches(mask, number) for mask in self.masks):
                    found.append(number)
        return found, complete


def _matches(mask: str, number: str) -> bool:
    return len(mask) == len(number) and all(m in ("*", n) for m, n in zip(mask.upper(), number, strict=True))


def read_tables(page: str, names: dict[str, Notes], today: date, died_on: dict[str, date], subject: str | None):
    """Note what every table of ``page`` says: header tables row by row (the row's 姓名 or 谁 says
    whose it is), label/value rows about ``subject`` (a person's own page)."""
    for table in _TABLE.findall(page):
        rows = [[(kind, text(value)) for kind, value in _CELL.findall(row)] for row in _ROW.findall(table)]
        header = next((r for r in rows if r and all(kind == "th" for kind, _ in r) and len(r) > 2), None)
        for row in rows:
            if row is header:
                continue
            if len(row) == 2 and row[0][0] == "th" and subject in names:
                names[subject].cell(row[0][1], row[1][1], today, died_on.get(subject))
            elif header and len(row) == len(header):
                read_row([label for _, label in header], [value for _, value in row], names, today, died_on)


def read_row(labels: list[str], values: list[str], names: dict[str, Notes], today: date, died_on: dict[str, date]):
    """One row under a header: a person's row, or a timeline's change (谁 / 项目 / 原来 / 改为)."""
    row = dict(zip(labels, values, strict=True))
    who = row.get("姓名") or row.get("谁")
    if who not in names:
        return
    if "项目" in row:
        # Only the value now: what a field was before a correction is not this person's number.
        label = {"登记入户": "出生"}.get(row["项目"], row["项目"])
        names[who].cell(label, row.get("改为", ""), today, died_on.get(who))
        return
    for label, value in row.items():
        names[who].cell(label, value, today, died_on.get(who))


def read_timeline(page: str, names: dict[str, Notes]) -> None:
    """A timeline's 出生 item dates the birth of its subject."""
    for item in _ITEM.findall(page):
        found = re.search(r"<strong>出生</strong>\s*·\s*([^<]+?)\s*<span[^>]*>\s*发生于\s*([^<]+)</span>", item)
        if found and found.group(1) in names:
            names[found.group(1)].birth(found.group(2))


def read_snapshot(shot: dict, notes: Notes) -> None:
    """A stored before/after picture of a person (or an audit row's changed fields)."""
    if shot.get("id_number"):
        notes.masks.update(MASK.findall(str(shot["id_number"])))
    if shot.get("birth_date"):
        notes.birth(str(shot["birth_date"]))


def full_dates(born: date) -> list[str]:
    """Ways a full birth date can be written."""
    return [f"{born:%Y-%m-%d}", f"{born.year}年{born.month}月{born.day}日", f"{born:%Y%m%d}", f"{born:%Y/%m/%d}",
            f"{born:%Y.%m.%d}", f"{born.year}-{born.month}-{born.day}"]  # fmt: skip


def stored_notes(people: list[Villager]) -> tuple[dict[int, Notes], str]:
    """What the stored history keeps about each person now (the newest picture of them: an older
    one describes a number since corrected), and every stored document as text."""
    newest, dumped = {}, []
    for e in db.session.scalars(select(RegisterEvent)):
        dumped.append(f"{e.before} {e.after}")
        shots = (e.after or {}).get("people") or {}
        for shot in shots if isinstance(shots, list) else shots.values():
            newest[shot["id"]] = max(newest.get(shot["id"], (e.recorded_at, shot)), (e.recorded_at, shot), key=_first)
    for row in db.session.scalars(select(AuditLog)):
        dumped.append(str(row.detail))
        if (row.target or "").startswith("villager:") and row.detail.get("after"):
            key, shot = int(row.target.split(":")[1]), row.detail["after"]
            if newest.get(key, (row.at, {}))[0] <= row.at:
                newest[key] = (row.at, {**newest.get(key, (None, {}))[1], **shot})
    notes = {p.id: Notes() for p in people}
    for key, (_at, shot) in newest.items():
        read_snapshot(shot, notes[key])
    return notes, "\n".join(dumped)


def _first(pair):
    return pair[0]


def assert_nothing_gives_it_back(people: list[Villager], notes: dict, shown: str, who: str) -> None:
    today = clock.today()
    wide = [m for m in MASK.findall(shown) if len(m.replace("*", "")) > 7]
    assert not wide, f"{who}: masks show more than the region and the check character: {wide[:3]}"
    for p in people:
        for written in full_dates(p.birth_date):
            assert written not in shown, f"{who}: {p.name}'s birth date {written} is shown"
        assert p.id_number not in shown and p.id_number[6:14] not in shown, f"{who}: {p.name}'s ID number is shown"
        assert not p.phone or p.phone not in shown, f"{who}: {p.name}'s phone number is shown"
        left, complete = notes[p.name if p.name in notes else p.id].candidates(p.id_number[:6], p.gender, today)
        assert p.id_number in left or not complete, f"{who}: the notebook ruled out {p.name}'s real number"
        assert len(left) >= FLOOR, f"{who}: {p.name}'s ID number narrowed to {len(left)} candidates"
