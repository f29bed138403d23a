"""Household QR plaques (一户一码门牌): pure rendering to images and a print-ready PDF."""

from __future__ import annotations

import functools
import glob
import logging
import math
import os
import re
import shutil
import subprocess  # nosec B404  # fc-match only, below: fixed arguments, no shell
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import qrcode
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin

log = logging.getLogger(__name__)

DPI = 300
PLAQUE_SIZE = (1181, 1654)  # 10 cm x 14 cm at 300 dpi
A4_LANDSCAPE = (3508, 2480)  # 297 mm x 210 mm at 300 dpi
DEFAULT_SLOGAN = "乡村振兴强国梦 美丽大苍在行动"
FOOTER = "微信扫一扫 查看我家积分"

RED = (190, 22, 34)
GOLD = (250, 208, 96)  # text and rules on red
BADGE_GOLD = (212, 160, 23)  # used only by the honour badge, so it can be found in a print
INK = (35, 28, 28)
GREY = (110, 100, 100)
WHITE = (255, 255, 255)

_SAMPLE = "乡村振兴户主积分"
_KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
# Closing punctuation must not start a line (避头点), or a wrapped motto reads badly.
_NO_LINE_START = set("，。、；：！？）」』》”’,.;:!?)")
_PHRASE = re.compile(r"[^，。；！？、,;!? ]*[，。；！？、,;!? ]*")


@dataclass(frozen=True, kw_only=True)
class PlaqueContent:
    """Everything printed on one household's plaque."""

    village_name: str
    slogan: str = DEFAULT_SLOGAN
    motto: str | None = None  # 家风家训, up to ~60 characters
    honour: str | None = None  # e.g. 道德模范之家; the badge is drawn only when set
    household_number: str
    head_name: str
    group_label: str
    url: str


@functools.cache
def _cmap(path: str) -> frozenset[int]:
    """Code points of face 0 of a font file (empty if it cannot be read)."""
    try:
        with TTFont(path, fontNumber=0, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # a broken or non-font file is simply not a candidate
        log.debug("cannot read font %s", path, exc_info=True)
        return frozenset()


def missing_glyphs(text: str, font_path: str | None = None) -> str:
    """Characters of ``text`` the plaque font cannot draw (they would print as tofu boxes)."""
    cmap = _cmap(font_path or find_cjk_font())
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in cmap}))


def _fc_match() -> str | None:
    if not shutil.which("fc-match"):
        return None
    try:
        command = ["fc-match", "-f", "%{file}", ":lang=zh"]  # fontconfig's tool, found on PATH by design
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)  # nosec B603  # fixed arguments, no shell
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@functools.cache
def find_cjk_font() -> str:
    """Path of a font with Chinese glyphs: $PLAQUE_FONT, then fc-match, then well-known paths."""
    configured = os.environ.get("PLAQUE_FONT")
    # fc-match answers with a Latin font when no CJK font is installed, so every candidate is checked.
    candidates = [configured, _fc_match(), *_KNOWN_FONTS]
    candidates += sorted(glob.glob("/usr/share/fonts/**/Noto*CJK*.tt[cf]", recursive=True))
    for path in candidates:
        if path and os.path.isfile(path) and not missing_glyphs(_SAMPLE, path):
            log.info("plaque font: %s", path)
            return path
        if path and path == configured:
            log.warning("PLAQUE_FONT=%s has no Chinese glyphs; looking elsewhere", path)
    raise RuntimeError("找不到中文字体 (no CJK font): install fonts-wqy-zenhei")


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(find_cjk_font(), size, index=0)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Wrap measured with the font: after punctuation where it can, between characters where it must."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for phrase in _PHRASE.findall(paragraph):
            if font.getlength((line + phrase).rstrip()) <= width:
                line += phrase
                continue
            if line:
                lines.append(line.rstrip())
            line = ""
            for char in phrase:
                if not line or font.getlength((line + char).rstrip()) <= width:
                    line += char
                elif char in _NO_LINE_START and len(line) > 1:
                    lines.append(line[:-1])
                    line = line[-1] + char
                else:
                    lines.append(line.rstrip())
                    line = char.lstrip()
        lines.append(line.rstrip())
    return lines


