"""The OPML import's progress: a bar redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

from bot.cli.admin import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_redrawn() -> None:
    stream = Terminal()
    bar = ProgressBar(stream)
    bar.update(1, 4, "http://a.example/rss")
    bar.update(4, 4, "http://b.example/rss")
    bar.finish()
    output = stream.getvalue()
    assert output.count("\r") == 2 and output.endswith("\n") and output.count("\n") == 1
    assert "[#######-----------------------] 1/4" in output
    assert "[##############################] 4/4 http://b.example/rss" in output


def test_a_pipe_gets_plain_lines() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.update(1, 2, "http://a.example/rss")
    bar.update(2, 2, "http://b.example/rss")
    bar.finish()
    assert (
        stream.getvalue() == "checked 1/2 http://a.example/rss\nchecked 2/2 http://b.example/rss\n"
    )
