"""The models the app knows: every checkpoint under a folder of runs, its figures, and the active one per kind.

`find_checkpoints(folder)` describes each checkpoint found (a `ModelEntry`: kind, games, preset or base model,
step, data size, evaluation figures from checkpoint.json or the run's eval/done events, whether its run finished).
`ActiveModels(file)` keeps the checkpoint in use per kind in a small JSON file (the caller says where: the app
passes `aria_desktop.paths.ACTIVE_MODELS`); a kind nobody chose uses its newest finished checkpoint.
`CheckpointWatcher` is hot reload's question "has a better checkpoint of the model I run appeared?".
Reading a checkpoint here reads only its checkpoint.json (never the tensors), so a scan stays cheap.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trainers.checkpoint import META_FILE, MODEL_FILE, RUN_CHECKPOINTS, CheckpointError, load_checkpoint
from trainers.errors import TrainerError
from trainers.progress import EVENTS_FILE, RUN_FILE, read_events

SKIP_FOLDERS = ("token-cache",)  # big folders inside runs that never hold checkpoints
MAX_DEPTH = 5  # <runs>/<group>/<run>/checkpoints/step-n is depth 4


@dataclass(frozen=True)
class Headline:
    """A kind's one figure that says how good a checkpoint is (higher is better for all of them)."""

    metric: str
    label: str
    percent: bool  # shown as a percentage; else with `unit`
    unit: str = ""

    def text(self, value: float) -> str:
        return f"{self.label} {value * 100:.2f}%" if self.percent else f"{self.label} {value:.2f}{self.unit}"


HEADLINES = {
    "atari-vqvae": Headline("psnr", "PSNR", False, " dB"),
    "atari-wm": Headline("acc_1", "token acc", True),  # 1-step token accuracy on held-out windows
    "arc-vqvae": Headline("pixel_accuracy", "pixel acc", True),
    "arc-world-model": Headline("frame_accuracy", "frame acc", True),  # frame-token accuracy
}


class RegistryError(TrainerError):
    """A folder or checkpoint the registry cannot use; one sentence naming it and what to do."""


@dataclass
class ModelEntry:
    """One checkpoint as `aria models list` and the app show it."""

    path: Path  # the checkpoint folder
    id: str
    kind: str
    preset: str
    base_model: str | None  # the ARC game transformer's language model
    step: int
    total_steps: int | None  # of its run (None: a checkpoint outside a run)
    games: list[str]
    episodes: int  # train + validation episodes
    data_steps: int  # training steps of data
    metrics: dict[str, float]
    created: str
    finished: bool  # its run reached its last step (a checkpoint outside a run, or in one without run.json and
    # events, counts as finished: nothing says it is still training)
    run: Path | None
    parents: dict[str, str]  # role -> checkpoint id
    order: tuple = ()  # sorts oldest first: (created, step, checkpoint.json mtime)
    active: bool = False

    @property
    def short(self) -> str:
        """How the header names it: the id's first 8 hex digits and the step."""
        return f"{self.id[:8]} step {self.step}"

    @property
    def headline(self) -> float | None:
        value = self.metrics.get(HEADLINES[self.kind].metric) if self.kind in HEADLINES else None
        return float(value) if isinstance(value, int | float) and value == value else None  # NaN: no figure

    @property
    def headline_text(self) -> str:
        value = self.headline
        return "-" if value is None else HEADLINES[self.kind].text(value)

    @property
    def lineage(self) -> tuple:
        """Checkpoints that can replace each other: the same parents (a world model's VQ-VAE) or, without parents,
        the same run (another VQ-VAE run is another tokenizer)."""
        if self.parents:
            return ("parents", tuple(sorted(self.parents.items())))
        return ("run", str(self.run or self.path))

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "id": self.id, "kind": self.kind, "preset": self.preset,
                "base_model": self.base_model, "step": self.step, "total_steps": self.total_steps,
                "games": self.games, "episodes": self.episodes, "data_steps": self.data_steps,
                "metrics": self.metrics, "headline": self.headline, "created": self.created, "finished": self.finished,
                "run": str(self.run) if self.run else None, "parents": self.parents, "active": self.active}


