"""The texts shown in several places (window, terminal, command line), formatted once."""

from __future__ import annotations

import pytest

from humanaes_desktop.library.records import Flag, Rating
from humanaes_desktop.wording import (
    GET_MODEL_IN_APP,
    NO_MODEL_INSTALLED,
    color_label_text,
    format_duration,
    format_eta,
    rating_text,
    stars_text,
)


@pytest.mark.parametrize(
    ("seconds", "window", "terminal"),
    [
        (12.4, "12 s", "12s"),
        (200, "3 min 20 s", "3m20s"),
        (3900, "1 h 05 min", "1h05m"),
        (59.6, "1 min 00 s", "1m00s"),  # rounded, never "60 s"
    ],
)
def test_durations_read_the_same_in_the_window_and_the_terminal(seconds, window, terminal):
    assert format_duration(seconds) == window
    assert format_duration(seconds, compact=True) == terminal


@pytest.mark.parametrize("unknown", [None, float("nan"), -3.0])
def test_an_unknown_time_left_says_nothing(unknown):
    assert format_eta(unknown) == ""


def test_eta_is_a_duration_with_its_word():
    assert format_eta(200) == "ETA 3 min 20 s"
    assert format_eta(200, compact=True) == "ETA 3m20s"


def test_ratings():
    assert stars_text(2) == "★★☆☆☆"
    assert stars_text(0) == "☆☆☆☆☆"
    assert stars_text(0, blank_if_unrated=True) == ""
    assert color_label_text("green") == "Green label" and color_label_text("") == ""
    assert rating_text(Rating(stars=5, flag=Flag.REJECTED, color="red")) == (
        "★★★★★  ·  Rejected  ·  ● Red"
    )


def test_no_model_texts_say_how_to_get_one():
    assert "Settings → Model" in GET_MODEL_IN_APP
    assert "humanaes model download" in NO_MODEL_INSTALLED and "--model DIR" in NO_MODEL_INSTALLED


def test_a_one_tile_score_is_called_quick_and_nothing_else_full():
    from humanaes_desktop.wording import describe_score

    assert describe_score(1) == "quick score (the whole photo as one tile)"
    assert describe_score(12) == "full score (up to 12 tiles)"
