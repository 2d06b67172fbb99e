"""Pictures for the demo catalog, drawn with Pillow at seed time (nothing is downloaded):
a flat illustration in its category's colours with the product's name across it."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 900)
# background, motif, text
PALETTES = {
    "coffee": ((92, 58, 38), (196, 142, 94), (255, 244, 230)),
    "tea": ((46, 94, 62), (151, 200, 120), (244, 255, 240)),
    "brewing": ((38, 70, 110), (140, 180, 220), (240, 248, 255)),
    "mugs": ((150, 70, 60), (235, 170, 140), (255, 245, 240)),
    "gifts": ((110, 50, 110), (230, 170, 220), (255, 240, 252)),
}
DEFAULT = ((70, 70, 70), (180, 180, 180), (255, 255, 255))


def _bean(draw: ImageDraw.ImageDraw, x: int, y: int, r: int, colour) -> None:
    draw.ellipse((x - r, y - int(r * 1.35), x + r, y + int(r * 1.35)), fill=colour)
    draw.arc((x - r // 3, y - int(r * 1.2), x + r // 3, y + int(r * 1.2)), 100, 260,
             fill=(0, 0, 0), width=max(2, r // 8))


def _leaf(draw: ImageDraw.ImageDraw, x: int, y: int, r: int, colour) -> None:
    draw.chord((x - r, y - r * 2, x + r * 3, y + r * 2), 120, 240, fill=colour)
    draw.line((x, y - r, x + r // 2, y + r), fill=(0, 0, 0), width=max(2, r // 10))


def _cup(draw: ImageDraw.ImageDraw, x: int, y: int, r: int, colour) -> None:
    draw.rounded_rectangle((x - r, y - r, x + r, y + r), radius=r // 4, fill=colour)
    draw.arc((x + r - r // 3, y - r // 2, x + r + r // 2, y + r // 2), 270, 90, fill=colour,
             width=max(3, r // 5))


def _box(draw: ImageDraw.ImageDraw, x: int, y: int, r: int, colour) -> None:
    draw.rectangle((x - r, y - r, x + r, y + r), fill=colour)
    draw.rectangle((x - r // 6, y - r, x + r // 6, y + r), fill=(255, 255, 255))
    draw.rectangle((x - r, y - r // 6, x + r, y + r // 6), fill=(255, 255, 255))


MOTIFS = {"coffee": _bean, "tea": _leaf, "brewing": _cup, "mugs": _cup, "gifts": _box}


def draw_product(name: str, category: str) -> bytes:
    """A PNG of ``SIZE``: the category's motif scattered over its colour, ``name`` on a band."""
    background, motif_colour, text_colour = PALETTES.get(category, DEFAULT)
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    motif = MOTIFS.get(category, _box)
    seed = sum(map(ord, name))
    for n in range(7):
        x = 120 + (seed * (n + 3) * 37) % 960
        y = 110 + (seed * (n + 5) * 53) % 420
        motif(draw, x, y, 40 + (seed + n * 17) % 50, motif_colour)
    draw.rectangle((0, 600, SIZE[0], SIZE[1]), fill=tuple(c // 2 for c in background))
    font = ImageFont.load_default(size=_font_size(draw, name))
    draw.text((SIZE[0] // 2, 750), name, fill=text_colour, font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _font_size(draw: ImageDraw.ImageDraw, name: str) -> int:
    size = 96
    while size > 28:
        left, _, right, _ = draw.textbbox((0, 0), name, font=ImageFont.load_default(size=size))
        if right - left <= SIZE[0] - 120:
            return size
        size -= 8
    return size
