"""Progress of a training run: `run.json` + `events.jsonl` in the run folder (EVENTS.md), and a rich bar.

The app follows a run by reading events.jsonl line by line; every line is one complete JSON object,
flushed as soon as it is written.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

RUN_FILE = "run.json"
EVENTS_FILE = "events.jsonl"
EVENTS = ("start", "step", "eval", "checkpoint", "done", "error")


class RunLog:
    """Writes a run's run.json and events, and draws its progress bar (when `show` and a terminal is there)."""

    def __init__(self, folder: Path, kind: str, preset: str, total_steps: int, show: bool = True) -> None:
        self.folder = Path(folder)
        self.kind, self.preset, self.total_steps = kind, preset, total_steps
        self.folder.mkdir(parents=True, exist_ok=True)
        self._events = open(self.folder / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._bar: Progress | None = None
        self._task: Any = None
        self._show = show

    def write_run(self, args: dict[str, Any], data: dict[str, Any], resumed: bool) -> None:
        """run.json: what was started, with which arguments and data (rewritten on resume, `resumes` counted)."""
        path = self.folder / RUN_FILE
        run = json.loads(path.read_text()) if resumed and path.exists() else {}
        run.update(kind=self.kind, preset=self.preset, args=args, data=data, total_steps=self.total_steps)
        run.setdefault("started", _now())
        if resumed:
            run["resumes"] = int(run.get("resumes", 0)) + 1
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(run, indent=1, default=str))
        tmp.replace(path)

    def event(self, event: str, step: int, **fields: Any) -> dict[str, Any]:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        record = {"event": event, "step": int(step), "total_steps": self.total_steps, "time": time.time(), **fields}
        self._events.write(json.dumps(record, default=float) + "\n")
        self._events.flush()
        return record

    def start_bar(self, start_step: int) -> None:
        if not self._show:
            return
        self._bar = Progress(
            TextColumn(f"[bold]{self.kind}[/] {self.preset}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[losses]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("train", total=self.total_steps, completed=start_step, losses="")

    def advance(self, step: int, losses: dict[str, float] | None = None) -> None:
        if self._bar is not None:
            text = "  ".join(f"{k} {v:.4g}" for k, v in (losses or {}).items())
            self._bar.update(self._task, completed=step, **({"losses": text} if losses else {}))

    def print(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text)
        elif self._show:
            print(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        self._events.close()


def read_events(folder: Path | str) -> list[dict[str, Any]]:
    """Every complete event of a run (a half-written last line, from a kill, is skipped)."""
    path = Path(folder) / EVENTS_FILE
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
