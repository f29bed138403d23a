"""Uploaded photos: checked by content, re-encoded, stripped of metadata, capped, stored encrypted
(R5, P2 evidence, R6); and served back watermarked with who looked and when.

Re-encoding through Pillow is the safety step: whatever the upload carried (EXIF with GPS, a
script appended after the image, a polyglot file) is not in the JPEG we write.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from app.errors import ValidationError
from app.extensions import db
from app.models import Photo

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo is the largest we open
# What decoding may cost, counted at 4 bytes a pixel (how Pillow holds RGB, RGBA, CMYK …; a
# palette image is turned into RGBA before it is shrunk). Pixels alone are not enough: a 150 KB
# PNG of 6000×6000 plain RGBA pixels is under MAX_PIXELS and used to take ~400 MB to clean. A
# JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's draft mode) straight to about STORED_SIDE,
# so a 40 MP photo costs ~40 MB; PNG and WebP have no such mode and are held to this budget.
MAX_DECODED_BYTES = 48 * 1024 * 1024
MIN_SIDE = 32
STORED_SIDE = 2000  # longest side kept: legible for an ID card, small to store and serve
ACCEPTED = {"JPEG": "JPG", "PNG": "PNG", "WEBP": "WebP"}
PER_UPLOAD = 9  # photos one form may carry, like a WeChat moment
TOO_MANY_PIXELS = "照片像素太多了，请用手机正常拍的照片。"


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def clean_image(raw: bytes) -> CleanImage:
    """Check an upload by its content and return it re-encoded as a plain JPEG."""
    if not raw:
        raise ValidationError("没有收到照片，请重新选择。", field="photos")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError(f"照片太大了，每张不能超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。", field="photos")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw))
            kind = probe.format
            width, height = probe.size
            if kind not in ACCEPTED:
                raise ValidationError("只能上传 JPG、PNG 或 WebP 格式的照片。", field="photos")
            if width * height > MAX_PIXELS:
                raise ValidationError(TOO_MANY_PIXELS, field="photos")
            if getattr(probe, "n_frames", 1) > 1:  # an animated PNG or WebP: every frame costs a decode
                raise ValidationError("只能上传一张静止的照片，不能是动图。", field="photos")
            probe.verify()  # structure check; the image must be opened again to use it
            image = _decoded(Image.open(io.BytesIO(raw)))
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # A tiny file that claims enormous dimensions: refused before any pixel is decoded.
        raise ValidationError(TOO_MANY_PIXELS, field="photos") from None
    except UnidentifiedImageError:
        raise ValidationError("这个文件不是照片，或者照片已损坏。", field="photos") from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError("照片已损坏，打不开，请重新拍一张。", field="photos") from None
    if min(width, height) < MIN_SIDE:
        raise ValidationError("照片太小了，看不清。", field="photos")
    # Shrunk first, so turning it upright and flattening it work on the small copy only.
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")  # a palette image would otherwise be shrunk without smoothing
    image.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    try:
        image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
    except Exception:  # a malformed EXIF block: keep the pixels as shot; the EXIF goes anyway
        image = image.copy()
    image = _flatten(image)
    # Pillow copies some metadata from ``info`` on save (a JPEG comment, for one): start empty.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif=…: nothing of the original's metadata
    return CleanImage(out.getvalue(), image.width, image.height)


def _decoded(image: Image.Image) -> Image.Image:
    """The pixels, once what decoding them costs is known to be within MAX_DECODED_BYTES."""
    if image.format == "JPEG":
        image.draft(None, (STORED_SIDE, STORED_SIDE))  # decode at the smallest scale still ≥ STORED_SIDE
    if image.width * image.height * 4 > MAX_DECODED_BYTES:
        raise ValidationError(TOO_MANY_PIXELS, field="photos")
    image.load()
    return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def clean_uploads(files) -> list[CleanImage]:
    """Every non-empty upload of a form field, cleaned; one bad file refuses them all."""
    chosen = [f for f in files if f and getattr(f, "filename", "")]
    if len(chosen) > PER_UPLOAD:
        raise ValidationError(f"一次最多上传 {PER_UPLOAD} 张照片。", field="photos")
    return [clean_image(f.read(MAX_UPLOAD_BYTES + 1)) for f in chosen]


def store(image: CleanImage, *, village_id: int, purpose: str, uploaded_by: str, **links) -> Photo:
    """Add a photo to the session (encrypted by the column type); the caller commits."""
    photo = Photo(
        village_id=village_id,
        purpose=purpose,
        uploaded_by=uploaded_by,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size_bytes=len(image.data),
        data=image.data,
        **links,
    )
    db.session.add(photo)
    return photo


def watermarked(photo: Photo, viewer: str, at: datetime) -> bytes:
    """The photo with the viewer's name and the time laid across it, so a leaked copy says whose."""
    image = Image.open(io.BytesIO(photo.data)).convert("RGBA")
    text = f"{viewer} {at:%Y-%m-%d %H:%M} 仅供村务使用"
    size = max(16, image.width // 28)
    font = _watermark_font(size)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    step_x = int(draw.textlength(text, font=font)) + size * 2
    step_y = size * 5
    for row, y in enumerate(range(-step_y, image.height + step_y, step_y)):
        for x in range(-step_x + (row % 2) * step_x // 2, image.width + step_x, step_x):
            draw.text((x, y), text, font=font, fill=(200, 30, 30, 90))
    layer = layer.rotate(20, resample=Image.Resampling.BICUBIC, center=(image.width / 2, image.height / 2))
    merged = Image.alpha_composite(image, layer).convert("RGB")
    out = io.BytesIO()
    merged.save(out, format="JPEG", quality=80)
    return out.getvalue()


@functools.cache
def _watermark_font(size: int) -> ImageFont.FreeTypeFont:
    """The plaques' CJK font, looked up once (finding it runs fc-match) and kept per size."""
    from app.services.plaques import find_cjk_font

    return ImageFont.truetype(find_cjk_font(), size)
