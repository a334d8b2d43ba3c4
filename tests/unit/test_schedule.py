"""When a feed is polled next: one test per rule."""

from datetime import datetime, timedelta

from bot.feeds.schedule import next_check_after_error, next_check_after_success

NOW = datetime(2026, 11, 27, 12, 0)


def test_a_healthy_feed_waits_its_interval() -> None:
    assert next_check_after_success(NOW, 120) == NOW + timedelta(seconds=120)


def test_the_first_error_doubles_the_wait() -> None:
    assert next_check_after_error(NOW, 60, 1, 3600) == NOW + timedelta(seconds=120)


def test_each_further_error_doubles_it_again() -> None:
    waits = [next_check_after_error(NOW, 60, n, 10**6) - NOW for n in (1, 2, 3)]
    assert waits == [timedelta(seconds=120), timedelta(seconds=240), timedelta(seconds=480)]


def test_backoff_stops_at_the_maximum() -> None:
    assert next_check_after_error(NOW, 60, 30, 3600) == NOW + timedelta(seconds=3600)


def test_backoff_never_polls_sooner_than_the_interval() -> None:
    assert next_check_after_error(NOW, 7200, 1, 3600) == NOW + timedelta(seconds=7200)
