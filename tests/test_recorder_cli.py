"""`aria record` and `aria recordings ...` through typer's CliRunner, on a typer app built from the sub-app."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import record_episode, write_tiny_game  # noqa: E402

from aria_desktop.cli.record import record_command  # noqa: E402
from aria_desktop.cli.recordings import recordings_app  # noqa: E402
from aria_desktop.games.catalog import open_game  # noqa: E402
from recorder import iter_episodes, open_episode  # noqa: E402
from recorder.format import PART_SUFFIX  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(recordings_app, name="recordings")
    app.command("record")(record_command)
    return app


def _run(cli: typer.Typer, *args: str):
    return runner.invoke(cli, [str(a) for a in args], env={"COLUMNS": "200"})


def test_record_without_headless_opens_the_app_watching_and_recording(cli, tmp_path: Path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr("aria_desktop.cli.play.launch_app", lambda *args: calls.append(args))
    result = _run(cli, "record", "breakout", "--agent", "scripted", "--out", tmp_path, "--seed", "4")
    assert result.exit_code == 0, result.output
    assert calls == [("watch", "breakout", "scripted", True, tmp_path, None, 4)]


def test_record_list_show_verify(cli, tmp_path: Path) -> None:
    env = write_tiny_game(tmp_path / "env")
    out = tmp_path / "rec"
    result = _run(cli, "record", "tg01", "--agent", "random", "--episodes", "2", "--headless", "--out", out,
                  "--seed", "5", "--max-steps", "6", "--env-dir", env)
    assert result.exit_code == 0, result.output
    assert "Recorded 2 episode(s)" in result.output
    summaries = list(iter_episodes(out))
    assert len(summaries) == 2 and all(s.game == "tg01" and s.controller_mix == "agent" for s in summaries)
    for s in summaries:
        with open_episode(s.path) as ep:
            assert ep.seed in (5, 6)
            if ep.steps == 6:  # still running at --max-steps: truncated
                assert ep.truncations[-1] and ep.outcome == "TRUNCATED"

    # Two worker processes record the same episodes (each episode's game and agent are seeded alike).
    parallel = _run(cli, "record", "tg01", "--episodes", "2", "--headless", "--out", tmp_path / "par", "--seed", "5",
                    "--max-steps", "6", "--env-dir", env, "--jobs", "2")
    assert parallel.exit_code == 0, parallel.output
    twins = {s.seed: s.path for s in iter_episodes(tmp_path / "par")}
    for s in summaries:
        with open_episode(s.path) as a, open_episode(twins[s.seed]) as b:
            assert a.actions.tolist() == b.actions.tolist() and a.action_xy.tolist() == b.action_xy.tolist()
            assert (a.observations[:] == b.observations[:]).all()

    listing = _run(cli, "recordings", "list", out)
    assert listing.exit_code == 0 and listing.output.count("tg01") >= 2 and "agent" in listing.output

    shown = _run(cli, "recordings", "show", summaries[0].path)
    assert shown.exit_code == 0
    assert "observations" in shown.output and "step_frame_offsets" in shown.output and "format_version" in shown.output

    verified = _run(cli, "recordings", "verify", out, "--replay", "--env-dir", env)
    assert verified.exit_code == 0, verified.output
    assert verified.output.count("every frame replayed") == 2

    with h5py.File(summaries[0].path, "r+") as f:  # tamper with one frame
        frame = f["observations"][1]
        frame[0, 0] = (frame[0, 0] + 1) % 16
        f["observations"][1] = frame
    verified = _run(cli, "recordings", "verify", out, "--replay", "--env-dir", env)
    assert verified.exit_code == 1 and "does not match the replay" in verified.output
    assert "1 with problems" in verified.output


def test_the_explorer_records_a_game_too(cli, tmp_path: Path) -> None:
    env = write_tiny_game(tmp_path / "env")
    result = _run(cli, "record", "tg01", "--agent", "explorer", "--headless", "--out", tmp_path / "rec",
                  "--max-steps", "6", "--env-dir", env)
    assert result.exit_code == 0, result.output
    (summary,) = list(iter_episodes(tmp_path / "rec"))
    assert summary.game == "tg01" and summary.controller_mix == "agent" and summary.steps >= 1
    bad = _run(cli, "record", "tg01", "--agent", "planner", "--headless", "--out", tmp_path / "bad", "--env-dir", env)
    assert bad.exit_code != 0 and "planner" in bad.output and "Traceback" not in bad.output


def test_list_and_verify_name_bad_files(cli, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    record_episode(open_game("breakout", seed=0), out, [(1, None)] * 3, seed=0)
    (out / "breakout" / "junk.h5").write_text("junk")
    listing = _run(cli, "recordings", "list", out)
    assert listing.exit_code == 0 and "breakout" in listing.output
    assert "junk.h5" in listing.output and "truncated or corrupt" in listing.output
    verified = _run(cli, "recordings", "verify", out)
    assert verified.exit_code == 1 and "junk.h5" in verified.output
    empty = _run(cli, "recordings", "list", tmp_path / "nothing-here")
    assert empty.exit_code != 0 and "does not exist" in empty.output
    shown = _run(cli, "recordings", "show", out / "breakout" / "junk.h5")
    assert shown.exit_code == 2 and "junk.h5" in shown.output and "Traceback" not in shown.output


def test_recover_command(cli, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    w = record_episode(open_game("breakout", seed=0), out, [(1, None)] * 4, seed=0, close=False)
    w.flush()
    part = w.path
    # Simulate the process dying: the file stays as it is on disk; only this process's handles go away.
    w._stop_flusher()
    w._file.close()
    w._release_lock()
    assert part.name.endswith(PART_SUFFIX)
    result = _run(cli, "recordings", "recover", out)
    assert result.exit_code == 0 and "Recovered" in result.output and "4 steps" in result.output
    assert not part.exists()
    result = _run(cli, "recordings", "recover", out)
    assert result.exit_code == 0 and "nothing to do" in result.output


def test_import_and_export_commands(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    grid = [[0] * 64 for _ in range(64)]
    lines = [
        '{"timestamp": "2025-01-01T00:00:00+00:00", "data": {"game_id": "ab12-v9", "state": "NOT_FINISHED", '
        '"score": 0, "win_levels": 1, "action_input": {"id": 0, "data": {}}, "frame": [%s]}}' % grid,
        "garbage",
        '{"timestamp": "2025-01-01T00:00:01+00:00", "data": {"game_id": "ab12-v9", "state": "WIN", '
        '"score": 1, "win_levels": 1, "action_input": {"id": 6, "data": {"x": 3, "y": 4}}, "frame": [%s]}}' % grid,
    ]
    source = tmp_path / "run.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = _run(cli, "recordings", "import-arc", source, "--out", tmp_path / "rec")
    assert result.exit_code == 1, result.output  # the garbage line could not be placed
    assert "1 episode(s) imported" in result.output and "run.jsonl line 2" in result.output
    (episode,) = list(iter_episodes(tmp_path / "rec"))
    assert episode.game == "ab12" and episode.steps == 1 and episode.outcome == "WIN" and episode.total_reward == 1

    verified = _run(cli, "recordings", "verify", tmp_path / "rec", "--replay")
    assert verified.exit_code == 0 and "replay skipped" in verified.output

    result = _run(cli, "recordings", "export-minari", tmp_path / "rec", "--dataset-id", "aria/ab12-v0")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "minari" / "aria" / "ab12-v0" / "data" / "main_data.hdf5").exists()
    result = _run(cli, "recordings", "export-minari", tmp_path / "rec", "--dataset-id", "bad id")
    assert result.exit_code == 2 and "Minari's form" in result.output
