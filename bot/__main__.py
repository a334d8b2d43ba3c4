"""``python -m bot`` is the same as the ``newsbot`` command."""

from bot.cli.main import main

raise SystemExit(main())
