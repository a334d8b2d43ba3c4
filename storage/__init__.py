"""The only layer that speaks SQL. Never imports ``bot``."""