class CheckpointScanner:
    """Describes checkpoints, remembering what it read by file modification time (a watcher scans every few seconds)."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[int, ModelEntry]] = {}
        self._runs: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}

    def scan(self, root: Path | str) -> tuple[list[ModelEntry], list[str]]:
        """Every checkpoint under `root` (a runs folder, a run, or a checkpoint), oldest first, and one sentence per
        checkpoint that could not be read. RegistryError when `root` is missing or a file other than checkpoint.json."""
        root = Path(root).expanduser()
        if root.is_file() and root.name == META_FILE:
            root = root.parent
        if not root.exists():
            raise RegistryError(f"{root} does not exist; pass a folder of training runs or a checkpoint.")
        if not root.is_dir():
            raise RegistryError(f"{root} is a file, not a folder of training runs or a checkpoint folder; pass a folder.")
        entries, problems = [], []
        for folder in checkpoint_folders(root):
            try:
                entries.append(self.describe(folder))
            except CheckpointError as e:
                problems.append(str(e))
        return sorted(entries, key=lambda e: e.order), problems

    def describe(self, folder: Path) -> ModelEntry:
        """The entry of one checkpoint folder; CheckpointError when it is damaged."""
        folder = folder.resolve()
        meta_path = folder / META_FILE
        try:
            mtime = meta_path.stat().st_mtime_ns
        except OSError:
            raise CheckpointError(f"{folder} holds no {META_FILE}; pass a checkpoint or run folder.") from None
        cached = self._entries.get(folder)
        if cached and cached[0] == mtime:
            entry = replace(cached[1])
        else:
            ckpt = load_checkpoint(folder, tensors=False)
            if not (folder / f"{MODEL_FILE}.safetensors").is_file():
                raise CheckpointError(f"{folder} lacks {MODEL_FILE}.safetensors; the checkpoint is incomplete, retrain it.")
            try:
                entry = _entry(folder, ckpt.meta, mtime)
            except (TypeError, ValueError, AttributeError):
                raise CheckpointError(f"{meta_path} has fields of the wrong type; the checkpoint is damaged, "
                                      "retrain it.") from None
            self._entries[folder] = (mtime, replace(entry))
        if entry.run is not None:  # the run goes on: its figures and whether it finished change
            _add_run_facts(entry, self._run(entry.run))
        return entry

    def _run(self, run: Path) -> dict[str, Any]:
        """run.json and the events of a run that matter here, re-read when events.jsonl changes."""
        try:
            stat = (run / EVENTS_FILE).stat()
            key = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = (0, 0)
        cached = self._runs.get(run)
        if cached and cached[0] == key:
            return cached[1]
        try:
            info = json.loads((run / RUN_FILE).read_text())
        except (OSError, ValueError):
            info = {}
        events = [e for e in read_events(run) if isinstance(e, dict) and e.get("event") in ("eval", "done")]
        facts = {"run": info if isinstance(info, dict) else {}, "events": events}
        self._runs[run] = (key, facts)
        return facts


def find_checkpoints(root: Path | str) -> tuple[list[ModelEntry], list[str]]:
    """Every checkpoint under `root`, oldest first, and one sentence per damaged one (see CheckpointScanner.scan)."""
    return CheckpointScanner().scan(root)


def checkpoint_folders(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Folders holding a checkpoint.json under `root` (itself included); hidden folders (checkpoints being written)
    and token caches are skipped, and nothing below a checkpoint is looked at."""
    found = []
    for here, dirs, files in os.walk(root):
        path = Path(here)
        if META_FILE in files:
            found.append(path)
            dirs[:] = []
            continue
        depth = len(path.relative_to(root).parts)
        dirs[:] = [] if depth >= max_depth else [d for d in dirs if not d.startswith(".") and d not in SKIP_FOLDERS]
    return found


def _entry(folder: Path, meta: dict[str, Any], mtime: int) -> ModelEntry:
    data = meta.get("data") if isinstance(meta.get("data"), dict) else {}
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    kind = str(meta["kind"])
    games = data.get("games") or (["breakout"] if kind.startswith("atari") else [])
    run = folder.parent.parent if folder.parent.name == RUN_CHECKPOINTS else None
    parents = {role: str(p.get("id", "")) for role, p in (meta.get("parents") or {}).items() if isinstance(p, dict)}
    metrics = {k: float(v) for k, v in (meta.get("metrics") or {}).items() if isinstance(v, int | float)}
    created = str(meta.get("created", ""))
    return ModelEntry(
        path=folder, id=str(meta["id"]), kind=kind, preset=str(meta.get("preset", "?")),
        base_model=config.get("base_model"), step=int(meta["step"]), total_steps=None, games=list(games),
        episodes=len(data.get("train_episodes", [])) + len(data.get("val_episodes", [])),
        data_steps=int(data.get("train_steps", 0) or 0), metrics=metrics, created=created, finished=run is None,
        run=run, parents=parents, order=(created, int(meta["step"]), mtime),
    )


