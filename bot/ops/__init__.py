"""What an operator runs the bot with besides Telegram: the health and metrics endpoint
(``endpoint``, judged by ``health``) and the webhook that receives updates (``webhook``).
Both are aiohttp servers (``listener``) started by the composition root."""
