"""What every command may raise for a bad argument (exit 2)."""


class UsageError(Exception):
    """A bad argument; the message names it (exit 2)."""
