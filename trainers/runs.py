"""The runs API the app uses: start a training run as a separate process, list runs, follow, cancel, resume.

A run is the `aria train KIND ...` command (`python -m aria_desktop.cli train ...`) in its own session, so
closing the window that started it does not stop it. Everything the app knows about a run it reads from the
run folder (EVENTS.md): the trainer's run.json, events.jsonl and checkpoints, plus three files written here:

    launch.json   the command (argv after `aria`), the process id and when it was launched
    train.log     the process's stdout and stderr (appended on every resume)
    running.lock  held (flock) by the training process for as long as it lives, whatever ends it: a run
                  whose lock is free is over, even after a SIGKILL, a crash of the app, or a reused pid

No pygame here: the Train mode in aria_desktop/app/modes/train.py draws what this module reads.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainers.errors import TrainerError
from trainers.progress import EVENTS_FILE, RUN_FILE

# trainers/checkpoint.py's names for the run-folder layout, repeated so that the window's process can list runs
# without importing torch (seconds and hundreds of MB); tests/test_runs.py checks that they agree.
KINDS = ("atari-vqvae", "atari-wm", "arc-vqvae", "arc-world-model")
RUN_CHECKPOINTS = "checkpoints"
META_FILE = "checkpoint.json"

LAUNCH_FILE = "launch.json"
LOG_FILE = "train.log"
LOCK_FILE = "running.lock"
STATUSES = ("running", "done", "failed", "interrupted", "unknown")
INTERRUPTED = "interrupted"  # how the trainer's error event for Ctrl-C / SIGTERM begins
KILLED = ("The run stopped without finishing (its process was killed, perhaps for lack of memory); "
          "Resume continues from its last checkpoint.")
_children: dict[int, subprocess.Popen] = {}  # processes started here, polled so that none stays a zombie


class RunError(TrainerError):
    """A run that cannot be started, resumed or cancelled; one sentence naming it and what to do."""


@dataclass
class RunProgress:
    """What a run's events add up to: step, losses and metrics by step, checkpoints, the end."""

    step: int = 0
    total_steps: int = 0
    device: str = ""
    started_at: float | None = None  # time of the last `start` event
    first_step: tuple[int, float] | None = None  # (step, time) of the first step event since the last start
    last_step: tuple[int, float] | None = None
    losses: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # name -> [(step, value)]
    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # validation, by step
    checkpoints: list[tuple[int, str]] = field(default_factory=list)
    end: dict[str, Any] | None = None  # the last done / error event, None while running

    def apply(self, events: Iterable[dict[str, Any]]) -> bool:
        """Add events; True when any arrived."""
        changed = False
        for e in events:
            changed = True
            step, when = int(e.get("step", 0)), float(e.get("time", 0.0))
            self.step, self.total_steps = step, int(e.get("total_steps", self.total_steps))
            kind = e.get("event")
            if kind == "start":
                self.started_at, self.device, self.end = when, str(e.get("device", "")), None
                self.first_step = self.last_step = None
            elif kind == "step":
                self.first_step = self.first_step or (step, when)
                self.last_step = (step, when)
                for name, value in e.get("losses", {}).items():
                    self.losses.setdefault(name, []).append((step, float(value)))
            elif kind == "eval":
                for name, value in e.get("metrics", {}).items():
                    self.metrics.setdefault(name, []).append((step, float(value)))
            elif kind == "checkpoint" and e.get("path"):
                self.checkpoints.append((step, str(e["path"])))
            elif kind in ("done", "error"):
                self.end = e
        return changed

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds to the last step at the pace since the last start (None before two step events)."""
        if not (self.first_step and self.last_step) or self.last_step[0] <= self.first_step[0]:
            return None
        rate = (self.last_step[0] - self.first_step[0]) / max(self.last_step[1] - self.first_step[1], 1e-6)
        return max(self.total_steps - self.step, 0) / rate

    def latest(self, series: dict[str, list[tuple[int, float]]]) -> dict[str, float]:
        return {name: points[-1][1] for name, points in series.items() if points}


@dataclass
class Run:
    """A run folder as found now: its kind, status and progress."""

    folder: Path
    kind: str
    preset: str
    status: str  # one of STATUSES
    message: str  # one sentence for failed / interrupted / unknown runs, else ""
    launched: float  # Unix time the latest process was launched (or the run started)
    pid: int | None
    progress: RunProgress

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def checkpoint(self) -> Path | None:
        return latest_checkpoint(self.folder)

    @property
    def name(self) -> str:
        return self.folder.name


# -- starting -------------------------------------------------------------------------------------------
def train_argv(
    kind: str,
    data: Sequence[Path | str],
    out: Path | str,
    *,
    preset: str = "tiny",
    device: str = "auto",
    steps: int | None = None,
    vqvae: Path | str | None = None,
    base_model: str | None = None,
    batch_size: int | None = None,
) -> list[str]:
    """The `aria train KIND ...` arguments (after `aria`) for these settings."""
    if kind not in KINDS:
        raise RunError(f"Unknown model kind '{kind}'; use one of {', '.join(KINDS)}.")
    if kind in ("atari-wm", "arc-world-model") and vqvae is None:
        raise RunError(f"A {kind} run learns a VQ-VAE's tokens; train the VQ-VAE first and choose its run.")
    # Absolute paths: the command is kept in launch.json and run again by resume, from whatever folder.
    argv = ["train", kind, *[a for d in data for a in ("--data", str(Path(d).resolve()))], "--out",
            str(Path(out).resolve()), "--preset", preset, "--device", device]
    vqvae = Path(vqvae).resolve() if vqvae is not None else None
    for option, value in (("--steps", steps), ("--vqvae", vqvae), ("--base-model", base_model), ("--batch-size", batch_size)):
        if value is not None:
            argv += [option, str(value)]
    return argv


def new_run_folder(runs_folder: Path | str, kind: str) -> Path:
    """A fresh folder for a run of `kind` under the runs folder: <kind>-<UTC date and time>[-n]."""
    base = Path(runs_folder) / f"{kind}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def start(kind: str, data: Sequence[Path | str], out: Path | str, **settings: Any) -> Run:
    """Start `aria train KIND --data ... --out OUT` (settings: preset, device, steps, vqvae, base_model,
    batch_size) as a detached process; returns the run, running."""
    out = Path(out)
    if latest_checkpoint(out) is not None:
        raise RunError(f"{out} already holds a run; resume it or start the new one in another folder.")
    return _launch(out, train_argv(kind, data, out, **settings))


def resume(folder: Path | str, steps: int | None = None, data: Sequence[Path | str] | None = None) -> Run:
    """Start a stopped run again with `--resume` from its last checkpoint (from scratch when it has none).
    steps: the new total (a finished run goes on only with more steps); data: other recordings folders."""
    folder = Path(folder)
    run = status(folder)
    if run.running:
        raise RunError(f"The run in {folder} is still running; cancel it first.")
    argv = _replace_option(_argv_of(folder), "--steps", steps)
    if data is not None:
        argv = _replace_option(argv, "--data", [str(d) for d in data])
    argv = [a for a in argv if a != "--resume"]
    if latest_checkpoint(folder) is not None:
        done_step = checkpoint_step(folder)
        total = steps or _option(argv, "--steps") or run.progress.total_steps
        if total and done_step >= int(total):
            raise RunError(f"The run in {folder} already reached step {done_step}; give it more steps to go on.")
        argv.append("--resume")
    _repair_events(folder)
    return _launch(folder, argv)


def fine_tune(folder: Path | str, data: Sequence[Path | str], steps: int) -> Run:
    """Resume a stopped run for `steps` more steps on its recordings plus `data` (new episodes' folders)."""
    folder = Path(folder)
    return resume(folder, steps=checkpoint_step(folder) + steps, data=list(dict.fromkeys([*run_data(folder), *map(str, data)])))


def run_data(folder: Path | str) -> list[str]:
    """The recordings folders the run trains on (its command's --data)."""
    argv = _argv_of(Path(folder))
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--data"]


def find_devices(timeout: float = 120.0) -> list[str]:
    """The --device choices on this machine: auto, cpu, and cuda / mps when torch sees them. Asked in a separate
    Python process, so that the window's process never has to import torch for it (it takes seconds)."""
    code = ("import torch; print(' '.join(['cuda'] * torch.cuda.is_available() + "
            "['mps'] * bool(getattr(torch.backends, 'mps', None) and torch.backends.mps.is_available())))")
    try:
        found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout).stdout
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    return ["auto", "cpu", *found.split()]


