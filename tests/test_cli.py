"""The `aria` CLI: --help everywhere, `aria games`, `aria run`, and clear sentences for bad input."""

from __future__ import annotations

import re

import click
import typer
from typer.testing import CliRunner

from aria_desktop.cli import app

runner = CliRunner()


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append(prefix + (name,))
        if isinstance(command, click.Group):
            paths += _command_paths(command, prefix + (name,))
    return paths


def test_every_command_has_help():
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert {("games",), ("run",)} <= set(paths)
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_games_lists_breakout_builtins_and_arc_games(arc_env_dir):
    result = runner.invoke(app, ["games", "--env-dir", str(arc_env_dir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "breakout" in rows and "NOOP FIRE RIGHT LEFT" in rows["breakout"]
    assert "toyw" in rows and "arc" in rows["toyw"] and "ACTION5" in rows["toyw"]
    assert sum(" builtin " in line for line in rows.values()) >= 6


def test_run_prints_a_summary(arc_env_dir):
    result = runner.invoke(app, ["run", "breakout", "--steps", "300", "--seed", "2"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    summary = re.search(r"(\d+) steps, (\d+) frames, (\d+) episodes", result.output)
    assert summary and summary.group(1) == "300" and summary.group(2) == "300"
    result = runner.invoke(app, ["run", "toyw", "--env-dir", str(arc_env_dir), "--steps", "50"])
    assert result.exit_code == 0, result.output
    assert "toyw played by random" in result.output


def test_bad_input_is_one_sentence(arc_env_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("ARC_API_KEY", raising=False)
    cases = [
        (["run", "nosuchgame"], "Unknown game 'nosuchgame'"),
        (["run", "toyw", "--env-dir", str(arc_env_dir), "--agent", "scripted"], "has no scripted agent"),
        (["run", "breakout", "--agent", "genius"], "Unknown agent 'genius'"),
        (["games", "--env-dir", str(tmp_path / "missing")], "does not exist"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output
        assert "Traceback" not in result.output


def test_plain_aria_opens_the_app_on_its_launcher(monkeypatch):
    calls = []
    monkeypatch.setattr("aria_desktop.cli.launch_app", lambda *args, **kwargs: calls.append((args, kwargs)))
    result = runner.invoke(app, [])
    assert result.exit_code == 0, result.output
    assert calls == [((), {})]  # launch_app's defaults: the launcher, recording on, ./recordings
    runner.invoke(app, ["games", "--help"])
    assert len(calls) == 1  # a subcommand does not open the window
