"""The delivery workers' liveness: who is alive, each one's share of the rate, the dead's claims.

While it has claims, a worker holds a PostgreSQL advisory lock named after its
id, which is how the others tell that it is alive. A crash between Telegram's
answer and its recording leaves rows "sending"; ``recover`` (at the next
start, of this or any process) puts back the rows of workers that died and
reports how many: those, and only those, may reach their chat twice. The live
workers split the bot's rate evenly, since Telegram counts it per token.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.limiter import RateLimiter
from storage import claims
from storage.db import utcnow
from storage.leader import WORKERS_NAMESPACE, LeaderLock, count_workers, worker_lock_key

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: any live send has long
# finished or timed out by then.
STALE_CLAIM = timedelta(minutes=10)
DEAD_CHECK_EVERY = 60.0  # seconds between looks for rows held by workers that died
# Several processes split delivery.rate evenly: each counts the live workers this
# often, and a newcomer waits JOIN_WAIT before its first send so the others slow first.
RATE_SHARE_EVERY = 0.25
JOIN_WAIT = 2 * RATE_SHARE_EVERY


class Liveness:
    """One worker among the others: its liveness lock, its share of the rate, the dead's rows."""

    def __init__(
        self,
        worker_id: str,
        sessions: async_sessionmaker[AsyncSession],
        db: asyncio.Lock,
        limiter: RateLimiter,
        rate: float,
    ) -> None:
        self.worker_id = worker_id
        self._sessions = sessions
        self._db = db  # the worker's: one database conversation at a time
        self.limiter = limiter
        self._rate = rate  # the whole bot's, before it is shared
        self._liveness: LeaderLock | None = None
        self._dead_check_at = 0.0

    async def recover(self) -> int:
        """Put back rows left in flight by workers that died (a crash); count and log them.

        Those rows may have reached their chats already: they, and only they,
        can repeat. A worker is known dead when its PostgreSQL liveness lock is
        free (SQLite: when it was this host's process and is gone), or when its
        claim is older than STALE_CLAIM.
        """
        rows = await self._release_dead_claims(include_own=True)
        for delivery_id, post_id, chat_id in rows:
            log.warning(
                "in flight at a crash, may repeat delivery_id=%s post_id=%s chat_id=%s",
                delivery_id,
                post_id,
                chat_id,
            )
        if rows:
            log.warning(
                "recovered in-flight deliveries count=%s worker=%s", len(rows), self.worker_id
            )
        return len(rows)

    async def _release_dead_claims(self, *, include_own: bool) -> list[tuple[int, int, int]]:
        engine = self._sessions.kw.get("bind")
        async with self._db, self._sessions() as session:
            owners = await claims.claim_owners(session)
        dead: list[str] = []
        for owner in owners:
            if owner == self.worker_id:
                if include_own:  # our id, from before a restart: nothing of ours is in flight yet
                    dead.append(owner)
            elif await self._is_dead(engine, owner):
                dead.append(owner)
        async with self._db, self._sessions() as session:
            return await claims.release_claims(session, dead, utcnow() - STALE_CLAIM)

    async def _is_dead(self, engine: AsyncEngine | None, owner: str) -> bool:
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            await self.hold(engine)
            probe = LeaderLock(engine, worker_lock_key(owner), namespace=WORKERS_NAMESPACE)
            if not await probe.try_acquire():
                return False  # its holder is alive
            await probe.release()
            return True
        # SQLite serves the processes of one host: a worker id "host:pid" whose process
        # is gone is dead; any other id is from a process that cannot share this file now.
        host, _, pid = owner.rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return not _process_alive(int(pid))
        return True

    async def take_over_dead_claims(self) -> None:
        """Now and then, requeue what a worker on another machine left when it died."""
        now = time.monotonic()
        if now < self._dead_check_at:
            return
        self._dead_check_at = now + DEAD_CHECK_EVERY
        rows = await self._release_dead_claims(include_own=False)
        if rows:
            log.warning("requeued deliveries of a dead worker count=%s", len(rows))

    async def hold(self, engine: AsyncEngine) -> None:
        """Hold our own liveness lock, so that other workers see this one alive."""
        if self._liveness is None:
            self._liveness = LeaderLock(
                engine, worker_lock_key(self.worker_id), namespace=WORKERS_NAMESPACE
            )
        if not self._liveness.is_leader and await self._liveness.try_acquire():
            # Joining: let the others see us and slow down before we send anything.
            await self._share_rate(engine)
            await asyncio.sleep(JOIN_WAIT)
            await self._share_rate(engine)

    async def _share_rate(self, engine: AsyncEngine) -> None:
        """The bot's rate is for the token, not the process: take our share of it."""
        workers = await count_workers(engine)
        self.limiter.set_rate(self._rate / max(1, workers))

    async def share_rate_loop(self) -> None:
        engine = self._sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return
        while True:
            await asyncio.sleep(RATE_SHARE_EVERY)
            try:
                await self._share_rate(engine)
            except Exception:
                log.exception("could not count the delivery workers")

    async def close(self) -> None:
        """Let go of the liveness lock: nothing of ours is in flight any more."""
        if self._liveness is not None:
            await self._liveness.release()
            self._liveness = None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True
