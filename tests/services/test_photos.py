"""Uploaded photos: checked by content, re-encoded to a plain JPEG, metadata gone, capped, encrypted
at rest, and watermarked when served."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

import pytest
from PIL import Image, ImageChops
from sqlalchemy import text
from werkzeug.datastructures import FileStorage

from app.errors import ValidationError
from app.extensions import db as _db
from app.models import Photo, PhotoPurpose
from app.services import photos
from tests.helpers import make_village

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def picture(fmt: str = "JPEG", size=(320, 200), color=(40, 120, 200), mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def upload(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/jpeg")


def refused(raw: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        photos.clean_image(raw)
    return caught.value.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_and_come_out_as_jpeg(fmt):
    clean = photos.clean_image(picture(fmt))
    assert clean.data[:3] == b"\xff\xd8\xff"
    image = opened(clean.data)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert (clean.width, clean.height) == image.size == (320, 200)
    assert clean.content_type == "image/jpeg"


def test_exif_with_gps_and_comments_are_gone():
    exif = Image.Exif()
    exif[MAKE] = "SecretPhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (28.0, 23.0, 11.0), 3: "E", 4: (111.0, 13.0, 5.0)}
    raw = picture("JPEG", exif=exif, comment=b"hidden-comment")
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)  # the upload really carried GPS

    clean = photos.clean_image(raw)
    image = opened(clean.data)
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in clean.data and b"SecretPhoneMaker" not in clean.data
    assert b"hidden-comment" not in clean.data and "comment" not in image.info


def test_an_exif_rotated_photo_comes_out_upright():
    # Stored sideways: red on the left, blue on the right; orientation 6 = turn 90° clockwise to view.
    sideways = Image.new("RGB", (200, 100), (255, 0, 0))
    sideways.paste((0, 0, 255), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    sideways.save(out, format="JPEG", exif=exif, quality=95)

    clean = photos.clean_image(out.getvalue())
    image = opened(clean.data)
    assert image.size == (100, 200)  # portrait, as the phone showed it
    top, bottom = image.getpixel((50, 20)), image.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60  # red is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert ORIENTATION not in image.getexif()


def test_a_transparent_png_is_flattened_onto_white():
    clean = photos.clean_image(picture("PNG", mode="RGBA", color=(0, 0, 0, 0)))
    assert all(channel > 245 for channel in opened(clean.data).getpixel((10, 10)))


def test_a_text_file_renamed_jpg_is_refused():
    fake = upload(b"name,id\n" * 200, "身份证.jpg")
    with pytest.raises(ValidationError) as caught:
        photos.clean_uploads([fake])
    assert "不是照片" in caught.value.message


def test_another_image_format_is_refused():
    assert "JPG、PNG 或 WebP" in refused(picture("GIF"))


def test_a_truncated_photo_is_refused():
    raw = picture("JPEG", size=(800, 600), color=(10, 200, 30), quality=95)
    assert "损坏" in refused(raw[: len(raw) // 2])
    png = picture("PNG", size=(400, 300))
    assert "损坏" in refused(png[: len(png) - 40])


def _png_header_only(width: int, height: int) -> bytes:
    """A few hundred bytes that claim ``width``×``height`` pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [30_000, 8_000])  # beyond Pillow's own bomb limit, and beyond ours only
def test_a_decompression_bomb_is_refused_before_decoding(side):
    raw = _png_header_only(side, side)
    assert len(raw) < 1000
    assert "像素太多" in refused(raw)


def test_too_many_bytes_are_refused():
    assert "太大" in refused(b"\xff\xd8\xff" + b"\0" * photos.MAX_UPLOAD_BYTES)
    big = upload(b"\xff\xd8\xff" + b"\0" * (photos.MAX_UPLOAD_BYTES + 10))
    with pytest.raises(ValidationError, match="太大"):
        photos.clean_uploads([big])


def test_a_tiny_image_and_too_many_files_are_refused():
    assert "太小" in refused(picture("PNG", size=(20, 20)))
    with pytest.raises(ValidationError, match="最多"):
        photos.clean_uploads([upload(picture()) for _ in range(photos.PER_UPLOAD + 1)])


def test_empty_file_fields_are_skipped():
    empty = FileStorage(stream=io.BytesIO(b""), filename="")
    cleaned = photos.clean_uploads([empty, upload(picture())])
    assert len(cleaned) == 1


def test_stored_bytes_are_encrypted_but_the_model_reads_the_jpeg(db):
    village = make_village()
    clean = photos.clean_image(picture())
    photo = photos.store(clean, village_id=village.id, purpose=PhotoPurpose.VISIT, uploaded_by="测试")
    db.session.commit()
    photo_id = photo.id

    raw = bytes(db.session.execute(text("SELECT data FROM photos WHERE id = :id"), {"id": photo_id}).scalar_one())
    assert raw != clean.data
    assert b"\xff\xd8\xff" not in raw[:16] and b"JFIF" not in raw

    db.session.expunge_all()
    again = _db.session.get(Photo, photo_id)
    assert again.data == clean.data
    assert (again.width, again.height, again.size_bytes) == (320, 200, len(clean.data))


def test_the_watermark_changes_the_pixels_and_keeps_the_size(db):
    village = make_village()
    clean = photos.clean_image(picture(size=(900, 600), color=(250, 250, 250)))
    photo = photos.store(clean, village_id=village.id, purpose=PhotoPurpose.ID_CARD, uploaded_by="测试")
    db.session.commit()

    marked = photos.watermarked(photo, "张会计(zhangkj)", datetime(2026, 5, 1, 9, 30))
    original, stamped = opened(clean.data), opened(marked)
    assert stamped.format == "JPEG" and stamped.size == original.size
    difference = ImageChops.difference(original.convert("RGB"), stamped.convert("RGB")).getbbox()
    assert difference is not None
    # Laid across the whole picture, not in one corner a crop would remove.
    left, top, right, bottom = difference
    assert right - left > original.width * 0.8 and bottom - top > original.height * 0.8
