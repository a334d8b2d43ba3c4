"""newsbot: Telegram news distribution for newsrooms."""

import os

# python-telegram-bot 22 reports RetryAfter.retry_after as a timedelta only
# when this is set, and warns (an error under our test settings) otherwise.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
