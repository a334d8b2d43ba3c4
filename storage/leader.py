"""Which process runs the feed scheduler: the one holding a PostgreSQL advisory lock.

Several ``newsbot`` processes may share one PostgreSQL and split the delivery
work; only one of them polls feeds. The lock is a session-level advisory lock
held on a dedicated connection: when the leader dies its connection closes,
PostgreSQL releases the lock, and the next ``try_acquire`` elsewhere wins.
SQLite serves one process, which is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# A stable 32-bit key for pg_try_advisory_lock, derived from a name so it reads in pg_locks.
SCHEDULER_LOCK = zlib.crc32(b"newsbot:feed-scheduler")


# Delivery workers' liveness locks use the two-key form (namespace, key), so that
# they can be counted in pg_locks; both keys are positive 32-bit integers.
WORKERS_NAMESPACE = zlib.crc32(b"newsbot:delivery-workers") & 0x7FFFFFFF


def worker_lock_key(worker_id: str) -> int:
    """The advisory lock a delivery worker holds while alive, so others can tell it died."""
    return zlib.crc32(b"newsbot:worker:" + worker_id.encode()) & 0x7FFFFFFF


async def count_workers(engine: AsyncEngine) -> int:
    """How many delivery workers hold their liveness lock (PostgreSQL; 1 elsewhere)."""
    if engine.dialect.name != "postgresql":
        return 1
    statement = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND objsubid = 2 AND classid::bigint = :namespace"
    )
    async with engine.connect() as connection:
        result = await connection.execute(statement, {"namespace": WORKERS_NAMESPACE})
        return int(result.scalar_one())


class LeaderLock:
    """Leadership for one role (by default: the feed scheduler)."""

    def __init__(
        self, engine: AsyncEngine, key: int = SCHEDULER_LOCK, *, namespace: int | None = None
    ) -> None:
        self._engine = engine
        self._key = key
        # With a namespace, the two-key form pg_*_advisory_lock(namespace, key).
        self._args = "CAST(:namespace AS integer), CAST(:key AS integer)" if namespace else ":key"
        self._params = {"key": key} if namespace is None else {"key": key, "namespace": namespace}
        self._connection: AsyncConnection | None = None
        self._held = False
        # One connection carries the lock and takes one operation at a time:
        # a release must not run into a check still under way.
        self._busy = asyncio.Lock()

    @property
    def is_leader(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        """Become (or stay) the leader if nobody else is; never waits for the lock."""
        async with self._busy:
            return await self._try_acquire()

    async def _try_acquire(self) -> bool:
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
                text(f"SELECT pg_try_advisory_lock({self._args})"), self._params
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
        async with self._busy:
            await self._release()

    async def _release(self) -> None:
        if self._connection is not None and self._held:
            try:
                await self._connection.execute(
                    text(f"SELECT pg_advisory_unlock({self._args})"), self._params
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
