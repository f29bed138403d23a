"""Per-household WeChat codes (H4): made through the stand-in platform, kept, replaced on reissue."""

from __future__ import annotations

import io
import socket

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.extensions import db as database
from app.models import HouseholdCode, WechatCode
from app.services import codes, dispatch
from tests.helpers import code_of, make_household, make_village
from tests.wechat.sandbox_control import fresh_platform
from wechat import qrcodes


@pytest.fixture
def sandbox(app, db, live_server, monkeypatch):
    return fresh_platform(app, live_server, monkeypatch)


@pytest.fixture
def queued(monkeypatch):
    """Tasks handed to the background (Celery with Redis, threads in the embedded default), not run."""
    sent = []
    # Only the code tasks are this test's business (a register change also queues stats.refresh).
    monkeypatch.setattr(dispatch, "send", lambda name, *args: name.startswith("codes.") and sent.append((name, *args)))
    return sent


def rows(household, **where) -> dict[str, WechatCode]:
    database.session.expire_all()
    query = select(WechatCode).where(WechatCode.household_id == household.id).order_by(WechatCode.id)
    query = query.filter_by(**where) if where else query
    return {(r.code, r.kind): r for r in database.session.scalars(query)}


def test_both_codes_are_made_and_kept(sandbox):
    household = make_household()
    code = code_of(household)
    assert qrcodes.create_for_household(household.id) == {"oa_qr": "ready", "mp_code": "ready"}
    made = rows(household)
    oa, mp = made[code, "oa_qr"], made[code, "mp_code"]
    assert (oa.status, oa.scene) == ("ready", f"h_{code}") and oa.ticket
    assert oa.url.endswith(f"/sandbox/q/{oa.ticket}")
    assert (mp.status, mp.scene) == ("ready", code)
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(mp.image)))
    assert "page=pages%2Fhousehold%2Findex" in decoded.text and f"scene={code}" in decoded.text
    # Idempotent: nothing is asked of WeChat a second time.
    assert qrcodes.create_for_household(household.id) == {"oa_qr": "ready", "mp_code": "ready"}
    assert (sandbox.calls("qrcode_create"), sandbox.calls("wxacode")) == (1, 1)


def test_reissue_revokes_the_old_codes_and_makes_new_ones(sandbox, queued):
    household = make_household()
    old = code_of(household)
    qrcodes.create_for_household(household.id)
    fresh = codes.reissue_code(household.id, recorded_by="测试").code
    assert {r.status for r in rows(household).values()} == {"revoked"}  # in the reissue's own transaction
    assert queued == [("codes.create_for_household", household.id)]
    qrcodes.create_for_household(household.id)  # what the queued task does
    made = rows(household)
    assert {made[old, k].status for k in qrcodes.KINDS} == {"revoked"}
    assert {made[fresh, k].status for k in qrcodes.KINDS} == {"ready"}
    assert made[fresh, "oa_qr"].ticket != made[old, "oa_qr"].ticket


