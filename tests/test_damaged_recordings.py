"""A folder of damaged copies beside valid episodes: list, show, verify (--replay), recover, export-minari and the
replay view give one sentence per damaged file and no traceback; the valid episodes still list, verify and export."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pygame
import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from damaged_support import make_damaged  # noqa: E402
from test_app_helpers import make_app, tap, ticks  # noqa: E402

from aria_desktop.cli.record import RecordConfig, record_episodes  # noqa: E402
from aria_desktop.cli.recordings import recordings_app  # noqa: E402
from recorder import RecordingError, export_minari, verify_structure  # noqa: E402

runner = CliRunner()
VALID = 2


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[Path]]:
    root = tmp_path_factory.mktemp("damaged")
    valid = record_episodes(RecordConfig("maze", "scripted", VALID, root, max_steps=12))
    bad = make_damaged(valid[0], root / "maze")
    return root, valid, bad


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(recordings_app, name="recordings")
    return app


def _run(cli: typer.Typer, *args: str):
    result = runner.invoke(cli, ["recordings", *args], env={"COLUMNS": "400"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_list_and_show_say_one_sentence_per_damaged_file(cli, damaged) -> None:
    root, valid, bad = damaged
    listed = _run(cli, "list", str(root))
    for path in valid:
        assert path.name in listed.output
    for path in [*valid, *bad]:
        shown = _run(cli, "show", str(path))
        assert (shown.exit_code == 0) == (path in valid or path.name in ("damaged-actions_99.h5",
                                                                         "damaged-actions_minus5.h5",
                                                                         "damaged-rewards_all_nan.h5",
                                                                         "damaged-controllers_7.h5",
                                                                         "damaged-corrupt_chunk.h5")), shown.output
        assert max(map(len, shown.output.splitlines())) < 600  # the 1 MB game name is cut short


def test_verify_checks_the_whole_contract_and_counts_files(cli, damaged) -> None:
    root, valid, bad = damaged
    for replay in ([], ["--replay"]):
        result = _run(cli, "verify", str(root), *replay)
        assert result.exit_code == 1
        assert f"{len(valid) + len(bad)} episode file(s) checked, {len(bad)} with problems." in result.output
        for path in bad:
            assert f"FAIL Recording {path}" in result.output or f"FAIL {path}" in result.output, path.name
        for path in valid:
            assert f"OK   {path}" in result.output
    for path in bad:  # one file at a time too: never an abort, always a verdict
        assert _run(cli, "verify", str(path), "--replay").exit_code == 1
    assert all(verify_structure(p).ok for p in valid)


def test_recover_leaves_damaged_finished_files_alone(cli, damaged, tmp_path) -> None:
    root, _, bad = damaged
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    result = _run(cli, "recover", str(copy))
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert sorted(p.name for p in (copy / "maze").iterdir()) == sorted(p.name for p in (root / "maze").iterdir())


def test_export_skips_damaged_episodes_with_a_line_each(cli, damaged, tmp_path) -> None:
    root, valid, bad = damaged
    result = _run(cli, "export-minari", str(root), "--dataset-id", "aria/maze-v0", "--datasets-path", str(tmp_path))
    assert result.exit_code == 0
    assert result.output.count("Skipped:") == len(bad) and f"Exported {len(valid)} episode(s)" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 600  # the 1 MB game name is cut short
    assert (tmp_path / "aria" / "maze-v0" / "data" / "main_data.hdf5").exists()
    assert not (tmp_path / "aria" / "maze-v0" / "data.partial").exists()


def test_export_into_an_unwritable_place_is_one_sentence(cli, damaged, tmp_path) -> None:
    root, _, _ = damaged
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # unwritable even for root
    result = _run(cli, "export-minari", str(root), "--dataset-id", "aria/maze-v0", "--datasets-path", str(blocker))
    assert result.exit_code != 0 and "choose a writable --datasets-path" in result.output


def test_an_export_that_fails_halfway_leaves_nothing(damaged, tmp_path, monkeypatch) -> None:
    export = sys.modules["recorder.export_minari"]  # the package's export_minari is the function
    root, _, _ = damaged
    written = export._write_episode

    def fail_on_second(group, path, index, frame_kind):
        if index == 1:
            raise OSError("Can't synchronously read data (filter returned failure during read)")
        return written(group, path, index, frame_kind)

    monkeypatch.setattr(export, "_write_episode", fail_on_second)
    with pytest.raises(RecordingError, match="stopped and was removed"):
        export_minari(root, "aria/maze-v0", tmp_path)
    assert list((tmp_path / "aria" / "maze-v0").iterdir()) == []


def test_the_replay_view_lists_readable_episodes_and_marks_damaged_ones(damaged, tmp_path) -> None:
    root, valid, _ = damaged
    app = make_app(tmp_path, "replay", path=root / "maze")
    mode = app.mode
    assert len(mode.problems) >= 10  # the unreadable files, one sentence each
    listed = {p.name for p in mode.paths}
    assert {p.name for p in valid} <= listed and "damaged-corrupt_chunk.h5" in listed
    for _ in range(len(mode.paths)):
        ticks(app, 2)
        tap(pygame.K_PAGEDOWN)
    ticks(app, 2)
    assert app.mode is mode, "the replay view stays open"
    assert any(p.name == "damaged-corrupt_chunk.h5" for p in mode.damaged)
    app.quit()
    app.tick()


def test_a_damaged_rgb_frame_chunk_is_one_verdict_and_one_skipped_episode(cli, tmp_path) -> None:
    from damaged_support import _corrupt_chunk

    [valid] = record_episodes(RecordConfig("breakout", "scripted", 1, tmp_path / "rec", max_steps=6))
    bad = valid.with_name("damaged-chunk.h5")
    shutil.copy(valid, bad)
    _corrupt_chunk(bad)  # Breakout frames are read only by a replay or an export
    result = _run(cli, "verify", str(tmp_path / "rec"), "--replay")
    assert f"OK   {valid}" in result.output and f"FAIL {bad} is damaged" in result.output
    assert "2 episode file(s) checked, 1 with problems." in result.output
    result = _run(cli, "export-minari", str(tmp_path / "rec"), "--dataset-id", "aria/bk-v0",
                  "--datasets-path", str(tmp_path / "minari"))
    assert result.exit_code == 0 and result.output.count("Skipped:") == 1 and "Exported 1 episode(s)" in result.output
    assert sorted(p.name for p in (tmp_path / "minari" / "aria" / "bk-v0").iterdir()) == ["data"]
