"""The delivery worker's bookkeeping: what came of each claimed row, kept and written in bulk.

What Telegram answered is appended here as an ``Outcome`` and written back in
one statement every FLUSH_EVERY seconds, so no send waits on the database.
Until then the rows stay "sending": a crash loses at most that much, and
``recover`` counts those rows as in flight. ``WorkerStats`` tallies the
outcomes for reports.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import deliveries as queue
from storage.claims import Claimed
from storage.db import utcnow
from storage.deliveries import Outcome

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.1  # seconds between bulk writes of outcomes (at most this much is unrecorded)


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    rate_limited: int = 0
    requeued: int = 0


def outcome(
    row: Claimed,
    status: str,
    *,
    attempts: int = 0,
    next_at: datetime | None = None,
    error: str | None = None,
) -> Outcome:
    """What to write back on ``row``: ``attempts`` more spent, due again at ``next_at``."""
    return Outcome(
        id=row.id,
        status=status,
        attempts=row.attempts + attempts,
        next_attempt_at=next_at or utcnow(),
        last_error=error,
    )


class Ledger:
    """Outcomes not yet written, and their bulk writes."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], db: asyncio.Lock, wake: asyncio.Event
    ) -> None:
        self._sessions = sessions
        self._db = db  # the worker's: one database conversation at a time
        self._wake = wake  # the worker's: set when a write may have freed a chat's next row
        self.outcomes: list[Outcome] = []

    def requeue(self, rows: list[Claimed]) -> None:
        """Claimed but not started: back to the queue as they were."""
        for row in rows:
            self.record(outcome(row, queue.PENDING))

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    async def flush(self) -> None:
        if not self.outcomes:
            return
        batch, self.outcomes = self.outcomes, []
        try:
            async with self._db, self._sessions() as session:
                await queue.record_outcomes(session, batch)
        except BaseException:
            # Not written: keep them for the next flush (until then the rows stay
            # "sending", and a crash now would count them as in flight).
            self.outcomes = batch + self.outcomes
            raise

    async def flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            if self.outcomes:
                try:
                    # Shielded: cancelled mid-write (the worker stopping), the write
                    # finishes rather than leave its connection in a transaction that
                    # holds SQLite's write lock, and the last flush waits its turn.
                    await asyncio.shield(self.flush())
                except Exception:
                    log.exception(
                        "recording deliveries failed, retrying count=%s", len(self.outcomes)
                    )
                    continue
                self._wake.set()  # a chat's next row may be claimable now
