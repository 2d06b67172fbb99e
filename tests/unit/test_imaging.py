"""Product pictures: the sizes made from an upload, upright and without metadata, and what
is refused (not an image, a damaged one, a decompression bomb). No app: bytes in, bytes out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shop.services.catalog.imaging import VARIANTS, InvalidImage, process, variant_size

LIMIT = 40_000_000


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_three_webp_sizes_from_a_large_picture():
    result = process(encoded(Image.new("RGB", (2000, 1500), (200, 80, 20)), "PNG"),
                     max_pixels=LIMIT)
    assert (result.extension, result.width, result.height) == ("png", 2000, 1500)
    assert [name for name, _ in VARIANTS] == list(result.variants) == ["thumb", "card", "full"]
    sizes = {name: opened(body).size for name, body in result.variants.items()}
    assert sizes == {"thumb": (160, 120), "card": (480, 360), "full": (1200, 900)}
    assert {opened(body).format for body in result.variants.values()} == {"WEBP"}
    # The colour survives (WebP is lossy: close, not equal).
    r, g, b = opened(result.variants["card"]).convert("RGB").getpixel((240, 180))
    assert abs(r - 200) < 12 and abs(g - 80) < 12 and abs(b - 20) < 12


def test_a_small_picture_is_never_enlarged():
    result = process(encoded(Image.new("RGB", (300, 200)), "JPEG"), max_pixels=LIMIT)
    sizes = {name: opened(body).size for name, body in result.variants.items()}
    assert sizes == {"thumb": (160, 107), "card": (300, 200), "full": (300, 200)}
    assert variant_size(300, 200, 1200) == (300, 200)


def test_transparency_is_kept():
    picture = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    result = process(encoded(picture, "PNG"), max_pixels=LIMIT)
    card = opened(result.variants["card"])
    assert card.mode == "RGBA" and card.getpixel((10, 10))[3] == 0


def test_exif_orientation_is_applied_and_every_metadata_dropped():
    # A phone's portrait photo: stored landscape, with "rotate 90° clockwise" in its EXIF,
    # and the place it was taken.
    photo = Image.new("RGB", (1600, 1200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "Phone maker"
    data = encoded(photo, "JPEG", exif=exif.tobytes())
    assert opened(data).getexif()[0x0112] == 6
    result = process(data, max_pixels=LIMIT)
    assert (result.width, result.height) == (1200, 1600)
    for body in result.variants.values():
        copy = opened(body)
        assert copy.height > copy.width
        assert dict(copy.getexif()) == {}
        assert "exif" not in copy.info and "icc_profile" not in copy.info
    assert opened(result.variants["full"]).size == (1200, 1600)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 100 megapixels of one colour: a few kilobytes of PNG, gigabytes once decoded.
    bomb = encoded(Image.new("1", (10_000, 10_000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(InvalidImage, match="10000 × 10000 pixels: upload one of at most 40"):
        process(bomb, max_pixels=LIMIT)


@pytest.mark.parametrize("data,message", [
    (b"<html><script>alert(1)</script></html>", "Upload a PNG, JPEG, GIF or WebP image."),
    (b"%PDF-1.7 not a picture", "Upload a PNG, JPEG, GIF or WebP image."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "could not be read"),
    (b"GIF89a" + b"\x00" * 10, "could not be read"),
])
def test_what_is_not_a_whole_image_is_refused(data, message):
    with pytest.raises(InvalidImage, match=message):
        process(data, max_pixels=LIMIT)


def test_a_truncated_image_is_refused():
    whole = encoded(Image.effect_noise((800, 600), 64).convert("RGB"), "PNG")
    with pytest.raises(InvalidImage, match="could not be read"):
        process(whole[: len(whole) // 2], max_pixels=LIMIT)


def test_a_name_that_lies_about_the_type_is_not_trusted():
    # JPEG bytes behind a GIF signature: the signature and Pillow's reading must agree.
    lying = b"GIF89a" + encoded(Image.new("RGB", (50, 50)), "JPEG")
    with pytest.raises(InvalidImage):
        process(lying, max_pixels=LIMIT)
