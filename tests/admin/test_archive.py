"""The document archive (R5): upload ID-card and household-register photos, view them watermarked
with every view audited, retire superseded ones; nobody outside the village or role sees them."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Photo, PhotoPurpose
from app.services import photos
from tests.admin_helpers import csrf_token, login, make_account, post
from tests.helpers import make_household, make_village


def jpeg(color=(200, 200, 200), size=(400, 260)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def archive_url(household) -> str:
    return f"/admin/households/{household.id}/archive"


def upload(client, household, *, kind="id_card", villager_id=None, caption="正面", files=None):
    files = files if files is not None else [(jpeg(), "front.jpg")]
    data = {
        "kind": kind,
        "villager_id": "" if villager_id is None else str(villager_id),
        "caption": caption,
        "photos": [(io.BytesIO(raw), name) for raw, name in files],
        "csrf_token": csrf_token(client, archive_url(household)),
    }
    return client.post(archive_url(household), data=data, content_type="multipart/form-data")


def audit_rows(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def photo_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


@pytest.fixture
def home(db):
    village = make_village()
    return village, make_household(village, "0101", members=2)


@pytest.fixture
def cadre(auth, home):
    return auth.login(home[0])


def test_upload_then_every_view_is_watermarked_and_audited_with_the_viewer(client, home, cadre):
    _, household = home
    head = household.head
    response = upload(client, household, villager_id=head.id, caption="正面")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已存档 1 张身份证照片" in page
    assert "身份证" in page and head.name in page and "正面" in page and cadre.display_name in page

    photo = db.session.scalar(select(Photo))
    assert (photo.purpose, photo.household_id, photo.villager_id) == (PhotoPurpose.ID_CARD, household.id, head.id)
    # The list itself shows no picture: an image is fetched only when 查看 is clicked.
    assert f'<img src="/admin/archive/{photo.id}"' not in page
    assert f'href="/admin/archive/{photo.id}"' in page
    [uploaded] = audit_rows("archive.upload")
    assert uploaded.actor == cadre.actor and uploaded.detail["photo_ids"] == [photo.id]

    for _ in range(2):
        view = client.get(f"/admin/archive/{photo.id}")
        assert view.status_code == 200 and view.mimetype == "image/jpeg"
        assert "no-store" in view.headers["Cache-Control"]
        assert Image.open(io.BytesIO(view.data)).size == (photo.width, photo.height)
        assert view.data != photo.data  # the watermark is in the served pixels
    views = audit_rows("archive.view")
    assert len(views) == 2
    assert all(v.actor == cadre.actor and v.target == f"photo:{photo.id}" for v in views)
    assert all(v.village_id == household.village_id for v in views)


def test_household_register_pages_need_no_person_and_several_upload_at_once(client, home, cadre):
    _, household = home
    files = [(jpeg((10, 10, 10)), "a.png"), (jpeg((90, 90, 90)), "b.jpg")]
    assert upload(client, household, kind="hukou", caption="户主页", files=files).status_code == 302
    stored = db.session.scalars(select(Photo)).all()
    assert len(stored) == 2 and {p.purpose for p in stored} == {PhotoPurpose.HOUSEHOLD_REGISTER}
    assert all(p.villager_id is None and p.caption == "户主页" for p in stored)
    assert "全户" in client.get(archive_url(household)).get_data(as_text=True)


def test_a_text_file_renamed_jpg_is_refused_and_nothing_is_kept(client, home, cadre):
    _, household = home
    response = upload(client, household, villager_id=household.head.id, files=[(b"not a photo\n" * 50, "id.jpg")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "这个文件不是照片" in page
    assert 'value="正面"' in page  # what was typed is kept
    assert photo_count() == 0 and audit_rows("archive.upload") == []


def test_an_id_card_must_belong_to_a_member_of_this_household(client, home, cadre):
    village, household = home
    assert "要选是哪一位" in upload(client, household, villager_id=None).get_data(as_text=True)
    stranger = make_household(village, "0102").head
    response = upload(client, household, villager_id=stranger.id)
    assert response.status_code == 400 and "不是这一户的在册成员" in response.get_data(as_text=True)
    assert photo_count() == 0


def test_a_double_submitted_upload_is_filed_once(client, home, cadre):
    _, household = home
    first = upload(client, household, villager_id=household.head.id)
    second = upload(client, household, villager_id=household.head.id)
    assert first.status_code == second.status_code == 302
    assert "已经在档案里" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert photo_count() == 1


def test_retire_keeps_the_photo_marks_it_and_is_audited_once(client, home, cadre):
    _, household = home
    upload(client, household, villager_id=household.head.id)
    photo = db.session.scalar(select(Photo))
    assert client.get(f"/admin/archive/{photo.id}/retire").status_code == 405  # no change over GET

    response = post(client, f"/admin/archive/{photo.id}/retire", form_url=archive_url(household))
    assert response.status_code == 302
    db.session.refresh(photo)
    assert photo.retired_at is not None
    page = client.get(archive_url(household)).get_data(as_text=True)
    assert "已停用" in page
    assert client.get(f"/admin/archive/{photo.id}").status_code == 200  # still viewable: the archive is permanent

    post(client, f"/admin/archive/{photo.id}/retire", form_url=archive_url(household))
    assert len(audit_rows("archive.retire")) == 1
    assert photo_count() == 1


@pytest.fixture
def filed(home):
    """An ID card already in the archive (as if uploaded earlier)."""
    village, household = home
    image = photos.clean_image(jpeg())
    photo = photos.store(image, village_id=village.id, purpose=PhotoPurpose.ID_CARD, uploaded_by="测试",
                         household_id=household.id, villager_id=household.head.id, caption="正面")  # fmt: skip
    db.session.commit()
    return photo


@pytest.mark.parametrize("role", ["work_team", "group_leader", "coop_clerk"])
def test_roles_without_archive_permission_get_403_and_leave_no_view(client, home, filed, role):
    village, household = home
    group_id = household.group_id if role == "group_leader" else None
    login(client, make_account(village, role, group_id=group_id))
    assert client.get(f"/admin/archive/{filed.id}").status_code == 403
    assert client.get(archive_url(household)).status_code == 403
    assert post(client, f"/admin/archive/{filed.id}/retire").status_code == 403
    assert audit_rows("archive.view") == []
    db.session.refresh(filed)
    assert filed.retired_at is None


def test_another_villages_cadre_gets_404_for_everything(client, home, filed):
    _, household = home
    login(client, make_account(make_village("乙村"), "village_admin"))
    assert client.get(f"/admin/archive/{filed.id}").status_code == 404
    assert client.get(archive_url(household)).status_code == 404
    assert post(client, f"/admin/archive/{filed.id}/retire").status_code == 404
    assert post(client, archive_url(household), {"kind": "hukou"}).status_code == 404
    assert audit_rows("archive.view") == [] and photo_count() == 1
    db.session.refresh(filed)
    assert filed.retired_at is None


def test_only_archive_photos_are_served_by_the_archive_route(client, home, cadre):
    village, _ = home
    visit_photo = photos.store(photos.clean_image(jpeg()), village_id=village.id, purpose=PhotoPurpose.VISIT,
                               uploaded_by="测试")  # fmt: skip
    db.session.commit()
    assert client.get(f"/admin/archive/{visit_photo.id}").status_code == 404
    assert client.get("/admin/archive/99999999999999999999999").status_code == 404


def test_a_town_admin_views_a_photo_of_a_village_in_the_town(client, home, filed):
    village, _ = home
    login(client, make_account(village.parent, "town_admin", totp=True))
    assert client.get(f"/admin/archive/{filed.id}").status_code == 200
    [view] = audit_rows("archive.view")
    assert view.actor.startswith("测试townadmin")