def _launch(folder: Path, argv: list[str]) -> Run:
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    lock = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"A training process is already running in {folder}; cancel it first.") from None
        launched = time.time()
        with open(folder / LOG_FILE, "a", encoding="utf-8") as log:
            log.write(f"--- {_iso(launched)}  aria {' '.join(argv)}\n")
            log.flush()
            # Its own session: the window closing (or Ctrl-C in its terminal) does not reach the run. The lock's
            # file descriptor is inherited, so the lock lives exactly as long as the training process.
            proc = subprocess.Popen(
                [sys.executable, "-m", "aria_desktop.cli", *argv], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(lock,),
                env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"},
            )
    finally:
        os.close(lock)
    _children[proc.pid] = proc
    _write_json(folder / LAUNCH_FILE, {"argv": argv, "pid": proc.pid, "launched": launched, "python": sys.executable})
    return status(folder)


# -- reading -----------------------------------------------------------------------------------------------
def is_running(folder: Path | str) -> bool:
    """Whether a training process launched here still lives (its lock is held)."""
    import fcntl

    _reap()
    path = Path(folder) / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def status(folder: Path | str) -> Run:
    """The run in `folder` now: running, done, failed, interrupted (Ctrl-C, cancelled, killed) or unknown
    (started outside the app and not finished: nothing tells whether it still runs)."""
    folder = Path(folder)
    launch = _read_json(folder / LAUNCH_FILE)
    info = _read_json(folder / RUN_FILE)
    events = _events(folder)
    progress = RunProgress()
    progress.apply(events)
    launched = float(launch.get("launched") or (events[0]["time"] if events else _mtime(folder)))
    # What the latest process wrote: events from before its launch belong to earlier processes of the run.
    latest = [e for e in events if float(e.get("time", 0)) >= launched] if launch else events
    ends = [e for e in latest if e.get("event") in ("done", "error")]
    kind = str(info.get("kind") or (launch.get("argv") or ["", "?"])[1])
    preset = str(info.get("preset") or _option(launch.get("argv", []), "--preset") or "?")
    message = ""
    if launch and is_running(folder):
        state = "running"
    elif ends and ends[-1]["event"] == "done":
        state = "done"
    elif ends and str(ends[-1].get("message", "")).startswith(INTERRUPTED):
        state, message = "interrupted", f"Cancelled at step {ends[-1].get('step', 0)}; Resume continues from there."
    elif launch.get("cancelled") and not ends:
        state, message = "interrupted", "Cancelled before training began; Resume starts it again."
    elif not launch:
        state, message = "unknown", "Started outside the app and not finished: it may still be running."
    else:
        sentence = _error_sentence(folder)
        if sentence or ends:
            state, message = "failed", sentence or str(ends[-1].get("message", ""))
        else:
            state, message = "interrupted", KILLED
    return Run(folder, kind, preset, state, message, launched, launch.get("pid"), progress)


