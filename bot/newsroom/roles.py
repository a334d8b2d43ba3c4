"""Who may do what: readers, editors, admins (an admin may do everything an editor may)."""

from __future__ import annotations

from enum import IntEnum

from config.settings import Settings
from storage.db import SessionFactory
from storage.roles import stored_roles


class Role(IntEnum):
    READER = 0
    EDITOR = 1
    ADMIN = 2


def settings_role(settings: Settings, user_id: int) -> Role:
    """The role the settings file and environment give a user."""
    if user_id in settings.admins:
        return Role.ADMIN
    if user_id in settings.editors:
        return Role.EDITOR
    return Role.READER


async def role_of(settings: Settings, sessions: SessionFactory, user_id: int | None) -> Role:
    """A user's highest role, from the settings and from roles granted in Telegram or the CLI."""
    if user_id is None:
        return Role.READER
    role = settings_role(settings, user_id)
    if role is Role.ADMIN:
        return role
    async with sessions() as session:
        stored = await stored_roles(session, user_id)
    if "admin" in stored:
        return Role.ADMIN
    if "editor" in stored:
        return Role.EDITOR
    return role
