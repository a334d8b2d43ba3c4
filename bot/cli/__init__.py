"""The command line: `newsbot` and its subcommands (the outermost layer, beside bot.app)."""
