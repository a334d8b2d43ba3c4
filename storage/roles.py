"""Admins and editors added in Telegram or by the CLI (the settings file's are not stored)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import utcnow
from storage.models import Role


async def stored_roles(session: AsyncSession, user_id: int) -> set[str]:
    query = select(Role.role).where(Role.user_id == user_id)
    return set((await session.scalars(query)).all())


async def add_role(session: AsyncSession, user_id: int, role: str, added_by: int | None) -> bool:
    """Grant ``role``; returns False when the user already had it."""
    if await session.get(Role, (user_id, role)) is not None:
        return False
    session.add(Role(user_id=user_id, role=role, added_by=added_by, created_at=utcnow()))
    await session.flush()
    return True


async def remove_role(session: AsyncSession, user_id: int, role: str) -> bool:
    result = await session.execute(delete(Role).where(Role.user_id == user_id, Role.role == role))
    return bool(getattr(result, "rowcount", 0))


async def users_with_role(session: AsyncSession, role: str) -> Sequence[Role]:
    query = select(Role).where(Role.role == role).order_by(Role.created_at)
    return (await session.scalars(query)).all()
