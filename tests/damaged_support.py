"""A folder of damaged copies of valid episodes, beside the valid ones (tests and by hand:
`python tests/damaged_support.py DIR` records 3 maze episodes and writes the damaged copies next to them)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np


def _rewrite(name: str, make: Callable[[h5py.Dataset], np.ndarray | None]) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        old = f[name][()]
        del f[name]
        new = make(old)
        if new is not None:
            f.create_dataset(name, data=new)
    return change


def _attr(name: str, value: object | None) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        if value is None:
            del f.attrs[name]
        else:
            f.attrs[name] = value
    return change


def _dangling(f: h5py.File) -> None:
    del f["actions"]
    f["actions"] = h5py.SoftLink("/nowhere")


DAMAGE: dict[str, Callable[[h5py.File], None]] = {
    "actions_float64": _rewrite("actions", lambda a: a.astype(np.float64)),
    "actions_bytes": _rewrite("actions", lambda a: np.array([b"x%d" % v for v in a])),
    "actions_T3": _rewrite("actions", lambda a: np.stack([a, a, a], axis=1)),
    "actions_99": _rewrite("actions", lambda a: np.full_like(a, 99)),
    "actions_minus5": _rewrite("actions", lambda a: np.full_like(a, -5)),
    "actions_scalar": _rewrite("actions", lambda a: np.int64(3)),
    "actions_dangling_link": _dangling,
    "rewards_all_nan": _rewrite("rewards", lambda r: np.full(r.shape, np.nan)),
    "observations_float": _rewrite("observations", lambda o: o.astype(np.float32)),
    "no_game_attr": _attr("game", None),
    "no_frame_kind": _attr("frame_kind", None),
    "seed_seven": _attr("seed", "seven"),
    "game_1mb": _attr("game", "g" * 1_000_000),
    "controllers_7": _rewrite("controllers", lambda c: np.full_like(c, 7)),
}


def _corrupt_chunk(path: Path) -> None:
    """Flip the bytes of the first compressed chunk of `observations` on disk."""
    with h5py.File(path, "r") as f:
        info = f["observations"].id.get_chunk_info(0)
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset)
        data = bytearray(raw.read(info.size))
        raw.seek(info.byte_offset)
        raw.write(bytes(b ^ 0xFF for b in data))


def make_damaged(valid: Path, folder: Path) -> list[Path]:
    """Damaged copies of the episode `valid` in `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, change in DAMAGE.items():
        path = folder / f"damaged-{name}.h5"
        shutil.copy(valid, path)
        with h5py.File(path, "r+") as f:
            change(f)
        made.append(path)
    data = valid.read_bytes()
    for name, size in (("truncated_half", len(data) // 2), ("truncated_head", 700), ("empty", 0)):
        path = folder / f"damaged-{name}.h5"
        path.write_bytes(data[:size])
        made.append(path)
    path = folder / "damaged-corrupt_chunk.h5"
    shutil.copy(valid, path)
    _corrupt_chunk(path)
    made.append(path)
    (folder / "damaged-random_bytes.h5").write_bytes(np.random.default_rng(0).bytes(4096))
    made.append(folder / "damaged-random_bytes.h5")
    return made


if __name__ == "__main__":
    import subprocess

    out = Path(sys.argv[1])
    aria = str(Path(sys.executable).parent / "aria")
    subprocess.run([aria, "record", "maze", "--headless", "--agent", "scripted", "--episodes", "3", "--max-steps", "20",
                    "--out", str(out)], check=True)
    valid = sorted((out / "maze").glob("*.h5"))
    print(len(make_damaged(valid[0], out / "maze")), "damaged copies beside", len(valid), "valid episodes in", out / "maze")
