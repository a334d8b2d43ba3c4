"""Telegram's HTML parse mode, reimplemented as a pure function (TDLib's rules).

- ``parser``: ``parse_html`` itself, one pass over the markup in TDLib's order.
- ``text``: what a parse yields (``ParsedText``), its error and ``utf16_len``.
- ``references``: character references (``&lt;``, ``&#123;``, ...) as TDLib decodes them.
- ``links``: the URL Telegram keeps for a text link, or none.
- ``nesting``: which entities Telegram lets sit inside which.
"""