def list_runs(runs_folder: Path | str) -> list[Run]:
    """The runs in the runs folder and one level below it (e.g. dream-setup/vqvae), newest first."""
    root = Path(runs_folder).expanduser()
    if not root.is_dir():
        return []
    folders = [p for p in (*root.glob("*"), *root.glob("*/*")) if p.is_dir() and _is_run(p)]
    return sorted((status(p) for p in folders), key=lambda r: r.launched, reverse=True)


class EventFollower:
    """Reads a run's new events from where it stopped last time (a file offset): cheap to call every frame.
    A last line without its newline is being written (or was cut by a kill): it waits for the next call."""

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / EVENTS_FILE
        self.offset = 0
        self.restarted = False  # the last poll found the file shorter than before and read it from the start

    def poll(self) -> list[dict[str, Any]]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        self.restarted = size < self.offset  # the file was replaced: read it again from the start
        if self.restarted:
            self.offset = 0
        if size == self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read(size - self.offset)
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events = []
        for line in chunk[:end].splitlines():
            try:
                events.append(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a line cut by a kill, then appended to by the resumed run
        return events


def follow(folder: Path | str) -> EventFollower:
    """An EventFollower of the run in `folder`; its first poll() returns every event so far."""
    return EventFollower(folder)


def log_tail(folder: Path | str, lines: int = 12) -> list[str]:
    """The last lines of the run's log (its process's output), for a failed run."""
    path = Path(folder) / LOG_FILE
    if not path.exists():
        return []
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 16_000))
        text = f.read().decode("utf-8", "replace")
    return [line.rstrip() for line in text.replace("\r", "\n").splitlines() if line.strip()][-lines:]


