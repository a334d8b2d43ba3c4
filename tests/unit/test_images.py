"""Photos against Telegram's rules: the header check and the upload re-encode; logos are no lead."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.articles.images import (
    MAX_SIDES_SUM,
    UPLOAD_PHOTO_LIMIT,
    ImageRejected,
    inspect_photo,
    reencode_for_telegram,
)
from bot.articles.logos import SiteImages, brand_reason, logo_reason


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_rgba_png_becomes_an_rgb_jpeg_with_transparency_on_white() -> None:
    source = Image.new("RGBA", (400, 300), (255, 0, 0, 0))
    out = decoded(reencode_for_telegram(encode(source, "PNG")))
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (400, 300))
    assert out.getpixel((10, 10)) == (255, 255, 255)


def test_palette_gif_with_transparency_is_flattened() -> None:
    source = Image.new("P", (300, 200), 0)
    data = encode(source, "GIF", transparency=0)
    assert decoded(reencode_for_telegram(data)).mode == "RGB"


def test_cmyk_jpeg_is_converted() -> None:
    data = encode(Image.new("CMYK", (300, 200), (0, 0, 0, 0)), "JPEG")
    assert decoded(reencode_for_telegram(data)).mode == "RGB"


def test_large_photo_is_downscaled_within_the_side_rules() -> None:
    data = encode(Image.new("RGB", (6000, 4500), (10, 120, 200)), "PNG")
    out = decoded(reencode_for_telegram(data))
    assert max(out.size) <= 2560 and sum(out.size) <= MAX_SIDES_SUM
    assert abs(out.size[0] / out.size[1] - 6000 / 4500) < 0.01


def test_a_noisy_photo_stays_under_ten_megabytes() -> None:
    noise = Image.effect_noise((2560, 2560), 120).convert("RGB")
    assert len(reencode_for_telegram(encode(noise, "PNG"))) <= UPLOAD_PHOTO_LIMIT


def test_aspect_ratio_over_twenty_is_rejected() -> None:
    with pytest.raises(ImageRejected, match="aspect"):
        reencode_for_telegram(encode(Image.new("RGB", (4200, 200)), "PNG"))


@pytest.mark.parametrize("data", [b"", b"<html>not an image</html>", b"\x89PNG\r\n\x1a\n broken"])
def test_what_is_not_an_image_is_rejected(data: bytes) -> None:
    with pytest.raises(ImageRejected):
        reencode_for_telegram(data)


def test_a_decompression_bomb_is_rejected_before_decoding() -> None:
    # A small PNG whose header claims 81 million pixels.
    bomb = encode(Image.new("1", (9000, 9000)), "PNG")
    with pytest.raises(ImageRejected):
        reencode_for_telegram(bomb)


def test_inspect_reads_format_and_size() -> None:
    info = inspect_photo(encode(Image.new("RGB", (1200, 675)), "JPEG"))
    assert (info.format, info.width, info.height) == ("JPEG", 1200, 675)


@pytest.mark.parametrize(
    ("size", "reason"), [((1, 1), "too small"), ((64, 64), "too small"), ((1600, 200), "banner")]
)
def test_inspect_refuses_pixels_icons_and_banners(size: tuple[int, int], reason: str) -> None:
    with pytest.raises(ImageRejected, match=reason):
        inspect_photo(encode(Image.new("RGB", size), "PNG"))


def test_inspect_refuses_formats_telegram_does_not_show_as_photos() -> None:
    with pytest.raises(ImageRejected, match="TIFF"):
        inspect_photo(encode(Image.new("RGB", (800, 600)), "TIFF"))


def test_the_image_the_site_names_as_its_logo_is_a_logo() -> None:
    logos = frozenset({"https://e.kz/static/publisher.png"})
    assert logo_reason("https://e.kz/static/publisher.png", logos) == "the site's logo"


@pytest.mark.parametrize(
    "url",
    [
        "https://e.kz/img/site-logo-share.jpg",
        "https://e.kz/static/logos/main.png",
        "https://e.kz/templates/sitelogo_1200.jpg",
        "https://e.kz/brand/og-default.jpg",
        "https://e.kz/apple-touch-icon.png",
    ],
)
def test_logo_in_the_path_or_file_name_is_a_logo(url: str) -> None:
    assert logo_reason(url, frozenset()) == "a logo by its name"


@pytest.mark.parametrize(
    "url", ["https://logos.example.kz/uploads/bridge.jpg", "https://e.kz/img?name=logo-news"]
)
def test_logo_in_the_host_or_query_only_is_not_a_logo(url: str) -> None:
    assert logo_reason(url, frozenset()) is None


@pytest.mark.parametrize(("width", "height"), [(512, 512), (600, 560), (180, 320)])
def test_small_squares_and_tiny_pictures_are_brand_images(width: int, height: int) -> None:
    assert brand_reason(width, height) is not None


@pytest.mark.parametrize(("width", "height"), [(1200, 675), (1080, 1080), (640, 427), (None, None)])
def test_news_photos_are_not_brand_images(width: int | None, height: int | None) -> None:
    assert brand_reason(width, height) is None


def test_an_image_on_two_pages_of_a_site_is_its_default() -> None:
    sites = SiteImages()
    sites.record("https://e.kz/a/1", "https://cdn.e.kz/share.jpg")
    assert not sites.is_site_default("https://e.kz/a/1", "https://cdn.e.kz/share.jpg")
    assert sites.is_site_default("https://e.kz/a/2", "https://cdn.e.kz/share.jpg")
    assert not sites.is_site_default("https://other.kz/a/2", "https://cdn.e.kz/share.jpg")
