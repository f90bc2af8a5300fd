"""Export episodes as a Minari dataset (HDF5 storage, raw frames) that `minari.load_dataset(id)` opens.

Minari's layout (minari 0.5, dataset/_storages/hdf5_storage.py and dataset/minari_storage.py):
<root>/<dataset_id>/data/metadata.json and main_data.hdf5 with one group `episode_<i>` per episode
(attrs id, total_steps, seed) holding observations (T+1, ...), actions (T, ...), rewards, terminations,
truncations (T,), and infos/<key> (T+1,). <root> is $MINARI_DATASETS_PATH, else ~/.minari/datasets.
This module writes that layout with h5py directly: minari itself is only needed to read it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from recorder.errors import RecordingError
from recorder.reader import EpisodeSummary, RecordingProblem, iter_episodes, open_episode
from recorder.verify import verify_structure

MINARI_ENV_VAR = "MINARI_DATASETS_PATH"
DEFAULT_ROOT = Path("~/.minari/datasets")
LAYOUT_VERSION = "0.5.4"  # the Minari version whose layout this writes (used when minari is not installed)
ARC_ACTIONS = 8  # RESET, ACTION1..7
# Minari's own dataset id grammar: (namespace/)name-v<version>.
DATASET_ID_RE = re.compile(r"^(?:(?P<namespace>[-_\w][-_\w/]*[-_\w]+)/)?(?P<dataset>[-_\w]+?)-v(?P<version>\d+)$")


@dataclass
class ExportResult:
    data_path: Path
    episodes: int
    steps: int
    skipped: list[str] = field(default_factory=list)


def datasets_root(explicit: Path | str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get(MINARI_ENV_VAR) or DEFAULT_ROOT).expanduser()


def _box(low: int, high: int, shape: tuple[int, ...], dtype: str) -> dict[str, Any]:
    return {"type": "Box", "dtype": dtype, "shape": list(shape),
            "low": np.full(shape, low).tolist(), "high": np.full(shape, high).tolist()}


def _discrete(n: int) -> dict[str, Any]:
    return {"type": "Discrete", "dtype": "int64", "start": 0, "n": int(n)}


def _spaces(frame_kind: str, frame_shape: tuple[int, ...], n_actions: int) -> tuple[dict, dict]:
    if frame_kind == "grid":
        observation = _box(0, 15, frame_shape, "uint8")
        action = {"type": "Dict", "subspaces": {"id": _discrete(ARC_ACTIONS), "xy": _box(-1, 63, (2,), "int16")}}
    else:
        observation = _box(0, 255, frame_shape, "uint8")
        action = _discrete(n_actions)
    return observation, action


def _minari_version() -> str:
    try:
        return version("minari")
    except PackageNotFoundError:
        return LAYOUT_VERSION


class _DamagedSource(Exception):
    """An episode whose frames cannot be read: skipped, the export goes on."""


def _write_episode(group: h5py.Group, path: Path, index: int, frame_kind: str) -> int:
    with open_episode(path) as ep:
        steps = ep.steps
        group.attrs["id"] = index
        group.attrs["total_steps"] = steps
        if ep.seed is not None:
            group.attrs["seed"] = ep.seed
        obs = group.create_dataset("observations", ep.observations.shape, np.uint8,
                                   chunks=(1, *ep.observations.shape[1:]), compression="gzip", compression_opts=1)
        for start in range(0, ep.observations.shape[0], 256):
            try:
                block = ep.observations[start : start + 256]
            except (OSError, RuntimeError) as e:  # a damaged frame chunk: only a full read finds it
                raise _DamagedSource(f"{path} has unreadable frames near row {start} ({str(e).splitlines()[0][:120]}); "
                                     "it was left out.") from e
            obs[start : start + 256] = block
        if frame_kind == "grid":
            actions = group.create_group("actions")
            actions.create_dataset("id", data=ep.actions.astype(np.int64))
            actions.create_dataset("xy", data=ep.action_xy.astype(np.int16))
        else:
            group.create_dataset("actions", data=ep.actions.astype(np.int64))
        group.create_dataset("rewards", data=ep.rewards.astype(np.float64))
        group.create_dataset("terminations", data=ep.terminations.astype(np.bool_))
        group.create_dataset("truncations", data=ep.truncations.astype(np.bool_))
        infos = group.create_group("infos")
        for key, values in ep.infos.items():
            if values.dtype == object:
                infos.create_dataset(key, data=[str(v) for v in values], dtype=h5py.string_dtype("utf-8"))
            else:
                infos.create_dataset(key, data=values)
        controllers = ep.controllers
        infos.create_dataset("controller", data=np.concatenate([controllers, controllers[-1:] if steps else [0]]))
    return steps


def export_minari(
    folder: Path | str,
    dataset_id: str,
    datasets_path: Path | str | None = None,
    game: str | None = None,
    author: str = "ARIA Desktop",
) -> ExportResult:
    """Write every readable episode of `folder` (one game) as Minari dataset `dataset_id`."""
    match = DATASET_ID_RE.match(dataset_id)
    if not match:
        raise RecordingError(
            f"Dataset id '{dataset_id}' is not in Minari's form (namespace/)name-v<number>; try e.g. aria/breakout-v0."
        )
    summaries: list[EpisodeSummary] = []
    skipped: list[str] = []
    for item in iter_episodes(folder):
        if isinstance(item, RecordingProblem):
            skipped.append(str(item))
        elif game is None or item.game == game:
            problems = verify_structure(item.path).problems  # values too: damaged episodes stay out of a dataset
            if problems:
                skipped.append(problems[0])
            else:
                summaries.append(item)
    if not summaries:
        reason = skipped[0] if skipped else f"no episodes of game '{game}' in {folder}"
        raise RecordingError(f"Nothing to export: {reason}")
    games = sorted({s.game for s in summaries})
    if len(games) > 1:
        raise RecordingError(
            f"{folder} holds episodes of several games ({', '.join(games)}); a Minari dataset holds one: pass --game."
        )
    frame_kind = summaries[0].frame_kind
    with open_episode(summaries[0].path) as first:
        frame_shape = tuple(first.observations.shape[1:])
        n_actions = len(first.action_names)
    shapes: set[tuple[int, ...]] = set()
    max_action = 0
    for s in summaries:
        with open_episode(s.path) as ep:
            shapes.add(tuple(ep.observations.shape[1:]))
            if ep.steps:
                max_action = max(max_action, int(ep.actions.max()))
    if len(shapes) > 1:
        raise RecordingError(f"Episodes in {folder} have different frame shapes {sorted(shapes)}; export them separately.")

    dataset_dir = datasets_root(datasets_path) / dataset_id
    data_path = dataset_dir / "data"
    if data_path.exists():
        raise RecordingError(f"Minari dataset {data_path} already exists; choose another --dataset-id or delete it.")
    staging = dataset_dir / "data.partial"  # renamed to data/ only once complete, so Minari never sees half a dataset
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    except OSError as e:
        raise RecordingError(f"Cannot write the Minari dataset into {dataset_dir} ({e.strerror}); "
                             "choose a writable --datasets-path.") from e
    try:
        total_steps = 0
        exported: list[EpisodeSummary] = []
        with h5py.File(staging / "main_data.hdf5", "w", track_order=True) as f:
            for s in summaries:
                name = f"episode_{len(exported)}"
                try:
                    total_steps += _write_episode(f.create_group(name), s.path, len(exported), frame_kind)
                except _DamagedSource as e:
                    del f[name]
                    skipped.append(str(e))
                    continue
                exported.append(s)
        if not exported:
            raise RecordingError(f"Nothing to export from {folder}: every episode was damaged.")
        summaries = exported
    except Exception as e:  # a damaged chunk only the full read finds, a full disk: leave nothing half-written
        shutil.rmtree(staging, ignore_errors=True)
        reason = (str(e).strip() or type(e).__name__).splitlines()[0][:160]
        raise RecordingError(f"Export to {dataset_dir} stopped and was removed ({type(e).__name__}: {reason}); "
                             "check the episodes with `aria recordings verify` and free disk space.") from e
    observation_space, action_space = _spaces(frame_kind, frame_shape, max(n_actions, max_action + 1))
    size_mb = round(sum(p.stat().st_size for p in staging.iterdir()) / 1e6, 1)
    metadata = {
        "dataset_id": dataset_id,
        "total_episodes": len(summaries),
        "total_steps": total_steps,
        "data_format": "hdf5",
        "jpeg_encoding": False,
        "observation_space": json.dumps(observation_space),
        "action_space": json.dumps(action_space),
        "minari_version": _minari_version(),
        "dataset_size": size_mb,
        "author": [author],
        "algorithm_name": "ARIA Desktop recordings",
        "description": f"{len(summaries)} episodes of {games[0]} recorded with ARIA Desktop (raw frames).",
    }
    try:
        (staging / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        staging.rename(data_path)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise RecordingError(f"Cannot finish the Minari dataset in {dataset_dir} ({e.strerror}); free disk space.") from e
    return ExportResult(data_path, len(summaries), total_steps, skipped)
