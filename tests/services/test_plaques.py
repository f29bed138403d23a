"""Household plaques: the QR scans, Chinese prints as real glyphs, the layout holds, the PDF prints."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from app.services import plaques
from app.services.plaques import PlaqueContent, find_cjk_font, render_plaque, write_pdf

URL = "https://cwt.example.cn/h/DC-0315"
MOTTO_60 = "家和万事兴勤俭持家久孝老爱亲传家风邻里和睦互帮扶诚实守信立人品尊老爱幼传美德遵纪守法做良民耕读传家代代兴爱党爱国感党恩！"


def gen_content(**overrides) -> PlaqueContent:
    """A typical household; override any field."""
    fields = dict(
        village_name="大苍村",
        group_label="第3组",
        household_number="DC-0315",
        head_name="李秀英",
        url=URL,
        motto="家和万事兴，勤俭持家久，孝老爱亲传家风。",
        honour="道德模范之家",
    )
    return PlaqueContent(**{**fields, **overrides})


def as_png(image: Image.Image, tmp_path, name="plaque.png") -> Image.Image:
    """Round-trip through a PNG file, as a print shop would receive it."""
    path = tmp_path / name
    image.save(path, dpi=(300, 300))
    return Image.open(path)


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def count_colour(image: Image.Image, colour, tolerance=12) -> int:
    """Pixels within ``tolerance`` of ``colour`` on every channel."""
    bands = [
        band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
        for band, c in zip(image.split(), colour, strict=True)
    ]
    mask = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    return mask.histogram()[255]


@pytest.fixture(scope="module")
def plaque(tmp_path_factory) -> Image.Image:
    return as_png(render_plaque(gen_content()), tmp_path_factory.mktemp("plaque")).convert("RGB")


def test_plaque_is_print_size_rgb(plaque):
    assert plaque.mode == "RGB"
    assert plaque.size == (1181, 1654)  # 10 x 14 cm at 300 dpi


def test_qr_code_decodes_to_the_household_url(plaque):
    [code] = decode(plaque)
    assert code.text == URL
    assert code.ec_level == "H"


def test_qr_modules_are_whole_pixels_with_a_quiet_zone(plaque):
    [code] = decode(plaque)
    left, top = code.position.top_left.x, code.position.top_left.y
    side = code.position.top_right.x - left
    modules = 17 + 4 * int(code.extra["Version"])
    assert side % modules == 0
    module = side // modules
    grey = plaque.convert("L")
    # The top row of the finder pattern is exactly 7 dark modules.
    run = next(i for i in range(side) if grey.getpixel((left + i, top + module // 2)) > 128)
    assert run == 7 * module
    quiet = grey.crop((left - 4 * module, top - 4 * module, left + side + 4 * module, top + side + 4 * module))
    quiet.paste(255, (4 * module, 4 * module, 4 * module + side, 4 * module + side))
    assert quiet.getextrema()[0] >= 250  # nothing printed within 4 modules of the code


def test_qr_code_still_scans_when_weathered(plaque, tmp_path):
    [code] = decode(plaque)
    left, top = code.position.top_left.x, code.position.top_left.y
    side = code.position.top_right.x - left
    # A mud splash over 15% of the code's area, away from the finder patterns.
    soiled = plaque.copy()
    block = int(side * 0.15**0.5)
    x0, y0 = left + side // 2 - block // 2, top + side // 2 - block // 3
    ImageDraw.Draw(soiled).rectangle((x0, y0, x0 + block, y0 + block), fill=(120, 95, 60))
    assert [c.text for c in decode(as_png(soiled, tmp_path, "soiled.png"))] == [URL]
    # Faded, blurred and photographed at a lower resolution.
    faded = plaque.filter(ImageFilter.GaussianBlur(4)).resize((590, 827)).point(lambda v: 90 + v * 0.6)
    assert [c.text for c in decode(as_png(faded, tmp_path, "faded.png"))] == [URL]


def test_the_font_has_every_character_printed():
    content = gen_content(motto=MOTTO_60, head_name="欧阳建国", group_label="第十二组")
    text = "".join(
        [
            content.slogan,
            content.motto,
            content.honour,
            content.village_name,
            content.group_label,
            content.household_number,
            content.head_name,
            plaques.FOOTER,
            "户号户主家风家训",
        ]
    )
    path = find_cjk_font()
    with TTFont(path, fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap()
    assert [c for c in text if not c.isspace() and ord(c) not in cmap] == []
    assert plaques.missing_glyphs(text) == ""


def test_chinese_characters_render_as_distinct_glyphs_not_tofu():
    font = ImageFont.truetype(find_cjk_font(), 64, index=0)
    missing = "\U000f0000"  # private use: no font draws it, so it shows the tofu box
    assert plaques.missing_glyphs(missing) == missing

    def bitmap(char):
        image = Image.new("L", (80, 80), 0)
        ImageDraw.Draw(image).text((8, 4), char, font=font, fill=255)
        return image

    tofu = bitmap(missing).tobytes()
    seen = set()
    for char in "乡村振兴美丽大苍户主积分":
        pixels = bitmap(char).tobytes()
        assert any(pixels), char
        assert pixels != tofu, char
        seen.add(pixels)
    assert len(seen) == len("乡村振兴美丽大苍户主积分")


def test_slogan_is_drawn_in_the_header(plaque):
    header = plaque.crop((60, 40, 1121, 220))
    assert count_colour(header, plaques.GOLD, tolerance=20) > 20_000
    other = render_plaque(gen_content(slogan="绿水青山就是金山银山")).crop((60, 40, 1121, 220))
    assert ImageChops.difference(header, other).getbbox() is not None


def test_honour_badge_only_when_honoured():
    with_badge = render_plaque(gen_content())
    without = render_plaque(gen_content(honour=None))
    assert count_colour(with_badge, plaques.BADGE_GOLD) > 10_000
    assert count_colour(without, plaques.BADGE_GOLD) < 50  # stray antialiased pixels at most


@pytest.mark.parametrize(
    "motto",
    [MOTTO_60, "勤劳致富不忘本，诚实守信立人品。" * 15, "Diligence and honesty " * 8],
    ids=["60-chars", "240-chars", "latin"],
)
def test_long_mottos_are_wrapped_inside_the_plaque(motto):
    image = render_plaque(gen_content(motto=motto, honour="2024年度县级五星级文明户示范户"))
    ink = count_colour(image, plaques.INK, tolerance=40)
    assert ink > 5_000
    mask = Image.eval(image.convert("L"), lambda v: 255 if v < 60 else 0)  # near-black text and QR
    left, _, right, bottom = mask.getbbox()
    assert left >= 90 and right <= image.width - 90
    assert bottom < image.height - 40


def test_sixty_character_motto_is_not_shortened(caplog):
    assert len(MOTTO_60) == 60
    with caplog.at_level(logging.WARNING, logger=plaques.__name__):
        render_plaque(gen_content(motto=MOTTO_60, honour=None))
    assert "shortened" not in caplog.text


def test_overlong_motto_is_shortened_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger=plaques.__name__):
        render_plaque(gen_content(motto="忠厚传家久，诗书继世长。" * 30))
    assert "shortened" in caplog.text


def test_write_pdf_puts_two_plaques_on_each_a4_page(tmp_path):
    path = tmp_path / "plaques.pdf"
    images = (render_plaque(gen_content(household_number=f"DC-{i:04d}")) for i in range(5))
    assert write_pdf(images, path) == 3
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 3
    assert len(re.findall(rb"/MediaBox \[ 0 0 841.92 595.2 \]", data)) == 3  # A4 landscape in points


def test_write_pdf_refuses_an_empty_batch(tmp_path):
    with pytest.raises(ValueError):
        write_pdf([], tmp_path / "empty.pdf")


@pytest.fixture
def fresh_font_lookup():
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


def test_font_lookup_skips_fonts_without_chinese(fresh_font_lookup, monkeypatch, tmp_path):
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.exists():  # any file without Chinese glyphs will do
        latin = tmp_path / "latin.ttf"
        latin.write_bytes(b"not a font")
    monkeypatch.setenv("PLAQUE_FONT", str(latin))
    monkeypatch.setattr(plaques, "_fc_match", lambda: str(latin))
    assert plaques.missing_glyphs("乡村振兴", find_cjk_font()) == ""


def test_font_lookup_fails_clearly_without_a_chinese_font(fresh_font_lookup, monkeypatch):
    monkeypatch.delenv("PLAQUE_FONT", raising=False)
    monkeypatch.setattr(plaques, "_fc_match", lambda: None)
    monkeypatch.setattr(plaques, "_KNOWN_FONTS", ())
    monkeypatch.setattr(plaques.glob, "glob", lambda *a, **k: [])
    with pytest.raises(RuntimeError, match="找不到中文字体"):
        find_cjk_font()
