"""Feed bytes to normalised entries: RSS 0.9x/1.0/2.0, Atom and JSON Feed. Pure: no I/O.

``document.parse_feed`` is the way in; ``model`` holds what it returns.
"""
