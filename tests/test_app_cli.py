"""`aria play` as typer sees it: bad options get one sentence and a non-zero exit."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from aria_desktop.cli.play import play_command


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("play")(play_command)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "play" a named subcommand
        pass

    return app


def test_unknown_mode_is_one_sentence():
    result = CliRunner().invoke(_cli(), ["play", "breakout", "--mode", "dance"])
    assert result.exit_code == 2
    assert "Error: Unknown mode 'dance'; choose one of: play, watch, replay, dream, train." in result.output


def test_missing_environments_folder_is_one_sentence(tmp_path):
    result = CliRunner().invoke(_cli(), ["play", "ls20", "--env-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "Error: Environments folder" in result.output and "does not exist" in result.output and "Traceback" not in result.output


def test_help_lists_the_options():
    result = CliRunner().invoke(_cli(), ["play", "--help"])
    assert result.exit_code == 0
    for option in ("--mode", "--agent", "--no-record", "--out", "--env-dir"):
        assert option in result.output


def test_bench_app_prints_both_columns(capsys):
    from aria_desktop.bench.app import bench_app

    figures = bench_app(frames=6, blocks=1, training=False)
    out = capsys.readouterr().out
    assert "idle" in out and "recording on" in out and "median" in out and "p95" in out
    assert figures["on_median_ms"] > 0 and figures["off_median_ms"] > 0
    assert "no episode was saved" not in out  # the recording run really recorded
    assert "1000 / median" in out and "max fps" not in out and "recording on / idle per block" in out
    assert "training" not in out


def test_bench_record_calls_noise_noise():
    from aria_desktop.bench.record import BenchResult, added_per_block, size_versus_raw, verdict

    assert verdict(-0.022, [-0.05, 0.03]).startswith("verdict: no measurable cost")
    assert "adds" not in verdict(-0.022, [-0.05, -0.01]) and "noise" in verdict(-0.022, [-0.05, -0.01])
    assert verdict(0.5, [0.4, 0.6]).startswith("verdict: recording adds 0.500 ms") and "under the 1 ms" in verdict(0.5, [0.4, 0.6])
    assert size_versus_raw(1000, 1040) == "about the raw size" and size_versus_raw(1000, 1200) == "1.20x larger"
    assert size_versus_raw(1000, 100) == "10.0x smaller"
    result = BenchResult("g", off_ms=[1.0] * 10 + [2.0] * 10, on_ms=[1.5] * 10 + [2.0] * 10)
    assert added_per_block(result, blocks=2) == [0.5, 0.0]


def test_no_display_is_one_sentence_and_nothing_is_written(tmp_path, monkeypatch):
    from aria_desktop.cli import app

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "No display" in result.output and "xvfb-run" in result.output and "\n" not in result.output.strip()
    assert list(tmp_path.iterdir()) == []  # no empty recordings folder left behind


def test_sdl_falling_back_to_an_unseen_driver_is_refused(monkeypatch):
    import pygame
    import pytest

    from aria_desktop.app.app import App
    from aria_desktop.errors import AriaError

    monkeypatch.setenv("DISPLAY", ":999")  # says there is a display, but SDL ends up offscreen
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.setattr(pygame.display, "init", lambda: None)
    monkeypatch.setattr(pygame.display, "get_driver", lambda: "offscreen")
    with pytest.raises(AriaError, match="SDL found only its 'offscreen' driver"):
        App()