def _add_run_facts(entry: ModelEntry, facts: dict[str, Any]) -> None:
    """The run's total steps, whether it finished at this checkpoint, and the figures of the run's last evaluation
    at or before this step when the checkpoint carries none."""
    total = facts["run"].get("total_steps")
    entry.total_steps = int(total) if isinstance(total, int) else None
    events = facts["events"]
    entry.finished = any(e["event"] == "done" and e.get("step") == entry.step for e in events) or (
        entry.total_steps is not None and entry.step >= entry.total_steps) or not (facts["run"] or events)
    if entry.headline is None:
        evals = [(e.get("step", 0), i, e) for i, e in enumerate(events)
                 if isinstance(e.get("metrics"), dict) and e["metrics"] and e.get("step", 0) <= entry.step]
        if evals:
            latest = max(evals, key=lambda t: t[:2])[2]  # the last evaluation written at the latest step
            entry.metrics = {k: float(v) for k, v in latest["metrics"].items() if isinstance(v, int | float)}


# -- the active checkpoint per kind ----------------------------------------------------------------------------
class ActiveModels:
    """The chosen checkpoint per kind, in a JSON file {kind: path}; the path may be a run folder (its newest
    checkpoint, so the choice follows the run) or a checkpoint folder."""

    def __init__(self, file: Path | str) -> None:
        self.file = Path(file)

    def chosen(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_text())
        except (OSError, ValueError):  # none chosen yet, or a damaged file: the defaults apply
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}

    def choose(self, path: Path | str, scanner: CheckpointScanner | None = None) -> ModelEntry:
        """Make the checkpoint at `path` (checkpoint, its checkpoint.json, or run folder) the active one of its kind."""
        path = Path(path).expanduser().resolve()
        entry = describe_path(path, scanner)
        chosen = self.chosen()
        chosen[entry.kind] = str(path.parent if path.name == META_FILE else path)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(chosen, indent=1))
        tmp.replace(self.file)
        entry.active = True
        return entry

    def active(self, kind: str, entries: Iterable[ModelEntry], scanner: CheckpointScanner | None = None,
               problems: list[str] | None = None) -> ModelEntry | None:
        """The chosen checkpoint of `kind` if it is still there, else the newest finished one among `entries`
        (else the newest). A chosen checkpoint that is gone or damaged adds a sentence to `problems`."""
        path = self.chosen().get(kind)
        if path is not None:
            try:
                entry = describe_path(Path(path), scanner)
                if entry.kind == kind:
                    return entry
                raise CheckpointError(f"{path} is now a {entry.kind} checkpoint, not {kind}")
            except CheckpointError as e:
                if problems is not None:
                    problems.append(f"The active {kind} checkpoint cannot be used ({str(e).rstrip('.')}); "
                                    f"using the newest instead — choose one with `aria models use`.")
        of_kind = [e for e in entries if e.kind == kind]
        finished = [e for e in of_kind if e.finished]
        return max(finished or of_kind, key=lambda e: e.order, default=None)

    def mark(self, entries: list[ModelEntry], scanner: CheckpointScanner | None = None,
             problems: list[str] | None = None) -> dict[str, ModelEntry]:
        """The active entry per kind (those found among `entries` are marked active)."""
        result = {}
        for kind in sorted({e.kind for e in entries} | set(self.chosen())):
            entry = self.active(kind, entries, scanner, problems)
            if entry is None:
                continue
            result[kind] = entry
            for e in entries:
                if e.path == entry.path:
                    e.active = True
        return result


def active_checkpoint(kind: str, runs: Path, active_file: Path) -> tuple[bool, Path | None]:
    """(chosen by the person, path) of the active checkpoint of `kind`: the one chosen with `aria models use`, else
    (none chosen, or the chosen one is gone) the newest finished one under `runs`; None when there is none."""
    active, gone = ActiveModels(active_file), []
    entries = find_checkpoints(runs)[0] if runs.is_dir() else []
    entry = active.active(kind, entries, problems=gone)
    return kind in active.chosen() and not gone, entry.path if entry else None


