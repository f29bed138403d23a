"""Request size limits: a back-office form may carry several phone photos; anything over the
limit gets a Chinese page, not Werkzeug's English 413; absurd ids are simply not found."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from app.extensions import db
from app.models import Photo
from tests.admin.test_archive import archive_url, upload
from tests.admin_helpers import login, make_account
from tests.helpers import make_household, make_village


def _noise_jpeg_bytes(size: int) -> bytes:
    """Bytes of about ``size`` that are not a valid photo (the size gate comes first)."""
    return b"\xff\xd8\xff" + os.urandom(size)


def test_two_ordinary_phone_photos_pass_the_request_size_gate(client):
    village = make_village()
    household = make_household(village, "0101")
    login(client, make_account(village, "cadre"))
    six_mb = _noise_jpeg_bytes(6 * 1024 * 1024)
    response = upload(client, household, files=[(six_mb, "a.jpg"), (six_mb, "b.jpg")])
    # 12 MB is over the villager-facing MAX_CONTENT_LENGTH but fine here; the photo service
    # then judges the content (these are not photos) in Chinese.
    assert response.status_code == 400
    assert "照片" in response.get_data(as_text=True)


def test_a_request_over_the_back_office_limit_gets_a_chinese_page(client, app, monkeypatch):
    village = make_village()
    household = make_household(village, "0101")
    login(client, make_account(village, "cadre"))
    monkeypatch.setitem(app.config, "ADMIN_UPLOAD_MAX_BYTES", 1024 * 1024)
    response = upload(client, household, files=[(_noise_jpeg_bytes(2 * 1024 * 1024), "big.jpg")])
    assert response.status_code == 413
    assert "一次上传的文件太大了" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_villager_pages_keep_the_small_limit(client):
    response = client.post("/me/bind", data={"x": "y" * (9 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Request Entity Too Large" not in response.get_data(as_text=True)


def test_an_id_too_large_for_the_column_is_not_found(client):
    village = make_village()
    login(client, make_account(village, "cadre"))
    assert client.get(archive_url(type("H", (), {"id": 2**40})())).status_code == 404
    assert client.get(f"/admin/households/{2**63}").status_code == 404
