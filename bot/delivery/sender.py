"""Sending one post to one chat through python-telegram-bot, photo first, text as the fallback.

No ``Message`` object is built from an answer: only the message's id and the
photo's file_id are needed. With the bot's own transport a send's JSON body is
encoded here and posted by ``AiohttpRequest.post_json``; with any other, by
``Bot.do_api_request(..., return_type=None)``. Either way PTB maps every error
to its exception.

A post is never lost because of its photo: when Telegram refuses the
photo's URL it is downloaded, re-encoded and uploaded; when that fails too, the
post goes out as text with the article's link preview, and the Post remembers
it so other chats go straight to text. The first photo Telegram accepts gives
a ``file_id`` that every other chat reuses.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.articles.images import ImageRejected, reencode_for_telegram
from bot.delivery.limiter import Departure, RateLimiter
from bot.delivery.outcomes import Action, classify
from bot.delivery.transport import AiohttpRequest
from bot.feeds.fetcher import Fetcher, FetchError
from bot.render.post import PostContent, render_post

log = logging.getLogger(__name__)

# Bot API methods. PTB's do_api_request warns when the endpoint is also the
# name of a Bot method (it wants ``send_message``); its snake-to-camel rule maps
# these spellings to the real method names without the warning.
SEND_MESSAGE = "send_Message"
SEND_PHOTO = "send_Photo"
_ENDPOINTS = {SEND_MESSAGE: "sendMessage", SEND_PHOTO: "sendPhoto"}  # as the Bot API's URLs

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # Telegram's limit for an uploaded photo


class Sent(NamedTuple):
    """What a send gave: the message's id in its chat, and whether it went with the photo.

    A named tuple, as ``Claimed`` is: one is made per message, and a frozen
    dataclass is slow to make.
    """

    message_id: int
    with_photo: bool


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    markup: dict[str, Any] | None
    link_url: str | None


@dataclass
class PostState:
    """A post as the worker sends it; shared by every chat it goes to (one per process)."""

    post_id: int
    content: PostContent
    breaking: bool
    photo_file_id: str | None = None
    photo_failed: bool = False
    feed_url: str | None = None  # where an article's photo link was found (address policy)
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    _rendered: dict[tuple[str, bool], Rendered] = field(default_factory=dict)
    # A request's JSON body but its chat_id, encoded once for every chat it goes to.
    bodies: dict[tuple[str, str, str | bool], bytes] = field(default_factory=dict)

    @property
    def has_photo(self) -> bool:
        return bool(self.content.image_url or self.photo_file_id) and not self.photo_failed

    def rendered(self, language: str, as_caption: bool) -> Rendered:
        """The post for one language, rendered once and reused for every chat that speaks it."""
        key = (language, as_caption)
        cached = self._rendered.get(key)
        if cached is None:
            post = render_post(self.content, language, as_caption=as_caption)
            markup = None
            if post.buttons:
                rows = [[{"text": label, "url": url}] for label, url in post.buttons]
                markup = {"inline_keyboard": rows}
            link = getattr(post, "link_url", None) or self.content.url
            cached = Rendered(post.html, markup, link)
            self._rendered[key] = cached
        return cached


class Sender:
    """Sends a post to a chat; raises PTB's TelegramError for the outcome table to read."""

    def __init__(
        self,
        bot: Bot,
        fetcher: Fetcher,
        limiter: RateLimiter,
        *,
        paid_broadcast: bool,
        remember_photo: Callable[[int, str | None, bool], Awaitable[None]],
    ) -> None:
        self._bot = bot
        self._fetcher = fetcher
        self._limiter = limiter
        self._paid = paid_broadcast
        self._remember_photo = remember_photo
        self._urls = {method: f"{bot.base_url}/{name}" for method, name in _ENDPOINTS.items()}

    async def send(
        self,
        target: int | str,
        language: str,
        post: PostState,
        *,
        turn: Departure | None = None,
    ) -> Sent:
        """Send ``post`` to ``target`` (a Telegram chat id or @username).

        ``turn``: the caller already took the first request's turn in the global
        pace; any further request (an upload, the text fallback) takes its own.
        """
        call = _Requests(self._bot, self._limiter, turn, self._urls)
        has_photo = post.has_photo
        if has_photo and post.photo_file_id is None:
            async with post.gate:
                # One chat at a time until Telegram has the photo: then its file_id is reused.
                if post.photo_file_id is None and not post.photo_failed:
                    return await self._first_photo(call, target, language, post)
        if has_photo and post.photo_file_id is not None:
            try:
                return await self._photo(call, target, language, post, post.photo_file_id)
            except TelegramError as exc:
                if classify(exc).action is not Action.PHOTO_REFUSED:
                    raise
                log.warning("photo file_id refused post_id=%s error=%r", post.post_id, str(exc))
                return await self._text(call, target, language, post, preview=True)
        return await self._text(call, target, language, post, preview=False)

    async def _first_photo(
        self, call: _Requests, target: int | str, language: str, post: PostState
    ) -> Sent:
        url = post.content.image_url
        assert url is not None
        try:
            sent = await self._photo(call, target, language, post, url)
        except TelegramError as exc:
            if classify(exc).action is not Action.PHOTO_REFUSED:
                raise
            log.info("photo url refused post_id=%s error=%r; uploading", post.post_id, str(exc))
            uploaded = await self._upload(call, target, language, post)
            if uploaded is None:
                post.photo_failed = True
                await self._remember_photo(post.post_id, None, True)
                return await self._text(call, target, language, post, preview=True)
            return uploaded
        return sent

    async def _upload(
        self, call: _Requests, target: int | str, language: str, post: PostState
    ) -> Sent | None:
        """Download, re-encode and upload the photo; None when it cannot be sent at all."""
        data = await self._reencoded(post)
        if data is None:
            return None
        try:
            photo = InputFile(data, filename="photo.jpg")
            return await self._photo(call, target, language, post, photo)
        except TelegramError as exc:
            if classify(exc).action is not Action.PHOTO_REFUSED:
                raise
            log.warning("photo upload refused post_id=%s error=%r", post.post_id, str(exc))
            return None

    async def _reencoded(self, post: PostState) -> bytes | None:
        url = post.content.image_url
        if not url:
            return None
        try:
            # A photo named by a feed is a link found inside the feed: the address
            # policy applies (public addresses, or the feed's own origin).
            fetched = await self._fetcher.get(
                url,
                max_bytes=4 * PHOTO_MAX_BYTES,
                accept="image/*",
                trusted_origin=post.feed_url,
            )
        except FetchError as exc:
            log.warning("photo download failed post_id=%s error=%r", post.post_id, str(exc))
            return None
        if fetched.status != 200:
            log.warning("photo download failed post_id=%s status=%s", post.post_id, fetched.status)
            return None
        try:
            # Decoding and encoding a photo is CPU work: off the event loop.
            return await asyncio.to_thread(reencode_for_telegram, fetched.body)
        except ImageRejected as exc:
            log.warning("photo rejected post_id=%s error=%r", post.post_id, str(exc))
            return None

    async def _photo(
        self,
        call: _Requests,
        target: int | str,
        language: str,
        post: PostState,
        photo: str | InputFile,
    ) -> Sent:

        def fields() -> dict[str, Any]:
            rendered = post.rendered(language, as_caption=True)
            return {**self._common(rendered, post), "photo": photo, "caption": rendered.html}

        shared = (post.bodies, (SEND_PHOTO, language, photo)) if isinstance(photo, str) else None
        # The answer's photo sizes matter only until Telegram has given the photo a file_id.
        result = await call(
            SEND_PHOTO, target, fields, shared, id_only=post.photo_file_id is not None
        )
        sizes = result.get("photo") or []
        if sizes and post.photo_file_id is None:
            # The largest size is last; its file_id sends the same photo to every other chat.
            post.photo_file_id = str(sizes[-1]["file_id"])
            await self._remember_photo(post.post_id, post.photo_file_id, False)
        return Sent(int(result["message_id"]), True)

    async def _text(
        self, call: _Requests, target: int | str, language: str, post: PostState, *, preview: bool
    ) -> Sent:

        def fields() -> dict[str, Any]:
            rendered = post.rendered(language, as_caption=False)
            kwargs = {**self._common(rendered, post), "text": rendered.html}
            if rendered.link_url:
                # The article's page as the preview: with a refused photo, the site's own picture.
                kwargs["link_preview_options"] = {
                    "url": rendered.link_url,
                    "prefer_large_media": preview,
                }
            return kwargs

        shared = (post.bodies, (SEND_MESSAGE, language, preview))
        result = await call(SEND_MESSAGE, target, fields, shared, id_only=True)
        return Sent(int(result["message_id"]), False)

    def _common(self, rendered: Rendered, post: PostState) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "parse_mode": ParseMode.HTML.value,
            # Breaking news rings; routine articles arrive silently (see bench/RESULTS.md).
            "disable_notification": not post.breaking,
        }
        if rendered.markup is not None:
            kwargs["reply_markup"] = rendered.markup
        if self._paid:
            kwargs["allow_paid_broadcast"] = True
        return kwargs


