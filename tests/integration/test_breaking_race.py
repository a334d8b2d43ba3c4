"""Publishing is once-only even when presses race in several sessions at the same moment."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import open_services
from bot.newsroom.breaking import ledger as breaking
from storage import posts
from storage.db import utcnow
from storage.models import AuditEntry, Chat, Delivery, Post, Subscription
from tests.harness import make_settings

EDITOR = 222


async def test_racing_publishes_queue_the_post_once(db_url: str) -> None:
    settings = make_settings("http://127.0.0.1:9", db_url, editors=[EDITOR])
    async with open_services(settings) as services:
        async with services.sessions() as session:
            for user_id in (301, 302, 303):
                chat = Chat(telegram_id=user_id, kind="private", joined_at=utcnow())
                session.add(chat)
                await session.flush()
                session.add(Subscription(chat_id=chat.id, topic="*", created_at=utcnow()))
            draft = await posts.create_draft(
                session, text="Race", url=None, author_id=EDITOR, now=utcnow()
            )
            await session.commit()

        answers = await asyncio.gather(
            *(breaking.publish(services, draft.id, EDITOR) for _ in range(6))
        )

        assert [a.ok for a in answers].count(True) == 1
        refusals = {a.msgid for a in answers if not a.ok}
        assert refusals == {"This post has already been published."}
        async with services.sessions() as session:
            queued = await session.scalar(select(func.count()).select_from(Delivery))
            logged = await session.scalar(
                select(func.count()).where(AuditEntry.action == "published")
            )
            post = await session.get(Post, draft.id)
        assert queued == 3 and logged == 1
        assert post is not None and post.state == "published" and post.published_at is not None


async def test_a_recall_is_started_once(db_url: str) -> None:
    settings = make_settings("http://127.0.0.1:9", db_url, editors=[EDITOR])
    async with open_services(settings) as services:
        async with services.sessions() as session:
            draft = await posts.create_draft(
                session, text="Once", url=None, author_id=EDITOR, now=utcnow()
            )
            await session.commit()
        assert (await breaking.publish(services, draft.id, EDITOR)).ok
        started = await asyncio.gather(
            *(breaking.start_recall(services, draft.id) for _ in range(4))
        )
        assert [answer.ok for answer, _dropped in started].count(True) == 1
