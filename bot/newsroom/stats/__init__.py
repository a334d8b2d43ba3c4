"""The admins' figures: readers, topics, languages, channels, feed health, deliveries.

Everything comes from stored rows, so the history is right for days nobody
asked: the readers' curve is replayed from the ChatEvent log (``history``).
``collect`` reads what ``storage.stats`` returns into the ``Stats`` value of
``figures``; the same value feeds the Telegram message and ``newsbot stats``
(``message``), the chart, and the JSON and CSV forms (``exports``).
"""