def describe_path(path: Path, scanner: CheckpointScanner | None = None) -> ModelEntry:
    """The entry of a checkpoint folder, its checkpoint.json, or a run folder (its newest checkpoint)."""
    from trainers.checkpoint import resolve_checkpoint

    return (scanner or CheckpointScanner()).describe(resolve_checkpoint(Path(path).expanduser()))


# -- hot reload ---------------------------------------------------------------------------------------------
def better_checkpoint(current: ModelEntry, entries: Iterable[ModelEntry]) -> ModelEntry | None:
    """The newest checkpoint among `entries` that could replace `current`: the same kind and lineage, newer, and a
    headline figure not worse (one without a figure only replaces one without a figure)."""
    def better(e: ModelEntry) -> bool:
        if e.kind != current.kind or e.lineage != current.lineage or e.order <= current.order or e.id == current.id:
            return False
        if current.headline is None:
            return True
        return e.headline is not None and e.headline >= current.headline

    return max(filter(better, entries), key=lambda e: e.order, default=None)


class CheckpointWatcher:
    """Hot reload: tells a model user when a better checkpoint of the model it runs has been written.

    `poll()` scans `roots` (by default the current checkpoint's run; add the runs folder to see new runs too) at
    most every `interval` seconds and returns the path of a better checkpoint (`better_checkpoint`: same kind and
    lineage, newer, headline not worse) or None; once returned, that checkpoint is the current one. A scan reads
    only checkpoint.json files and run events, and re-reads them only when their modification time changed.

    How a model user (the Dream mode, the Watch mode's world-model agent) uses it, between two of its steps and
    off the window's thread:

        _, checkpoint_path = active_checkpoint("arc-world-model", runs_folder, active_file)  # what to start with
        watcher = CheckpointWatcher("arc-world-model", checkpoint_path, roots=[its_run, runs_folder])
        ...
        if watcher.due():                  # cheap: a clock check, fine on the render loop
            path = watcher.poll()          # a folder scan: on the worker thread, between steps
            if path is not None:
                model = load(path)         # build the new model, then continue the episode from its recent
                                           # frames/actions (the Dream resets its engine with their tokens)
    """

    def __init__(self, kind: str, current: Path | str, roots: Iterable[Path | str] | None = None,
                 interval: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.kind, self.interval, self.clock = kind, interval, clock
        self.scanner = CheckpointScanner()
        self.current = self.scanner.describe(Path(current).resolve())
        if self.current.kind != kind:
            raise RegistryError(f"{self.current.path} is a {self.current.kind} checkpoint, not {kind}.")
        if roots is None:
            roots = [self.current.run or self.current.path]
        self.roots = list(dict.fromkeys(Path(r).expanduser().resolve() for r in roots))
        self._next = clock() + interval

    def due(self) -> bool:
        return self.clock() >= self._next

    def poll(self, force: bool = False) -> Path | None:
        """The path of a better checkpoint that appeared since the last answer, or None (also when not yet due)."""
        if not (force or self.due()):
            return None
        self._next = self.clock() + self.interval
        entries: list[ModelEntry] = []
        for root in self.roots:
            if root.is_dir():
                entries += self.scanner.scan(root)[0]
        found = better_checkpoint(self.current, entries)
        if found is None:
            return None
        self.current = found
        return found.path


@dataclass
class ModelsOverview:
    """What `aria models list` and the launcher show: the checkpoints, the active one per kind, and problems."""

    entries: list[ModelEntry]
    active: dict[str, ModelEntry]
    problems: list[str] = field(default_factory=list)


def models_overview(root: Path | str | None, active_file: Path | str) -> ModelsOverview:
    """Every checkpoint under `root` with the active ones marked (RegistryError for a bad `root`). Without a root
    (the default runs folder not made yet), only the chosen ones: they may live anywhere."""
    scanner = CheckpointScanner()
    entries, problems = scanner.scan(root) if root is not None else ([], [])
    active = ActiveModels(active_file).mark(entries, scanner, problems)
    return ModelsOverview(entries, active, problems)
