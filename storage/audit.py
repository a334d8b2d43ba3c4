"""The audit log: who did what to which post, when, and how many chats it reached."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import utcnow
from storage.models import AuditEntry

# The actions editors leave behind, in the order a post lives through them.
PREVIEWED = "previewed"
PUBLISHED = "published"
CANCELLED = "cancelled"
RECALLED = "recalled"
CORRECTED = "corrected"
UPDATED = "updated"  # an article changed at the source: its copies are edited (no user)


async def record(
    session: AsyncSession,
    action: str,
    *,
    user_id: int | None,
    post_id: int | None,
    chats: int | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry; the caller's transaction commits it with the change it describes."""
    entry = AuditEntry(
        at=at or utcnow(),
        user_id=user_id,
        action=action,
        post_id=post_id,
        chats=chats,
        detail=detail,
    )
    session.add(entry)
    await session.flush()
    return entry


async def recent(session: AsyncSession, limit: int = 20) -> Sequence[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def annotate(session: AsyncSession, post_id: int, action: str, detail: str) -> None:
    """Add what became known later (a broadcast's totals) to the post's entry for ``action``."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.post_id == post_id, AuditEntry.action == action)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry = await session.scalar(query)
    if entry is not None:
        entry.detail = detail
        await session.flush()
