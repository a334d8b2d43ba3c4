"""Chats: readers' private chats, channels and groups, with their life events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import utcnow
from storage.models import Chat, ChatEvent


async def chat_by_telegram_id(session: AsyncSession, telegram_id: int) -> Chat | None:
    return await session.scalar(select(Chat).where(Chat.telegram_id == telegram_id))


async def channel_by_ref(session: AsyncSession, ref: int | str) -> Chat | None:
    """A channel or group by numeric id or ``@username`` (case-insensitive)."""
    if isinstance(ref, int):
        return await chat_by_telegram_id(session, ref)
    name = ref.lstrip("@").lower()
    return await session.scalar(select(Chat).where(func.lower(Chat.username) == name))


async def ensure_channel(
    session: AsyncSession, ref: int | str, *, target: bool = True, title: str | None = None
) -> Chat:
    """The chat a channel reference names, created if new; marked as a post target."""
    chat = await channel_by_ref(session, ref)
    if chat is None:
        chat = Chat(
            telegram_id=ref if isinstance(ref, int) else None,
            username=ref.lstrip("@") if isinstance(ref, str) else None,
            kind="channel",
            title=title,
            status="active",
            joined_at=utcnow(),
        )
        session.add(chat)
        await session.flush()
        await record_event(session, chat, "joined")
    if target and not chat.is_target:
        chat.is_target = True
    return chat


async def list_channels(session: AsyncSession, *, targets_only: bool = True) -> Sequence[Chat]:
    query = select(Chat).where(Chat.kind != "private")
    if targets_only:
        query = query.where(Chat.is_target.is_(True))
    return (await session.scalars(query.order_by(Chat.id))).all()


async def untarget_channel(session: AsyncSession, ref: int | str) -> Chat | None:
    chat = await channel_by_ref(session, ref)
    if chat is not None:
        chat.is_target = False
        await session.flush()
    return chat


async def record_event(session: AsyncSession, chat: Chat, kind: str) -> None:
    """Append to the chat's history (joined, blocked, unblocked, left, forgot)."""
    session.add(ChatEvent(chat_id=chat.id, kind=kind, chat_kind=chat.kind, at=utcnow()))
    await session.flush()


async def set_status(session: AsyncSession, chat: Chat, status: str, *, event: str) -> bool:
    """Change a chat's status and record why; returns whether anything changed."""
    if chat.status == status:
        return False
    chat.status = status
    chat.left_at = utcnow() if status != "active" else None
    await record_event(session, chat, event)
    return True


async def find_chats(session: AsyncSession, refs: Sequence[int | str]) -> Sequence[Chat]:
    ids = [r for r in refs if isinstance(r, int)]
    names = [r.lstrip("@").lower() for r in refs if isinstance(r, str)]
    query = select(Chat).where(or_(Chat.telegram_id.in_(ids), func.lower(Chat.username).in_(names)))
    return (await session.scalars(query)).all()
