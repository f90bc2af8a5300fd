"""Bad command input gets one sentence and a non-zero exit, before anything is written or opened."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from aria_desktop.cli import app  # noqa: E402
from recorder import import_arc_jsonl  # noqa: E402

runner = CliRunner()


def _fails(*args: str, sentence: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and sentence in result.output, result.output
    return result.output


@pytest.mark.parametrize("seed", ["-5", "-1", str(2**70), str(2**32)])
def test_seeds_outside_0_to_2_32_are_refused(seed: str, tmp_path: Path) -> None:
    out = ["--out", str(tmp_path)]
    for command in (["record", "breakout", "--headless", *out], ["record", "maze", "--headless", *out], ["run", "maze"]):
        _fails(*command, "--seed", seed, sentence="Invalid value for '--seed'")
    assert not list(tmp_path.rglob("*")), "nothing recorded, no stray .part"


def test_the_last_playthrough_seed_must_fit_too(tmp_path: Path) -> None:
    _fails("record", "maze", "--headless", "--seed", str(2**32 - 1), "--episodes", "2", "--out", str(tmp_path),
           sentence="the largest seed")
    assert not list(tmp_path.rglob("*"))


def test_an_empty_out_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _fails("record", "maze", "--headless", "--out", "", sentence="--out is empty")
    _fails("play", "maze", "--out", "", sentence="--out is empty")
    assert not list(tmp_path.iterdir())


def test_an_unknown_game_is_one_sentence_without_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    import aria_desktop.app as app_package

    monkeypatch.delenv("ARC_API_KEY", raising=False)
    monkeypatch.setattr(app_package, "App", None)  # opening the window (the launcher) would fail loudly here
    _fails("play", "nosuchgame", sentence="Unknown game 'nosuchgame'")
    _fails("play", "nosuchgame", "--mode", "watch", sentence="Unknown game 'nosuchgame'")
    _fails("record", "nosuchgame", sentence="Unknown game 'nosuchgame'")


def test_bench_record_of_an_unknown_game_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARC_API_KEY", raising=False)
    _fails("bench", "record", "--game", "nosuch", sentence="Unknown game 'nosuch'")


def test_import_arc_refuses_a_click_outside_the_grid(tmp_path: Path) -> None:
    grid = [[0] * 64 for _ in range(64)]
    records = [
        {"timestamp": "2025-01-01T00:00:00+00:00", "data": {"game_id": "tg01-v1", "state": "NOT_FINISHED",
                                                            "levels_completed": 0, "win_levels": 2,
                                                            "action_input": {"id": "RESET", "data": {}},
                                                            "frame": [grid]}},
        {"timestamp": "2025-01-01T00:00:01+00:00", "data": {"game_id": "tg01-v1", "state": "NOT_FINISHED",
                                                            "levels_completed": 0, "win_levels": 2,
                                                            "action_input": {"id": "ACTION6", "data": {"x": 5000, "y": -7}},
                                                            "frame": [grid]}},
    ]
    source = tmp_path / "clicks.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = import_arc_jsonl([source], tmp_path / "rec", app_version="t")
    assert any("clicks.jsonl line 2" in p and "(5000, -7)" in p and "outside" in p for p in result.problems), result.problems