# -- stopping ------------------------------------------------------------------------------------------------
def cancel(folder: Path | str) -> bool:
    """SIGTERM to the run's process: the trainer saves a checkpoint at the step reached and exits (EVENTS.md).
    Returns False when the run was not running."""
    folder = Path(folder)
    pid = _read_json(folder / LAUNCH_FILE).get("pid")
    if pid is None or not is_running(folder):
        return False
    try:
        os.kill(int(pid), signal.SIGTERM)
    except ProcessLookupError:
        return False
    _write_json(folder / LAUNCH_FILE, _read_json(folder / LAUNCH_FILE) | {"cancelled": time.time()})
    return True


def wait(folder: Path | str, timeout: float | None = None, poll: float = 0.1) -> Run:
    """Wait until the run's process ends (or the timeout passes); returns the run's status."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while is_running(folder) and (deadline is None or time.monotonic() < deadline):
        time.sleep(poll)
    return status(folder)


# -- helpers ---------------------------------------------------------------------------------------------------
def latest_checkpoint(folder: Path | str) -> Path | None:
    """The run's newest complete checkpoint folder (as trainers.checkpoint.latest_checkpoint finds it), or None."""
    found = sorted(p.parent for p in (Path(folder) / RUN_CHECKPOINTS).glob(f"[!.]*/{META_FILE}"))
    return found[-1] if found else None


def checkpoint_step(folder: Path | str) -> int:
    """The step of the run's newest checkpoint (0 without one)."""
    ckpt = latest_checkpoint(folder)
    return int(_read_json(ckpt / META_FILE).get("step", 0)) if ckpt else 0


def _is_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in (RUN_FILE, EVENTS_FILE, LAUNCH_FILE))


def _argv_of(folder: Path) -> list[str]:
    """The command that started the run: launch.json's, else rebuilt from run.json's args (a terminal run)."""
    launch = _read_json(folder / LAUNCH_FILE)
    if launch.get("argv"):
        return list(launch["argv"])
    info = _read_json(folder / RUN_FILE)
    if not info.get("kind") or not isinstance(info.get("args"), dict):
        raise RunError(f"{folder} has neither {LAUNCH_FILE} nor a {RUN_FILE} with the command's args; start a new run.")
    argv = ["train", str(info["kind"])]
    for key, value in info["args"].items():
        option = "--" + key.replace("_", "-")
        if key in ("resume", "show_progress") or value is None or value is False:
            continue
        if value is True:
            argv.append(option)
        else:
            argv += [a for v in (value if isinstance(value, list) else [value]) for a in (option, str(v))]
    return _replace_option(argv, "--out", str(folder))


def _option(argv: Sequence[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def _replace_option(argv: list[str], name: str, value: Any) -> list[str]:
    """argv without `name`'s values, then `name value` (once per item of a list value) unless value is None."""
    if value is None:
        return list(argv)
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == name:
            skip = True
        else:
            out.append(a)
    return out + [x for v in (value if isinstance(value, list) else [value]) for x in (name, str(v))]


def _repair_events(folder: Path) -> None:
    """Cut a half-written last line (left by a kill) so that the resumed run's first event starts a line."""
    path = folder / EVENTS_FILE
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def _error_sentence(folder: Path) -> str:
    """The CLI's one-sentence error of the latest process (`Error: ...`), or a traceback's last line."""
    lines = log_tail(folder, 60)
    starts = [i for i, line in enumerate(lines) if line.startswith("--- ")]
    lines = lines[starts[-1] + 1:] if starts else lines
    for line in reversed(lines):
        if line.startswith("Error: "):
            return line[len("Error: "):]
    if any(line.startswith("Traceback") for line in lines):
        return f"The trainer crashed: {lines[-1]}"
    return ""


_followed: dict[Path, tuple[EventFollower, list[dict[str, Any]]]] = {}


def _events(folder: Path) -> list[dict[str, Any]]:
    """Every complete event of the run, read incrementally: listing runs again reads only what was appended."""
    follower, events = _followed.get(folder) or (EventFollower(folder), [])
    new = follower.poll()
    events = new if follower.restarted else events + new
    _followed[folder] = (follower, events)
    return events


def _reap() -> None:
    for pid, proc in list(_children.items()):
        if proc.poll() is not None:
            del _children[pid]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=1))
    tmp.replace(path)


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")
