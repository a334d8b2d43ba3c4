"""What the operator's health check and metrics read from the database: cheap aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import open_rows
from storage.models import Feed


@dataclass(frozen=True)
class Vitals:
    """The database's view of a running bot."""

    queue_depth: int  # deliveries pending or being sent
    oldest_pending_at: datetime | None  # when the oldest was queued (naive UTC)
    enabled_feeds: int
    last_poll_at: datetime | None  # the latest successful poll of any enabled feed


async def ping(session: AsyncSession) -> None:
    """Raise unless the database answers."""
    await session.execute(text("SELECT 1"))


async def vitals(session: AsyncSession) -> Vitals:
    depth, oldest = await open_rows(session)
    feeds = await session.execute(
        select(func.count(), func.max(Feed.last_success_at)).where(Feed.enabled.is_(True))
    )
    enabled, last_poll = feeds.one()
    return Vitals(depth, oldest, int(enabled), last_poll)
