"""Photo checks and file ids: what Telegram accepts and how it names what it stored."""

from __future__ import annotations

import pytest

from bot.sandbox.errors import ApiError
from bot.sandbox.media import FileStore, check_photo, make_image


def test_a_photo_gets_telegrams_size_ladder_and_stable_ids() -> None:
    store = FileStore()
    image = make_image(1200, 675)
    sizes = store.add_photo(image)
    assert [(s.width, s.height) for s in sizes] == [(90, 51), (320, 180), (800, 450), (1200, 675)]
    assert store.add_photo(image) is sizes
    assert store.photo_sizes_of(sizes[0].file_id) == sizes
    other = store.add_photo(make_image(1200, 675, color=(200, 0, 0)))
    assert other[-1].file_unique_id != sizes[-1].file_unique_id


def test_a_small_photo_has_one_size() -> None:
    sizes = FileStore().add_photo(make_image(64, 64, fmt="PNG"))
    assert [(s.width, s.height) for s in sizes] == [(64, 64)]


def test_documents_get_paths_with_their_extension() -> None:
    store = FileStore()
    stored = store.add_document(b"a,b\n", "export.csv", None)
    assert stored.mime_type == "text/csv"
    assert stored.file_path.endswith(".csv")
    assert store.by_path(stored.file_path) is stored
    assert store.photo_sizes_of(stored.file_id) is None


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"not an image", "IMAGE_PROCESS_FAILED"),
        (make_image(2100, 100), "PHOTO_INVALID_DIMENSIONS"),
        (make_image(100, 2100), "PHOTO_INVALID_DIMENSIONS"),
    ],
)
def test_photos_telegram_refuses(content: bytes, detail: str) -> None:
    with pytest.raises(ApiError) as err:
        check_photo(content)
    assert err.value.description == f"Bad Request: {detail}"


def test_truncated_image_fails_to_process() -> None:
    image = make_image(400, 300)
    with pytest.raises(ApiError, match="IMAGE_PROCESS_FAILED"):
        check_photo(image[: len(image) // 2])
    assert check_photo(image) == (400, 300)