def test_cap_reached_refuses_before_calling_wechat(sandbox, queued, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_QR_LIMIT", 1)
    village = make_village()
    first, second = make_household(village), make_household(village)
    qrcodes.create_for_household(first.id)
    codes.reissue_code(first.id, recorded_by="测试")  # a revoked code still counts: WeChat cannot delete it
    assert qrcodes.create_for_household(second.id) == {"oa_qr": "failed", "mp_code": "ready"}
    failed = rows(second)[code_of(second), "oa_qr"]
    assert "永久二维码已达上限（1 个）" in failed.error and failed.ticket is None
    assert sandbox.calls("qrcode_create") == 1  # only the first household's
    assert qrcodes.permanent_codes_used() == 1


def test_platform_cap_error_reads_the_same(sandbox):
    household = make_household()
    sandbox.fail("qrcode_create", 45029, times=1)
    assert qrcodes.create_for_household(household.id)["oa_qr"] == "failed"
    error = rows(household)[code_of(household), "oa_qr"].error
    assert "永久二维码已达上限" in error and "45029" in error


def test_a_code_breaking_the_scene_rules_is_refused_clearly(sandbox):
    household = make_household()
    current = database.session.get(HouseholdCode, code_of(household))
    current.status = "revoked"
    database.session.flush()
    database.session.add(HouseholdCode(code="bad code%", household_id=household.id, status="active"))
    database.session.commit()
    assert qrcodes.create_for_household(household.id) == {"oa_qr": "ready", "mp_code": "failed"}
    error = rows(household)["bad code%", "mp_code"].error
    assert "不符合微信场景值规则" in error and "32" in error
    assert sandbox.calls("wxacode") == 0


def test_rate_limit_means_try_later_and_keeps_the_row_pending(sandbox):
    household = make_household()
    sandbox.fail("qrcode_create", 45009, times=2)
    with pytest.raises(qrcodes.RetryLater):
        qrcodes.create_for_household(household.id)
    row = rows(household)[code_of(household), "oa_qr"]
    assert row.status == "pending" and "45009" in row.error
    assert qrcodes.create_for_household(household.id) == {"oa_qr": "ready", "mp_code": "ready"}


def test_unreachable_wechat_means_try_later(sandbox, app, monkeypatch):
    household = make_household()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{port}")
    with pytest.raises(qrcodes.RetryLater, match="连不上微信接口"):
        qrcodes.create_for_household(household.id)


def test_other_platform_errors_are_recorded_as_failed(sandbox):
    household = make_household()
    sandbox.fail("wxacode", 41030, times=1)
    assert qrcodes.create_for_household(household.id)["mp_code"] == "failed"
    assert "pages/household/index 不存在" in rows(household)[code_of(household), "mp_code"].error
    # A failed code is not retried by the background job, only when asked (flask wechat codes create).
    assert qrcodes.create_for_household(household.id)["mp_code"] == "failed"
    assert qrcodes.create_for_household(household.id, retry_failed=True)["mp_code"] == "ready"


def test_account_without_parametric_codes_skips_them(sandbox, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ACCOUNT_TYPE", "subscription")
    household = make_household()
    assert qrcodes.create_for_household(household.id) == {"oa_qr": "skipped", "mp_code": "ready"}
    assert "认证服务号" in rows(household)[code_of(household), "oa_qr"].error
    assert sandbox.calls("qrcode_create") == 0
    assert qrcodes.create_missing() == 0  # nothing more is wanted from this account


def test_create_missing_queues_only_households_lacking_codes(sandbox, queued):
    village = make_village()
    done, failed, throttled, new = (make_household(village) for _ in range(4))
    qrcodes.create_for_household(done.id)
    sandbox.fail("wxacode", 41030, times=1)
    qrcodes.create_for_household(failed.id)
    sandbox.fail("qrcode_create", 45009, times=2)
    with pytest.raises(qrcodes.RetryLater):
        qrcodes.create_for_household(throttled.id)
    # Failed codes wait for someone to look (flask wechat codes create); pending ones are queued again.
    assert qrcodes.create_missing() == 2
    assert queued == [("codes.create_for_household", throttled.id), ("codes.create_for_household", new.id)]
    for household in (throttled, new):
        qrcodes.create_for_household(household.id)
    assert qrcodes.create_missing() == 0


def test_cli_creates_and_reports(sandbox, runner):
    village = make_village()
    make_household(village, "0101")
    make_household(village, "0102")
    result = runner.invoke(args=["wechat", "codes", "create", "--village", "大苍村", "--household", "0101"])
    assert result.exit_code == 0, result.output
    assert "处理了 1 户" in result.output and "公众号二维码：已生成 1" in result.output
    status = runner.invoke(args=["wechat", "codes", "status"])
    assert status.exit_code == 0, status.output
    assert "公众号二维码：已生成 1，还没有 1" in status.output
    assert "公众号永久二维码用量：1 / 100000" in status.output


def test_cli_exits_1_and_says_why_when_codes_fail(sandbox, runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_QR_LIMIT", 0)
    make_household(make_village(), "0101")
    result = runner.invoke(args=["wechat", "codes", "create"])
    assert result.exit_code == 1
    assert "0101户 公众号二维码：公众号永久二维码已达上限（0 个）" in result.output


@pytest.mark.parametrize("mode", ["oa", "h5"])
def test_plaque_carries_the_official_account_code_when_configured(sandbox, runner, app, monkeypatch, tmp_path, mode):
    from tests.conftest import PUBLIC_BASE_URL

    monkeypatch.setitem(app.config, "PLAQUE_QR", mode)
    household = make_household(make_village(), "0307")
    qrcodes.create_for_household(household.id)
    args = ["plaques", "render", "--village", "大苍村", "--household", "0307", "--out", str(tmp_path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    [decoded] = zxingcpp.read_barcodes(Image.open(tmp_path / "0307.png"))
    oa_url = rows(household)[code_of(household), "oa_qr"].url
    assert decoded.text == (oa_url if mode == "oa" else f"{PUBLIC_BASE_URL}/h/{code_of(household)}")
