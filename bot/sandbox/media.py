"""Files the emulator knows: photos and documents, their ids, and Telegram's checks on them.

Photos get the same file_id/file_unique_id for the same image bytes, so a bot
that caches file ids and re-sends them behaves as it would against Telegram.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import warnings
from dataclasses import dataclass
from typing import Any

import aiohttp
from PIL import Image

from bot.sandbox.errors import ApiError

__all__ = [
    "PHOTO_BY_URL_MAX",
    "PHOTO_UPLOAD_MAX",
    "FileStore",
    "StoredFile",
    "check_photo",
    "download",
    "make_image",
]

MB = 1024 * 1024
PHOTO_BY_URL_MAX = 5 * MB
PHOTO_UPLOAD_MAX = 10 * MB
FILE_BY_URL_MAX = 20 * MB
FILE_UPLOAD_MAX = 50 * MB
# Telegram's photo thumbnails: letter and longest side.
_PHOTO_SIZES = (("s", 90), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560))


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "width": self.width,
            "height": self.height,
        }

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


class FileStore:
    """All files by id and by download path; photos deduplicated by content."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photos: dict[str, list[StoredFile]] = {}
        self._dimensions: dict[str, tuple[int, int]] = {}
        self._serial = 0

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def photo_sizes_of(self, file_id: str) -> list[StoredFile] | None:
        """All sizes of the photo that ``file_id`` (any of its sizes) belongs to."""
        stored = self._by_id.get(file_id)
        if stored is None or not stored.width:
            return None
        return self._photos.get(stored.file_unique_id[4:20])

    def _add(self, stored: StoredFile) -> StoredFile:
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_photo(self, content: bytes) -> list[StoredFile]:
        """Store an image (already checked) and return its PhotoSizes, smallest first."""
        digest = hashlib.sha256(content).hexdigest()[:16]
        known = self._photos.get(digest)
        if known is not None:
            return known
        width, height = self.dimensions(content)
        sizes: list[StoredFile] = []
        longest = max(width, height)
        for letter, side in _PHOTO_SIZES:
            scale = min(1.0, side / longest)
            if sizes and scale == 1.0 and sizes[-1].width == width:
                break
            self._serial += 1
            sizes.append(
                self._add(
                    StoredFile(
                        file_id=f"AgACAgIAAxkBAAI{digest}{letter}{len(sizes)}",
                        file_unique_id=f"AQAD{digest}{letter}",
                        file_path=f"photos/file_{self._serial}.jpg",
                        content=content,
                        mime_type="image/jpeg",
                        width=max(1, round(width * scale)),
                        height=max(1, round(height * scale)),
                    )
                )
            )
        self._photos[digest] = sizes
        return sizes

    def add_document(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        self._serial += 1
        digest = hashlib.sha256(content).hexdigest()[:16]
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        return self._add(
            StoredFile(
                file_id=f"BQACAgIAAxkBAAI{digest}d{self._serial}",
                file_unique_id=f"AgAD{digest}",
                file_path=f"documents/file_{self._serial}{suffix}",
                content=content,
                mime_type=mime_type,
                file_name=file_name,
            )
        )

    def dimensions(self, content: bytes) -> tuple[int, int]:
        """Width and height of an image; raises ApiError like Telegram for a bad one."""
        digest = hashlib.sha256(content).hexdigest()[:16]
        known = self._dimensions.get(digest)
        if known is None:
            known = self._dimensions[digest] = check_photo(content)
        return known


def check_photo(content: bytes) -> tuple[int, int]:
    """Decode a photo as Telegram's rules require (telegram.md A5) and return its size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if _bad_dimensions(width, height):
                    raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")
                image.load()
    except Image.DecompressionBombError:
        raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS") from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError):
        raise ApiError.bad_request("IMAGE_PROCESS_FAILED") from None
    return width, height


def _bad_dimensions(width: int, height: int) -> bool:
    if width < 1 or height < 1:
        return True
    return width + height > 10000 or max(width, height) / min(width, height) > 20


async def download(
    session: aiohttp.ClientSession, url: str, max_bytes: int, *, image: bool
) -> tuple[bytes, str]:
    """Fetch ``url`` as Telegram's servers would, with Telegram's error answers."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            if resp.status != 200:
                raise ApiError.bad_request("failed to get HTTP URL content")
            content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if image and not content_type.startswith("image/"):
                raise ApiError.bad_request("wrong type of the web page content")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise ApiError.bad_request("failed to get HTTP URL content")
            body = bytearray()
            async for chunk in resp.content.iter_chunked(65536):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ApiError.bad_request("failed to get HTTP URL content")
            return bytes(body), content_type
    except (TimeoutError, aiohttp.ClientError, ValueError):
        raise ApiError.bad_request("failed to get HTTP URL content") from None


def make_image(
    width: int = 1200,
    height: int = 675,
    fmt: str = "JPEG",
    color: tuple[int, int, int] = (30, 90, 160),
    label: str | None = None,
) -> bytes:
    """A small generated picture (a gradient band and optional label), no binary files in git."""
    image = Image.new("RGB", (width, height), color)
    band = tuple(min(255, c + 60) for c in color)
    image.paste(band, (0, height * 2 // 3, width, height))
    if label:
        from PIL import ImageDraw

        ImageDraw.Draw(image).text((max(4, width // 20), max(4, height // 10)), label, fill="white")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()
