"""A game file that loops forever at import or in __init__ does not hang `aria games` or `aria run`: loading has a
time limit and the sentence names the file that did not load."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import TOY_GAME, write_game
from typer.testing import CliRunner

import aria_desktop.games.arc as arc
from aria_desktop.cli import app
from aria_desktop.errors import AriaError
from aria_desktop.games.catalog import list_games, open_game

LOOP_AT_IMPORT = "while True:\n    pass\n" + TOY_GAME
LOOP_IN_INIT = TOY_GAME.replace("def __init__(self, seed: int = 0):", "def __init__(self, seed: int = 0):\n        while True:\n            pass", 1)


@pytest.fixture
def stuck_env_dir(tmp_path, monkeypatch):
    assert LOOP_IN_INIT != TOY_GAME
    monkeypatch.setattr(arc, "LOAD_TIME_LIMIT_S", 1.0)
    root = tmp_path / "environment_files"
    write_game(root, "toyw", "0001", TOY_GAME)
    write_game(root, "stki", "0001", LOOP_AT_IMPORT.replace("Toyw", "Stki"))
    write_game(root, "stkc", "0001", LOOP_IN_INIT.replace("Toyw", "Stkc"))
    return root


def _stuck_threads() -> int:
    time.sleep(0.2)
    return sum(t.name == "aria-game-load" and t.is_alive() for t in threading.enumerate())


def test_games_lists_the_working_game_and_names_the_stuck_files(stuck_env_dir) -> None:
    entries = {e.id: e for e in list_games(stuck_env_dir)}
    assert entries["toyw"].error is None
    for game in ("stki", "stkc"):
        assert f"{game}.py" in entries[game].error and "did not load within 1 s" in entries[game].error
    assert _stuck_threads() == 0, "the runaway loads were stopped"


def test_run_of_a_stuck_game_is_one_sentence(stuck_env_dir) -> None:
    with pytest.raises(AriaError, match="stkc.py"):
        open_game("stkc", stuck_env_dir)
    result = CliRunner().invoke(app, ["run", "stki", "--steps", "3", "--env-dir", str(stuck_env_dir)])
    assert result.exit_code != 0 and "stki.py" in result.output and "Traceback" not in result.output
