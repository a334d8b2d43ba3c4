"""Which process runs the feed scheduler: the one holding a PostgreSQL advisory lock.

Several ``newsbot`` processes may share one PostgreSQL and split the delivery
work; only one of them polls feeds. The lock is a session-level advisory lock
held on a dedicated connection: when the leader dies its connection closes,
PostgreSQL releases the lock, and the next ``try_acquire`` elsewhere wins.
SQLite serves one process, which is always the leader.
"""

from __future__ import annotations

import contextlib
import logging
import zlib

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# A stable 32-bit key for pg_try_advisory_lock, derived from a name so it reads in pg_locks.
SCHEDULER_LOCK = zlib.crc32(b"newsbot:feed-scheduler")


class LeaderLock:
    """Leadership for one role (by default: the feed scheduler)."""

    def __init__(self, engine: AsyncEngine, key: int = SCHEDULER_LOCK) -> None:
        self._engine = engine
        self._key = key
        self._connection: AsyncConnection | None = None
        self._held = False

    @property
    def is_leader(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        """Become (or stay) the leader if nobody else is; never waits for the lock."""
        if self._engine.dialect.name != "postgresql":
            self._held = True
            return True
        try:
            if self._held and self._connection is not None:
                # Still leader only if the connection holding the lock is alive.
                await self._connection.execute(text("SELECT 1"))
                return True
            if self._connection is None:
                self._connection = await self._engine.connect()
            result = await self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            self._held = bool(result.scalar())
            # Autocommit-like: end the implicit transaction, the session-level lock stays.
            await self._connection.commit()
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            log.warning("leader lock connection lost error=%r", str(exc))
            await self._drop_connection()
            return False
        if self._held:
            log.info("leader lock acquired key=%s", self._key)
        return self._held

    async def release(self) -> None:
        """Give up leadership (clean shutdown); another process can take over at once."""
        if self._connection is not None and self._held:
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
                await self._connection.commit()
            except (DBAPIError, SQLAlchemyError, OSError) as exc:
                log.warning("leader lock release failed error=%r", str(exc))
        self._held = False
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            # Already broken, perhaps: closing it is all we wanted.
            with contextlib.suppress(DBAPIError, SQLAlchemyError, OSError):
                await connection.close()
