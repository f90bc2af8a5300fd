"""Bad input: truncated, corrupt, foreign, newer-version files and empty folders get one clear sentence;
the good files next to them still list and load."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import record_episode, write_tiny_game  # noqa: E402

from aria_desktop.games.catalog import open_game  # noqa: E402
from recorder import (  # noqa: E402
    FORMAT_VERSION,
    RecordingError,
    RecordingProblem,
    iter_episodes,
    open_episode,
)
from recorder.verify import verify_structure  # noqa: E402


@pytest.fixture(scope="module")
def good_episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good")
    env = write_tiny_game(root / "env")
    return record_episode(open_game("tg01", env, seed=2), root / "rec", [(5, None), (2, None), (4, None)], seed=2).path


def _folder_with(tmp_path: Path, good_episode: Path) -> tuple[Path, Path]:
    folder = tmp_path / "rec" / "tg01"
    folder.mkdir(parents=True)
    good = folder / good_episode.name
    shutil.copy(good_episode, good)
    return folder, good


def _problem_for(folder: Path, bad: Path) -> str:
    items = list(iter_episodes(folder))
    problems = [i for i in items if isinstance(i, RecordingProblem)]
    good = [i for i in items if not isinstance(i, RecordingProblem)]
    assert len(good) == 1 and good[0].steps == 3, "the good file must still list"
    assert len(problems) == 1 and problems[0].path == bad
    with open_episode(good[0].path) as ep:  # and still load
        assert ep.observations[3].shape == (64, 64)
    return str(problems[0])


def _one_sentence(text: str, name: str) -> None:
    assert name in text and "\n" not in text and text.endswith(".")


def test_truncated_file(tmp_path: Path, good_episode: Path) -> None:
    folder, good = _folder_with(tmp_path, good_episode)
    bad = folder / "truncated.h5"
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    message = _problem_for(folder, bad)
    _one_sentence(message, "truncated.h5")
    assert "truncated or corrupt" in message
    with pytest.raises(RecordingError, match="truncated.h5"):
        open_episode(bad)


def test_corrupt_file(tmp_path: Path, good_episode: Path) -> None:
    folder, good = _folder_with(tmp_path, good_episode)
    bad = folder / "corrupt.h5"
    data = bytearray(good.read_bytes())
    data[:64] = bytes(range(64))  # the superblock
    bad.write_bytes(bytes(data))
    _one_sentence(_problem_for(folder, bad), "corrupt.h5")


def test_file_that_is_not_hdf5_at_all(tmp_path: Path, good_episode: Path) -> None:
    folder, _ = _folder_with(tmp_path, good_episode)
    bad = folder / "notes.h5"
    bad.write_text("these are my notes, not a recording\n")
    _one_sentence(_problem_for(folder, bad), "notes.h5")


def test_foreign_hdf5_file(tmp_path: Path, good_episode: Path) -> None:
    folder, _ = _folder_with(tmp_path, good_episode)
    bad = folder / "foreign.h5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("x", data=np.arange(10))
    message = _problem_for(folder, bad)
    _one_sentence(message, "foreign.h5")
    assert "not an ARIA recording" in message


def test_newer_format_version(tmp_path: Path, good_episode: Path) -> None:
    folder, good = _folder_with(tmp_path, good_episode)
    bad = folder / "future.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as f:
        f.attrs["format_version"] = FORMAT_VERSION + 1
    message = _problem_for(folder, bad)
    _one_sentence(message, "future.h5")
    assert "newer ARIA" in message and "upgrade ARIA" in message
    assert not verify_structure(bad).ok


def test_damaged_structure_is_reported_by_verify(tmp_path: Path, good_episode: Path) -> None:
    folder, good = _folder_with(tmp_path, good_episode)
    bad = folder / "short.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as f:
        f["rewards"].resize((1,))
    report = verify_structure(bad)
    assert not report.ok and any("'rewards' has 1 rows" in p for p in report.problems)
    assert verify_structure(good).ok


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    items = list(iter_episodes(empty))
    assert len(items) == 1 and isinstance(items[0], RecordingProblem)
    _one_sentence(items[0], "empty")
    assert "No recordings" in items[0]
    missing = list(iter_episodes(tmp_path / "nowhere"))
    assert len(missing) == 1 and "does not exist" in missing[0]
    with pytest.raises(RecordingError, match="does not exist"):
        open_episode(tmp_path / "nowhere.h5")
