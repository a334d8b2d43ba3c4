"""Delivery: the queue of deliveries sent to Telegram within its limits."""