class _Requests:
    """The Bot API requests of one send: each but a prepaid first one waits for its pace slot."""

    def __init__(
        self, bot: Bot, limiter: RateLimiter, turn: Departure | None, urls: dict[str, str]
    ) -> None:
        self._bot = bot
        self._limiter = limiter
        self._turn = turn
        self._urls = urls  # the Bot API's URL of each method

    async def __call__(
        self,
        method: str,
        target: int | str,
        fields: Callable[[], dict[str, Any]],
        shared: _SharedBody | None = None,
        *,
        id_only: bool = False,
    ) -> dict[str, Any]:
        """Make the request to ``target`` with ``fields()``, its parameters but the chat.

        ``shared``: where the JSON body of ``fields()`` is kept for every chat,
        and its key; None for an upload (a file, sent by PTB's multipart).
        ``fields`` is called only when that body is not kept yet: building the
        parameters for each chat, only to find their body kept, was about a
        tenth of the Python a send runs (bench/RESULTS.md).

        ``id_only``: of the sent message only its ``message_id`` is read (the
        answer may hold nothing else).
        """
        turn, self._turn = self._turn, None
        if turn is None:
            turn = await self._limiter.acquire()
        if turn is not None:  # None: stopping; a send already under way still finishes
            self._limiter.departed(turn)
        request = self._bot.request
        if isinstance(request, AiohttpRequest) and shared is not None:
            # Our transport takes the body encoded in one json.dumps: PTB's request
            # building was a fifth of the bot's CPU per message (bench/RESULTS.md).
            payload = _json_body(target, fields, shared)
            result = await request.post_json(self._urls[method], payload, message_id_only=id_only)
            if turn is not None:
                # Its round trip tells whether Telegram may have counted it late (an
                # upload's would only tell how long the upload took).
                self._limiter.answered(turn)
        else:
            kwargs = {"chat_id": target, **fields()}
            result = await self._bot.do_api_request(method, api_kwargs=kwargs, return_type=None)
        if not isinstance(result, dict):
            raise TypeError(f"unexpected Bot API result for {method}: {type(result).__name__}")
        return result


_SharedBody = tuple[dict[tuple[str, str, str | bool], bytes], tuple[str, str, str | bool]]


def _json_body(
    target: int | str, fields: Callable[[], dict[str, Any]], shared: _SharedBody
) -> bytes:
    """The request's JSON; the part every chat shares is encoded once (json was 5 % of the CPU)."""
    bodies, key = shared
    rest = bodies.get(key)
    if rest is None:
        rest = json.dumps(fields()).encode()
        bodies[key] = rest
    chat = str(target).encode() if isinstance(target, int) else json.dumps(target).encode()
    return b'{"chat_id": ' + chat + (b", " + rest[1:] if len(rest) > 2 else b"}")
