"""parse_feed: one test per behaviour of real feeds, each on its fixture in tests/data/feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.parser.document import parse_feed
from bot.feeds.parser.model import Entry, ParsedFeed, entry_key
from bot.feeds.parser.photos import is_junk_image

FEEDS = Path(__file__).parents[1] / "data" / "feeds"
FEED_URL = "https://feeds.example.com/"


def parse(name: str, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), FEED_URL + name, content_type)


def only(name: str) -> Entry:
    return parse(name).entries[0]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FEEDS.iterdir() if p.name != "not_a_feed.xml")
)
def test_every_fixture_yields_entries_with_aware_utc_dates(name: str) -> None:
    feed = parse(name)
    assert feed.entries
    for entry in feed.entries:
        assert entry.key
        for moment in (entry.published_at, entry.updated_at):
            assert moment is None or moment.utcoffset() is not None
        assert "<" not in entry.title or "<>" in entry.title  # plain text, not markup


def test_bbc_media_thumbnail_is_the_photo_and_guid_the_key() -> None:
    entry = only("rss2_bbc_media_thumbnail.xml")
    assert entry.images[0].source == "media:thumbnail"
    assert entry.images[0].url.endswith("/climate.jpg")
    assert (entry.images[0].width, entry.images[0].height) == (240, 135)
    assert entry.key == "https://www.bbc.co.uk/news/articles/c0climate1o#0"
    assert entry.published_at == datetime(2026, 11, 27, 6, 58, 2, tzinfo=UTC)


def test_rfc822_offsets_become_utc() -> None:
    second = parse("rss2_bbc_media_thumbnail.xml").entries[1]
    assert second.published_at == datetime(2026, 11, 26, 20, 1, 10, tzinfo=UTC)


def test_wordpress_lazy_image_found_from_srcset_with_entities_decoded_once() -> None:
    entry = only("wordpress_content_encoded.xml")
    assert [i.url for i in entry.images] == [
        "https://i0.wp.com/steppetech.example/wp-content/uploads/2026/11/drone.jpg"
        "?w=1200&imageuri=1"
    ]
    assert entry.author == "Aigerim Bekova"
    assert entry.categories == ("Startups", "Agriculture")


def test_wordpress_smiley_and_feedburner_pixel_are_not_candidates() -> None:
    urls = " ".join(i.url for i in only("wordpress_content_encoded.xml").images)
    assert "smilies" not in urls and "feedburner" not in urls


def test_content_encoded_is_the_text_and_description_the_summary() -> None:
    entry = only("wordpress_content_encoded.xml")
    assert entry.text.startswith("Big news from Almaty.")
    assert entry.summary.startswith("An Almaty company that flies drones")
    assert entry.content_html and "AgroSky" in entry.content_html


def test_atom_relative_links_resolve_against_xml_base() -> None:
    first, second = parse("atom_enclosures.xml").entries
    assert first.url == "https://blog.example.org/posts/snow-leopards"
    assert second.url == "https://blog.example.org/posts/mountain-station"


def test_atom_image_enclosure_is_the_photo() -> None:
    entry = only("atom_enclosures.xml")
    assert entry.images[0].url == "https://blog.example.org/media/leopard-1600.jpg"
    assert entry.images[0].source == "enclosure"


def test_atom_updated_stands_in_for_a_missing_published() -> None:
    entry = only("atom_enclosures.xml")
    assert entry.published_at == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    assert entry.updated_at == entry.published_at


def test_atom_title_html_is_plain_text_and_xml_lang_is_the_language() -> None:
    entry = only("atom_enclosures.xml")
    assert entry.title == "Snow leopards & the new camera traps"
    assert entry.language == "en-gb"
    assert entry.author == "Marat Ospanov"


def test_guardian_untyped_media_content_takes_the_widest() -> None:
    images = only("guardian_untyped_media.xml").images
    assert [i.width for i in images] == [460, 140]
    assert "&quality=85&" in images[0].url


def test_podcast_itunes_image_is_the_photo_and_audio_is_not() -> None:
    images = only("podcast_itunes_image.xml").images
    assert [(i.source, i.url) for i in images] == [
        ("itunes:image", "https://podcast.example.com/episodes/212-cover.jpg")
    ]


def test_news_image_thumb_bare_image_and_text_enclosure_are_recovered() -> None:
    entries = parse("bing_news_image.xml").entries
    found = [(e.images[0].source, e.images[0].url.rsplit("/", 1)[1]) for e in entries]
    assert found == [
        ("news:image", "wind-800.jpg"),
        ("thumb", "pipeline-640.jpg"),
        ("image", "solar-1024.jpg"),
        ("enclosure", "coal-plant.jpg"),
    ]


def test_image_service_urls_without_an_extension_are_candidates() -> None:
    entries = parse("image_service_urls.xml").entries
    found = [[(i.source, i.url) for i in e.images] for e in entries]
    assert found == [
        [("media:content", "https://cdn.wire.example.kz/image?id=4101&w=800")],
        [("enclosure", "https://wire.example.kz/image/48213/1200/")],
        [("enclosure", "https://wire.example.kz/photo?id=4103")],
        [("enclosure", "https://wire.example.kz/thumbs/4104?size=large")],
        [],  # an extensionless audio enclosure is not a photo
    ]


def test_bing_th_thumbnails_are_the_photo_with_entities_decoded_once() -> None:
    entries = parse("bing_th_thumbnails.xml").entries
    assert [[(i.source, i.url) for i in e.images] for e in entries] == [
        [("news:image", "https://www.bing.com/th?id=OVFT.q8Jm2kLr1sVx0aBcDeFgHi&pid=News")],
        [("news:image", "https://www.bing.com/th?id=OVFT.Zz9yXwVu8tS7rQpOnMlKjI&pid=News")],
    ]


def test_guid_is_the_key_as_written_not_resolved_against_the_feed() -> None:
    assert parse("bing_news_image.xml").entries[0].key == "agg-1"


def test_windows_1251_feed_is_decoded() -> None:
    feed = parse("russian_windows1251.xml")
    assert feed.title == "Новости Степи"
    assert feed.entries[0].title == "В Астане открыли новый мост через Ишим"
    assert feed.entries[0].images[0].source == "enclosure"
    assert feed.language == "ru"


def test_koi8r_rss091_feed_without_dates_or_guid() -> None:
    entry = only("russian_koi8r_rss091.xml")
    assert entry.title == "Зимняя навигация закрыта"
    assert entry.key == "http://vestnik.example.ru/arhiv/1234.html"
    assert entry.published_at is None


def test_undeclared_windows_1251_is_detected() -> None:
    entry = only("russian_undeclared_cp1251.xml")
    assert entry.title == "Городской каток откроется в субботу"


def test_charset_in_the_content_type_is_honoured() -> None:
    body = (FEEDS / "russian_undeclared_cp1251.xml").read_bytes()
    feed = parse_feed(body, FEED_URL, "application/rss+xml; charset=windows-1251")
    assert feed.entries[0].title == "Городской каток откроется в субботу"


def test_kazakh_letters_survive_and_the_widest_typed_media_wins() -> None:
    feed = parse("kazakh_text.xml")
    entry = feed.entries[0]
    assert entry.title == "Үкімет өңірлерді дамытудың жаңа бағдарламасын бекітті"
    everything = "".join(e.title + e.text for e in feed.entries).lower()
    assert all(letter in everything for letter in "әғқңөұүһі")
    assert entry.images[0].width == 1200


def test_emoji_titles_are_kept_and_emoji_images_are_not_photos() -> None:
    entry = only("emoji_titles.xml")
    assert entry.title == "🚀🔥 Record launch: 3️⃣ satellites in one day 🇰🇿🛰️"
    assert entry.images == ()


def test_hostile_titles_become_plain_text() -> None:
    first, second = parse("hostile_html.xml").entries
    assert first.title == 'Tom & Jerry "return" bold x'
    assert "alert" not in first.title
    assert second.url is None  # javascript: is not a link


def test_hostile_bodies_lose_scripts_but_keep_literal_text() -> None:
    first, second = parse("hostile_html.xml").entries
    assert "alert" not in first.text
    assert "1 < 2 && 3 > 2" in first.text
    assert second.summary.startswith("<b>Escaped markup shown as text</b>")


def test_long_description_is_kept_whole_in_the_entry() -> None:
    assert len(only("long_description.xml").summary) == 5000


def test_missing_guid_uses_the_link_then_a_hash_of_title_and_date() -> None:
    first, second, third = parse("missing_guid_and_dates.xml").entries
    assert first.key == "https://minimal.example.com/no-guid"
    assert second.key == entry_key(None, None, "No guid, no date, no link", None)
    assert second.key.startswith("sha256:") and second.url is None
    assert third.url == "https://feeds.example.com/relative/path?id=7"
    assert third.published_at is None  # "27.11.2026 10:00" does not parse


def test_rss10_dublin_core_fields() -> None:
    entry = only("rss10_rdf.xml")
    assert entry.published_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert entry.author == "Анна Смирнова"
    assert entry.categories == ("Биология",)
    assert entry.language == "ru"


def test_bozo_feed_is_reported_and_its_entries_used() -> None:
    feed = parse("bozo_with_entries.xml")
    assert feed.bozo
    assert [e.key for e in feed.entries] == ["sloppy-1", "sloppy-2"]


@pytest.mark.parametrize(
    "body", [(FEEDS / "not_a_feed.xml").read_bytes(), b"", b"\x00\x01garbage", b"<rss><chan"]
)
def test_what_is_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(ValueError, match="not a feed"):
        parse_feed(body, FEED_URL)


def test_json_feed_1_1_is_parsed_directly() -> None:
    feed = parse("json_feed_1_1.json")
    first, second = feed.entries
    assert feed.title == "Orbit Daily" and feed.language == "en"
    assert first.images[0].url == "https://orbit.example.com/img/docking-1600.jpg"
    assert first.author == "Lena Kim" and first.categories == ("space", "ISS")
    assert first.published_at == datetime(2026, 11, 27, 4, 30, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    assert second.title == "" and second.text.startswith("Short note")


def test_json_feed_1_0_external_url_banner_and_author() -> None:
    entry = only("json_feed_1_0.json")
    assert entry.url == "https://elsewhere.example.org/story"
    assert entry.images[0].source == "json:banner_image"
    assert entry.author == "Link Editor"


def test_json_feed_detected_by_content_type_despite_leading_space() -> None:
    body = b"  \n" + (FEEDS / "json_feed_1_0.json").read_bytes()
    assert parse_feed(body, FEED_URL, "application/feed+json").entries


def test_json_that_is_not_a_feed_raises() -> None:
    with pytest.raises(ValueError, match="not a feed"):
        parse_feed(json.dumps({"hello": 1}).encode(), FEED_URL, "application/json")


@pytest.mark.parametrize(
    ("url", "width", "height"),
    [
        ("https://feeds.feedburner.com/~r/x/~4/abc", None, None),
        ("https://e.com/pixel.gif", None, None),
        ("https://secure.gravatar.com/avatar/1.jpg", None, None),
        ("https://s.w.org/images/core/emoji/15/72x72/1f680.png", None, None),
        ("https://e.com/icons/share.png", None, None),
        ("https://e.com/photo.jpg", 30, 30),
        ("https://e.com/banner.jpg", 1200, 100),
        ("https://e.com/logo.svg", None, None),
        ("data:image/gif;base64,R0lGOD", None, None),
    ],
)
def test_junk_images_are_recognised(url: str, width: int | None, height: int | None) -> None:
    assert is_junk_image(url, width, height)


@pytest.mark.parametrize(
    "url",
    [
        "https://e.com/uploads/2026/11/bridge.jpg",
        "https://i.guim.co.uk/img/media/a/master/3000.jpg",
        "https://e.com/shared/photo.jpg",
    ],
)
def test_real_photos_are_not_junk(url: str) -> None:
    assert not is_junk_image(url, 1200, 675)


def test_an_absurdly_long_link_is_no_link() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        b"<title>Long</title><link>https://e.com/" + b"a" * 3000 + b"</link></item></channel></rss>"
    )
    entry = parse_feed(body, FEED_URL).entries[0]
    assert entry.url is None and len(entry.key) <= 512


def test_json_feed_nuls_and_lone_surrogates_are_scrubbed() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", '
        b'"title": "A\\u0000B\\ud800C", "content_text": "x\\u0000y. Done.", '
        b'"tags": ["t\\u0000"], "authors": [{"name": "N\\udfff"}]}]}'
    )
    entry = parse_feed(body, FEED_URL).entries[0]
    assert (entry.title, entry.text, entry.categories, entry.author) == (
        "ABC",
        "xy. Done.",
        ("t",),
        "N",
    )
    for value in (entry.title, entry.text, entry.summary):
        value.encode("utf-8")  # storable
