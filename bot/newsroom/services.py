"""What handlers and jobs need, built once by the composition root and handed down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.feeds.fetcher import Fetcher
from config.settings import Settings
from storage.db import SessionFactory

if TYPE_CHECKING:
    from bot.delivery.worker import DeliveryWorker


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    fetcher: Fetcher
    delivery: DeliveryWorker | None = None

    def wake_delivery(self) -> None:
        """New deliveries were queued: let the worker start on them now."""
        if self.delivery is not None:
            self.delivery.wake()


SERVICES_KEY = "services"


def services_of(bot_data: dict[str, Any]) -> Services:
    """The Services an Application carries in ``bot_data`` (``context.bot_data``)."""
    found = bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
