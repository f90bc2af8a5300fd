"""`aria eval agent`: plays, prints levels, actions per level and the ARC-AGI-3 score; --json; bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aria_desktop.cli import app

runner = CliRunner()


def test_prints_levels_and_the_score_per_game_and_in_total():
    result = runner.invoke(app, ["eval", "agent", "--game", "maze", "--game", "lamp", "--agent", "explorer",
                                 "--max-actions", "120"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ARC-AGI-3 score" in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 5}
    assert {"maze-v1", "lamp-v1", "total"} <= set(rows)
    total_score = float(rows["total"].split("│")[5])
    assert total_score > 0  # the explorer completes early levels of both within 120 actions


def test_json_parses_and_matches_the_games_played():
    result = runner.invoke(app, ["eval", "agent", "--game", "maze", "--agent", "random", "--episodes", "2",
                                 "--max-actions", "30", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["agent"] == "random" and data["max_actions"] == 30
    (game,) = data["games"]
    assert game["game"] == "maze-v1" and game["levels"] == 4
    assert len(game["episodes"]) == 2 and all(e["actions"] <= 30 for e in game["episodes"])
    assert game["actions"] == sum(e["actions"] for e in game["episodes"])
    assert data["score"] == pytest.approx(game["score"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--game", "nosuchgame"], "Unknown game 'nosuchgame'"),
        (["--game", "maze", "--agent", "genius"], "Unknown agent 'genius'"),
        (["--game", "breakout"], "no levels to score"),
    ],
)
def test_bad_input_is_one_sentence_and_a_nonzero_exit(args, words):
    result = runner.invoke(app, ["eval", "agent", *args, "--max-actions", "5"])
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output
