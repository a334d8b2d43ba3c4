"""Photos against Telegram's rules: a cheap check of a URL's bytes, and a re-encode.

Telegram takes a photo by URL up to 5 MB and by upload up to 10 MB, with
width + height at most 10000 and an aspect ratio at most 20. The check reads
only the image header (Pillow opens lazily) to tell a photo from an HTML page,
a tracking pixel or a banner. The re-encode is the delivery's fallback when
Telegram refuses a URL: decode, flatten transparency, downscale, JPEG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

URL_PHOTO_LIMIT = 5 * 1024 * 1024  # Telegram fetches photo URLs up to this size
UPLOAD_PHOTO_LIMIT = 10 * 1024 * 1024
MAX_SIDES_SUM = 10_000
MAX_ASPECT = 20.0
LONGEST_SIDE = 2560  # larger gains nothing on a phone and costs upload time
MAX_PIXELS = 60_000_000  # decompression-bomb guard
MIN_PHOTO_SIDE = 100  # px: smaller is an icon, an avatar or a tracking pixel
NEWS_ASPECT = 4.0  # wider or taller than this is a banner, not a news photo
SENDABLE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})


class ImageRejected(Exception):
    """The bytes are not a photo Telegram can show; the message says why."""


@dataclass(frozen=True)
class PhotoInfo:
    """What the image header says."""

    format: str
    width: int
    height: int


def inspect_photo(data: bytes) -> PhotoInfo:
    """Format and size from the header; ImageRejected unless it is a news photo Telegram takes."""
    info = _header(data)
    if info.format not in SENDABLE_FORMATS:
        raise ImageRejected(f"{info.format} is not a format Telegram shows as a photo")
    if min(info.width, info.height) < MIN_PHOTO_SIDE:
        raise ImageRejected(f"too small ({info.width}x{info.height}): an icon or a pixel")
    if max(info.width, info.height) / min(info.width, info.height) > NEWS_ASPECT:
        raise ImageRejected(f"aspect {info.width}x{info.height}: a banner, not a photo")
    return info


def fits_telegram_url(info: PhotoInfo, size: int) -> bool:
    """Whether Telegram would take these bytes from a URL as they are."""
    return size <= URL_PHOTO_LIMIT and info.width + info.height <= MAX_SIDES_SUM


def reencode_for_telegram(data: bytes) -> bytes:
    """A JPEG Telegram accepts as an uploaded photo, or ImageRejected(reason)."""
    info = _header(data)
    ratio = max(info.width, info.height) / max(1, min(info.width, info.height))
    if ratio > MAX_ASPECT:
        raise ImageRejected(f"aspect ratio {ratio:.1f} is over Telegram's {MAX_ASPECT:.0f}")
    image = _decode(data)
    image = _flatten(image)
    image.thumbnail(_target_size(image.width, image.height), Image.Resampling.LANCZOS)
    for quality in (88, 80, 70, 60, 50):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= UPLOAD_PHOTO_LIMIT:
            return out.getvalue()
    raise ImageRejected("still over 10 MB as JPEG")


def _header(data: bytes) -> PhotoInfo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                fmt = image.format or "unknown"
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("not an image Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected(f"broken image: {exc}") from None
    if width <= 0 or height <= 0:
        raise ImageRejected("image has no size")
    if width * height > MAX_PIXELS:
        raise ImageRejected(f"{width}x{height} is too many pixels to decode safely")
    return PhotoInfo(fmt, width, height)


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.seek(0)  # the first frame of an animation
            image.load()
            return ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"cannot decode: {exc}") from None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency composed over white, palettes and CMYK converted."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _target_size(width: int, height: int) -> tuple[int, int]:
    """The box to fit into: longest side and width + height within Telegram's rules."""
    scale = min(1.0, LONGEST_SIDE / max(width, height), (MAX_SIDES_SUM - 1) / (width + height))
    return max(1, int(width * scale)), max(1, int(height * scale))
