"""Settings and logging: loaded once at the edge, passed down."""
