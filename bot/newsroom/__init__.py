"""The newsroom's use cases: breaking news, readers, feed and channel management, stats, alerts.

They sit between delivery (below) and the Telegram handlers and command line (above).
"""