def _fit(text: str, width: int, height: int, largest: int, smallest: int, leading: float = 1.3):
    """(font, lines, line height) at the largest size where ``text`` fits the box, lines balanced."""
    for size in range(largest, smallest - 1, -2):
        font = _font(size)
        lines = _wrap(text, font, width)
        if len(lines) * size * leading <= height and all(font.getlength(x) <= width for x in lines):
            break
    else:  # even the smallest size overflows: cut, rather than print off the plaque
        log.warning("plaque text too long, shortened: %s", text)
        lines = lines[: max(1, int(height // (size * leading)))]
        while lines[-1] and font.getlength(lines[-1] + "…") > width:
            lines[-1] = lines[-1][:-1]
        return font, [*lines[:-1], lines[-1] + "…"], int(size * leading)

    # Narrow the measure while the line count and phrase breaks hold, so 21 characters wrap 11 + 10, not 20 + 1.
    def mid_phrase(lines: list[str]) -> int:
        return sum(1 for line in lines[:-1] if line and line[-1] not in _NO_LINE_START)

    def holds(measure: int) -> bool:
        trial = _wrap(text, font, measure)
        return len(trial) <= len(lines) and mid_phrase(trial) <= mid_phrase(lines)

    low, high = min(width, int(max(font.getlength(c) for c in text if c != "\n")) + 1), width
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if holds(mid) else (mid + 1, high)
    return font, _wrap(text, font, high), int(size * leading)


def _draw_lines(draw, lines, font, line_h, cx, top, fill, bold=False) -> None:
    # A stroke in the text colour is a faux bold: the CJK fonts found on servers usually have one weight.
    weight = {"stroke_width": 2, "stroke_fill": fill} if bold else {}
    for i, line in enumerate(lines):
        draw.text((cx, top + line_h * (i + 0.5)), line, font=font, fill=fill, anchor="mm", **weight)


def _qr(url: str, target: int) -> tuple[Image.Image, int]:
    """Black-on-white QR, level H, 4-module quiet zone, whole pixels per module; also the quiet zone in px."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, box_size=1, border=4)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    box = max(4, target // modules)  # never below 4 px (~0.34 mm) per module, or phones struggle
    return small.resize((modules * box, modules * box), Image.NEAREST).convert("RGB"), 4 * box


def _star(cx: float, cy: float, outer: float, inner: float, points: int) -> list[tuple[float, float]]:
    angles = [math.pi * i / points for i in range(2 * points)]
    radii = [outer, inner] * points
    return [(cx + r * math.sin(a), cy - r * math.cos(a)) for a, r in zip(angles, radii, strict=True)]


def _badge(draw: ImageDraw.ImageDraw, honour: str, cx: int, top: int, height: int) -> None:
    """Red ribbon between two gold rosettes, carrying the honour in gold."""
    radius, band = height // 2, int(height * 0.62)
    font, lines, line_h = _fit(honour, PLAQUE_SIZE[0] - 420, band, 56, 28)
    half = max(font.getlength(x) for x in lines) / 2 + radius * 1.2
    cy = top + height // 2
    draw.rectangle((cx - half, cy - band / 2, cx + half, cy + band / 2), fill=RED, outline=BADGE_GOLD, width=5)
    _draw_lines(draw, lines, font, line_h, cx, cy - line_h * len(lines) / 2, GOLD, bold=True)
    for x in (cx - half, cx + half):
        draw.polygon(_star(x, cy, radius, radius * 0.86, 18), fill=BADGE_GOLD)
        draw.ellipse((x - radius * 0.66, cy - radius * 0.66, x + radius * 0.66, cy + radius * 0.66), fill=RED)
        draw.polygon(_star(x, cy, radius * 0.5, radius * 0.2, 5), fill=BADGE_GOLD)


def _motto_box(draw: ImageDraw.ImageDraw, motto, cx: int, y: float, height: int) -> None:
    """Double frame (red outside, gold inside) titled 家风家训, with the motto centred in it."""
    font, lines, line_h = motto
    half = max(font.getlength(x) for x in lines) / 2 + 70
    draw.rectangle((cx - half, y + 10, cx + half, y + height), outline=RED, width=5)
    draw.rectangle((cx - half + 10, y + 20, cx + half - 10, y + height - 10), outline=GOLD, width=2)
    label = _font(34)
    label_half = label.getlength("家风家训") / 2 + 20
    draw.rectangle((cx - label_half, y - 12, cx + label_half, y + 32), fill=RED)
    draw.text((cx, y + 10), "家风家训", font=label, fill=GOLD, anchor="mm")
    _draw_lines(draw, lines, font, line_h, cx, y + 55, INK)


def render_plaque(content: PlaqueContent) -> Image.Image:
    """Draw one 10 x 14 cm plaque as an RGB image at 300 dpi (1181 x 1654 px)."""
    fields = (content.slogan, content.motto, content.honour, content.village_name, content.group_label)
    if missing := missing_glyphs("".join(filter(None, (*fields, content.household_number, content.head_name)))):
        log.warning("plaque font lacks %r; those characters will print as boxes", missing)
    w, h = PLAQUE_SIZE
    img = Image.new("RGB", PLAQUE_SIZE, WHITE)
    img.info["dpi"] = (DPI, DPI)
    draw = ImageDraw.Draw(img)
    cx, header, inner = w // 2, 230, w - 2 * 90

    # Frame and header band: red with gold rules, the way village notice boards are painted.
    draw.rectangle((0, 0, w - 1, h - 1), outline=RED, width=22)
    draw.rectangle((0, 0, w, header), fill=RED)
    draw.rectangle((36, 36, w - 37, h - 37), outline=GOLD, width=4)
    font, lines, line_h = _fit(content.slogan, w - 2 * 70, header - 80, 76, 40, 1.25)
    _draw_lines(draw, lines, font, line_h, cx, (header + 22 - line_h * len(lines)) / 2, GOLD, bold=True)

    def text_block(fitted, colour, bold=True):
        font, lines, line_h = fitted
        return line_h * len(lines), lambda y: _draw_lines(draw, lines, font, line_h, cx, y, colour, bold)

    # Measure every block first, then share the spare height evenly between them.
    qr, quiet = _qr(content.url, 620)
    blocks = [
        text_block(_fit(f"{content.village_name} · {content.group_label}", inner, 80, 64, 36), RED),
        # Half the quiet zone counts as gap: it is white either way, and every gap is wider than that half.
        (qr.height - quiet, lambda y: img.paste(qr, (cx - qr.width // 2, int(y - quiet / 2)))),
        text_block(_fit(f"户号 {content.household_number}　户主 {content.head_name}", inner, 80, 60, 34), INK),
    ]
    if content.honour:
        blocks.append((130, lambda y: _badge(draw, content.honour, cx, int(y), 130)))
    if content.motto:
        motto = _fit(content.motto, inner - 100, 250, 52, 30)
        motto_h = motto[2] * len(motto[1]) + 90
        blocks.append((motto_h, lambda y: _motto_box(draw, motto, cx, y, motto_h)))
    blocks.append(text_block(_fit(FOOTER, inner, 50, 38, 24), GREY, bold=False))
    top, bottom = header + 10, h - 50
    gap = (bottom - top - sum(height for height, _ in blocks)) / (len(blocks) + 1)
    y = top + gap
    for height, draw_block in blocks:
        draw_block(y)
        y += height + gap
    return img


def _a4_page(plaques: list[Image.Image]) -> Image.Image:
    """Up to two plaques side by side at actual size on landscape A4, with grey cut marks."""
    page = Image.new("RGB", A4_LANDSCAPE, WHITE)
    draw = ImageDraw.Draw(page)
    pw, ph = PLAQUE_SIZE
    gutter = 118  # 1 cm between plaques leaves room to cut
    left, top = (A4_LANDSCAPE[0] - 2 * pw - gutter) // 2, (A4_LANDSCAPE[1] - ph) // 2
    for i, plaque in enumerate(plaques):
        x = left + i * (pw + gutter)
        page.paste(plaque.convert("RGB").resize(PLAQUE_SIZE), (x, top))
        for cx, cy, sx, sy in ((x, top, -1, -1), (x + pw, top, 1, -1), (x, top + ph, -1, 1), (x + pw, top + ph, 1, 1)):
            draw.line((cx + sx * 20, cy, cx + sx * 80, cy), fill=(150, 150, 150), width=3)
            draw.line((cx, cy + sy * 20, cx, cy + sy * 80), fill=(150, 150, 150), width=3)
    return page


def write_pdf(images: Iterable[Image.Image], path: str | os.PathLike) -> int:
    """Write plaques two per landscape A4 page, at actual size, as a 300 dpi PDF; return the page count."""
    with tempfile.TemporaryDirectory(prefix="plaques-") as tmp:
        staged = Path(tmp) / "pages.tiff"
        pages = 0
        # Pillow's PDF writer wants every page up front; a multi-page TIFF on disk hands them over one
        # frame at a time, so a whole village (436 plaques, 218 pages) never sits in memory at once.
        with open(staged, "w+b") as fp, TiffImagePlugin.AppendingTiffWriter(fp) as tiff:
            plaques = iter(images)
            while pair := list(islice(plaques, 2)):
                _a4_page(pair).save(tiff, "TIFF", compression="tiff_lzw")
                tiff.newFrame()
                pages += 1
        if not pages:
            raise ValueError("no plaques to print")
        with Image.open(staged) as staged_pages:
            # 4:4:4 JPEG keeps the edges of red text and QR modules crisp in print.
            staged_pages.save(path, "PDF", save_all=True, resolution=DPI, quality=92, subsampling=0)
    log.info("wrote %d plaque pages to %s", pages, path)
    return pages
