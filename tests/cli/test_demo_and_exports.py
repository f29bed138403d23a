"""The demo village, the register export and plaques, through the real CLI commands."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from app.models import Household, PointsEntry, PointsRule, Villager, VillagerGroup
from app.services import clock
from app.services.demo.reasons import BAD, GOOD
from tests.conftest import PUBLIC_BASE_URL

REQUIRED_COLUMNS = {"户号", "户码", "村民小组", "户主", "人口", "本年积分"}


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_village_has_the_numbers_of_the_field_report(demo):
    db = demo
    assert count(db, VillagerGroup) == 18
    assert count(db, Household, Household.status == "active") == 436
    assert count(db, Villager, Villager.status == "current") == 1765
    assert count(db, Villager, Villager.status != "current") > 0  # past events left their mark
    year_ago = clock.today() - timedelta(days=366)
    assert count(db, PointsEntry, PointsEntry.occurred_on >= year_ago) >= 3000
    assert count(db, PointsEntry, PointsEntry.occurred_on > clock.today()) == 0


def test_demo_village_has_a_rules_catalogue_cadres_can_award_from(demo):
    rules = demo.session.scalars(select(PointsRule)).all()
    assert {r.item for r in rules} == {r.text for r in (*GOOD, *BAD)}
    assert all(r.points > 0 and not r.evidence_required for r in rules if r.item in {g.text for g in GOOD})
    assert all(r.points < 0 and r.evidence_required for r in rules if r.item in {b.text for b in BAD})


def test_demo_load_again_changes_nothing(demo, runner):
    before = count(demo, Household)
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "已经加载过" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert count(demo, Household) == before


def test_export_csv_has_one_row_per_household(demo, runner):
    result = runner.invoke(args=["households", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    assert REQUIRED_COLUMNS <= set(rows[0])
    assert len(rows) == 436
    assert len({row["户码"] for row in rows}) == 436
    sizes = {int(row["人口"]) for row in rows}
    assert sum(int(row["人口"]) for row in rows) == 1765 and min(sizes) >= 1
    total_year = sum(int(row["本年积分"]) for row in rows)
    assert total_year == sum(
        row[0] for row in demo.session.execute(
            select(func.sum(PointsEntry.points)).where(
                func.extract("year", PointsEntry.occurred_on) == clock.today().year
            )
        )
    )  # fmt: skip


def test_export_xlsx(demo, runner, tmp_path):
    out = tmp_path / "register.xlsx"
    result = runner.invoke(args=["households", "export", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert REQUIRED_COLUMNS <= set(rows[0])
    assert len(rows) == 437


def test_export_rejects_bad_arguments(demo, runner):
    bad_format = runner.invoke(args=["households", "export", "--format", "pdf"])
    assert bad_format.exit_code != 0
    unknown = runner.invoke(args=["households", "export", "--village", "不存在村"])
    assert unknown.exit_code == 1
    assert "没有叫“不存在村”的村" in unknown.output


def test_plaques_render_png_per_household_and_a_pdf(demo, runner, tmp_path):
    numbers = ["0101", "0307"]
    args = ["plaques", "render", "--village", "大苍村", "--out", str(tmp_path)]
    result = runner.invoke(args=args + [arg for n in numbers for arg in ("--household", n)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0101.png", "0307.png", "plaques.pdf"]
    assert (tmp_path / "plaques.pdf").read_bytes().startswith(b"%PDF")
    decoded = zxingcpp.read_barcodes(Image.open(tmp_path / "0307.png"))
    household = demo.session.scalar(select(Household).where(Household.number == "0307"))
    from app.services.codes import active_code

    assert [d.text for d in decoded] == [f"{PUBLIC_BASE_URL}/h/{active_code(household.id)}"]


def test_plaques_for_an_unknown_village_fail_clearly(demo, runner, tmp_path):
    result = runner.invoke(args=["plaques", "render", "--village", "小苍村", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "没有叫“小苍村”的村" in result.output


def test_demo_identities_help_try_binding_in_the_sandbox_only(demo, runner, app):
    result = runner.invoke(args=["demo", "identities", "--household", "0101"])
    assert result.exit_code == 0, result.output
    household = demo.session.scalar(select(Household).where(Household.number == "0101"))
    for person in household.members:
        assert person.name in result.output and person.id_number[-6:] in result.output
    assert "户号 0101" in result.output  # what the plaque prints, and what the bind form takes
    app.config["WECHAT_SANDBOX"] = False
    try:
        refused = runner.invoke(args=["demo", "identities", "--household", "0101"])
    finally:
        app.config["WECHAT_SANDBOX"] = True
    assert refused.exit_code == 1 and "沙盒" in refused.output
