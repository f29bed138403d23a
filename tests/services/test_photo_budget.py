"""An upload is refused by what decoding it would cost, not only by its pixel count (issue 9, item 7).

A 6000×6000 PNG of one colour compresses to ~140 KB and is under MAX_PIXELS; cleaning it used to
take ~400 MB. It must be refused with a Chinese message before a pixel is decoded: the test
measures the peak memory of a fresh process around the call (Pillow allocates outside Python's
allocator, so tracemalloc would not see it).
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from app.errors import ValidationError
from app.services import photos

SIDE = 6000


def plain_png(side: int, mode_bytes: bytes = b"\x28\x78\xc8\xff") -> bytes:
    """A ``side``×``side`` RGBA PNG of one colour, compressed row by row (never held whole)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    squeeze, row, idat = zlib.compressobj(9), b"\0" + mode_bytes * side, []
    for _ in range(side):
        idat.append(squeeze.compress(row))
    idat.append(squeeze.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


MEASURE = r"""
import resource, sys
from app.errors import ValidationError
import pytest
from PIL import Image

from app.errors import ValidationError
from app.services import photos
raw = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    photos.clean_image(raw)
    outcome = "accepted"
except ValidationError as error:
    outcome = error.message
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown // 1024, outcome)
"""


def test_a_small_png_with_costly_pixels_is_refused_without_decoding_it(tmp_path):
    raw = plain_png(SIDE)
    assert len(raw) < 200 * 1024 and SIDE * SIDE < photos.MAX_PIXELS  # passes the size and pixel caps
    (tmp_path / "bomb.png").write_bytes(raw)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path / "bomb.png")],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    grown_mb, outcome = done.stdout.strip().split(" ", 1)
    assert int(grown_mb) < 20, f"cleaning took {grown_mb} MB more ({outcome})"
    assert "照片像素太多了" in outcome


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animated_picture_is_refused(fmt):
    out = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue", "green")]
    frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(ValidationError, match="不能是动图"):
        photos.clean_image(out.getvalue())


def test_a_large_phone_photo_is_still_accepted_decoded_at_a_smaller_scale():
    out = io.BytesIO()
    Image.new("L", (5000, 4000), 128).save(out, format="JPEG", quality=70)
    assert 5000 * 4000 * 4 > photos.MAX_DECODED_BYTES  # at full scale it would be over the budget
    cleaned = photos.clean_image(out.getvalue())
    assert (cleaned.width, cleaned.height) == (photos.STORED_SIDE, 1600)
