"""Train: start a training run of any of the four models from the window, follow it live, cancel or resume it.

A run is a separate process (trainers/runs.py starts `aria train ...` in its own session): the window only
reads the run's events file, a few times a second and from where it stopped, so it never waits on training.
Quitting the window leaves runs running; the next start lists them again from the runs folder. Triggered
training (TrainingTrigger, set with T here or `aria play --train-after N`) fine-tunes on newly recorded
episodes: every N new episodes, and when a recording session ends.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygame

from aria_desktop.app.header import HeaderInfo
from aria_desktop.app.keymap import KeyAction, KeyTable
from aria_desktop.app.modes.base import Mode, register
from aria_desktop.app.panel import BarSection
from aria_desktop.app.text import draw_text, wrap
from aria_desktop.errors import AriaError
from trainers import runs
from trainers.errors import TrainerError

KINDS = runs.KINDS
KIND_LABELS = {"atari-vqvae": "Breakout VQ-VAE", "atari-wm": "Breakout world model", "arc-vqvae": "ARC VQ-VAE",
               "arc-world-model": "ARC game transformer"}
VQVAE_OF = {"atari-wm": "atari-vqvae", "arc-world-model": "arc-vqvae"}  # world models learn a VQ-VAE's tokens
HEADLINE = {"atari-vqvae": "psnr", "atari-wm": "acc_1", "arc-vqvae": "pixel_accuracy", "arc-world-model": "frame_accuracy"}
PRESETS = ("tiny", "seed")
BASE_MODELS = (None, "tiny", "smollm2-135m")  # None: the preset's
STEP_CHOICES = (None, 20, 100, 300, 1000, 3000, 10_000, 50_000)  # None: the preset's
TRIGGER_CHOICES = (0, 1, 5, 20)  # triggered training: off, or after every N new episodes
POLL_SECONDS = 0.25  # how often the selected run's events file is read
LIST_SECONDS = 3.0  # how often the runs folder is listed again
_DEVICES: list[list[str]] = []  # the --device choices: a first guess, then what runs.find_devices() found
STATUS_COLORS = {"running": "accent", "done": "human", "failed": "record", "interrupted": "agent", "unknown": "dim"}

TRAIN_KEYS = KeyTable(
    KeyAction((pygame.K_UP,), "field_up", "previous setting of the new run"),
    KeyAction((pygame.K_DOWN,), "field_down", "next setting of the new run"),
    KeyAction((pygame.K_LEFT,), "value_down", "change the chosen setting (back)"),
    KeyAction((pygame.K_RIGHT,), "value_up", "change the chosen setting (on)"),
    KeyAction((pygame.K_RETURN, pygame.K_KP_ENTER), "start", "start a run with these settings", "Enter"),
    KeyAction((pygame.K_PAGEUP,), "run_up", "select the run above in the list (or click it)"),
    KeyAction((pygame.K_PAGEDOWN,), "run_down", "select the run below in the list"),
    KeyAction((pygame.K_c,), "cancel", "cancel the selected run (it saves a checkpoint first)"),
    KeyAction((pygame.K_r,), "resume", "resume the selected run from its last checkpoint"),
    KeyAction((pygame.K_t,), "trigger", "triggered training: off, or after every 1, 5 or 20 new episodes"),
)


def family(kind: str) -> str:
    return "breakout" if kind.startswith("atari") else "arc"


def recording_folders(out_dir: Path, kind: str) -> list[Path]:
    """Recordings folders a run of `kind` can train on: each game's folder of its family, then the whole folder."""
    games = sorted(p for p in out_dir.glob("*") if p.is_dir() and any(p.glob("*.h5")))
    if family(kind) == "breakout":
        mine = [p for p in games if p.name == "breakout"]
    else:
        mine = [p for p in games if not p.name.startswith("breakout")]
    return [*mine, out_dir]


@dataclass
class Field:
    name: str
    label: str


FIELDS = (Field("kind", "Model"), Field("data", "Recordings"), Field("vqvae", "VQ-VAE"), Field("preset", "Preset"),
          Field("base_model", "Base model"), Field("device", "Device"), Field("steps", "Steps"))


class RunWatch:
    """The selected run, followed: its events read incrementally, its status checked as they come."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.follower = runs.follow(folder)
        self.run = runs.status(folder)
        self.progress = runs.RunProgress()
        self.progress.apply(self.follower.poll())
        self.version = 0  # counts changes, so that the curve is drawn again only when needed
        self.log: list[str] = runs.log_tail(folder) if self.run.status == "failed" else []

    def poll(self) -> bool:
        """Read new events and the process's state; True when anything changed."""
        changed = self.progress.apply(self.follower.poll())
        alive = runs.is_running(self.folder)
        if changed or alive != self.run.running:
            self.run = runs.status(self.folder)
            self.log = runs.log_tail(self.folder) if self.run.status == "failed" else []
            self.version += 1
            return True
        return False


class TrainingTrigger:
    """Triggered training: once `selection.train_after` new episodes are saved, or when a recording session ends
    with new episodes, fine-tune the run of their game's family's active model (`aria models use`; else the newest
    world-model run, else VQ-VAE run) on its recordings plus theirs; with no run yet, start a VQ-VAE on them. Called every frame."""

    RECORDING_MODES = ("play", "watch", "dream")

    def __init__(self, app) -> None:
        self.app = app
        self.seen = 0  # episodes of app.saved already handed to training (or saved while the option was off)
        self.mode_name: str | None = None
        self.started: list[Path] = []  # run folders this trigger started or resumed

    def __call__(self) -> None:
        app = self.app
        mode = app.mode.name if app.mode is not None and app.running else None
        session_over = self.mode_name in self.RECORDING_MODES and mode != self.mode_name
        self.mode_name = mode
        new = app.saved[self.seen:]
        if not app.selection.train_after:
            self.seen = len(app.saved)
            return
        if new and (len(new) >= app.selection.train_after or session_over):
            self.seen = len(app.saved)
            self.train_on(new)

    def train_on(self, episodes: list[Path]) -> None:
        from recorder import open_episode

        folders: dict[str, set[Path]] = {}
        for path in episodes:
            try:
                with open_episode(path) as ep:
                    game, frame_kind = str(ep.game), str(ep.frame_kind)
            except Exception:  # noqa: BLE001 - an unreadable episode is not trained on
                continue
            if frame_kind == "grid":
                folders.setdefault("arc", set()).add(path.parent)
            elif game == "breakout":  # dream recordings (breakout-dream) are the model's own frames: not trained on
                folders.setdefault("breakout", set()).add(path.parent)
        for fam, data in folders.items():
            self._fine_tune(fam, sorted(data), len(episodes))

    def _active_runs(self, kinds: list[str]) -> set[Path]:
        """The run folders of the active checkpoints of these kinds (one scan of the runs folder for all of them)."""
        from aria_desktop.paths import ACTIVE_MODELS
        from trainers.models_registry import ActiveModels, find_checkpoints

        runs_dir = Path(self.app.config.runs_dir)
        entries = find_checkpoints(runs_dir)[0] if runs_dir.is_dir() else []
        active = ActiveModels(ACTIVE_MODELS)
        chosen = (active.active(kind, entries) for kind in kinds)
        return {entry.run.resolve() for entry in chosen if entry is not None and entry.run is not None}

    def _fine_tune(self, fam: str, data: list[Path], n: int) -> None:
        app = self.app
        steps = app.config.train_steps
        kinds = [k for k in KINDS if family(k) == fam]
        # Not failed runs, nor terminal runs of unknown state (one may still be training in that folder).
        found = [r for r in runs.list_runs(app.config.runs_dir) if r.kind in kinds and r.status in ("running", "done",
                                                                                                     "interrupted")]
        active = self._active_runs(kinds)
        # the active models' runs (`aria models use`) first, then world models before VQ-VAEs, newest first
        found.sort(key=lambda r: (r.folder.resolve() in active, r.kind in VQVAE_OF, r.launched), reverse=True)
        try:
            if not found:
                kind = kinds[0]
                run = runs.start(kind, data, runs.new_run_folder(app.config.runs_dir, kind), steps=steps)
            elif found[0].running:
                app.show_message(f"{found[0].name} is still training; the {n} new episode(s) join its next fine-tuning.")
                return
            else:
                run = runs.fine_tune(found[0].folder, data, steps)
        except TrainerError as e:
            raise AriaError(f"Triggered training could not start: {e}") from None
        self.started.append(run.folder)
        app.show_message(f"Training {run.name} on {n} new episode(s) ({steps} steps); Train mode (F6) shows it.")


@register
class TrainMode(Mode):
    name = "train"
    title = "TRAIN"
    hotkey = pygame.K_F6
    launcher_key = pygame.K_t
    launcher_label = "Train models  [T]"
    order = 40
    keys = TRAIN_KEYS

    def __init__(self, app) -> None:
        super().__init__(app)
        self.field = 0
        self.kind = "atari-vqvae" if app.selection.game.startswith("breakout") else "arc-vqvae"
        self.data_index = 0
        self.vqvae_index = 0
        self.preset = "tiny"
        self.base_model: str | None = None
        self.device = "auto"
        self.steps: int | None = None
        if not _DEVICES:  # asked once per process, off the window's thread
            _DEVICES.append(["auto", "cpu"])
            threading.Thread(target=lambda: _DEVICES.append(runs.find_devices()), daemon=True, name="aria-devices").start()
        self.runs: list[runs.Run] = []
        self.selected: Path | None = None
        self.watch: RunWatch | None = None
        self._listed_at = 0.0
        self._polled_at = 0.0
        self.curve_surface: pygame.Surface | None = None
        self._curve_key: tuple | None = None
        self.row_rects: list[tuple[pygame.Rect, Path]] = []
        self.field_rects: list[tuple[pygame.Rect, int]] = []
        self.start_rect = pygame.Rect(0, 0, 0, 0)
        self.refresh()
        newest = next((r for r in self.runs if r.running), self.runs[0] if self.runs else None)
        if newest is not None:
            self.select(newest.folder)

    @property
    def devices(self) -> list[str]:
        return _DEVICES[-1]

    # -- the form ------------------------------------------------------------------------------------------
    @property
    def fields(self) -> list[int]:
        """The form's rows that apply to the chosen kind."""
        skip = set()
        if self.kind not in VQVAE_OF:
            skip.add("vqvae")
        if self.kind != "arc-world-model":
            skip.add("base_model")
        return [i for i, f in enumerate(FIELDS) if f.name not in skip]

    @property
    def data_choices(self) -> list[Path]:
        """Recordings folders for the kind (looked up again when the runs are listed, not on every frame)."""
        key = (self.app.selection.out_dir, self.kind)
        if key not in self._folders:
            self._folders[key] = [(p, sum(1 for _ in p.rglob("*.h5")) if p.is_dir() else 0)
                                  for p in recording_folders(*key)]
        return [p for p, _ in self._folders[key]]

    @property
    def vqvae_choices(self) -> list[runs.Run]:
        """VQ-VAE runs of the kind's family with a checkpoint, newest first."""
        return [r for r in self.runs if r.kind == VQVAE_OF.get(self.kind) and r.checkpoint is not None]

    def value_text(self, name: str) -> str:
        if name == "kind":
            return f"{KIND_LABELS[self.kind]} ({self.kind})"
        if name == "data":
            choices = self.data_choices
            folder, count = self._folders[(self.app.selection.out_dir, self.kind)][self.data_index % len(choices)]
            return f"{folder}  ({count} episode{'s' * (count != 1)})"
        if name == "vqvae":
            choices = self.vqvae_choices
            return choices[self.vqvae_index % len(choices)].name if choices else "none yet: train a VQ-VAE first"
        if name == "preset":
            return self.preset + ("  (a CPU in minutes)" if self.preset == "tiny" else "  (the seed's size, for a GPU)")
        if name == "base_model":
            return self.base_model or "the preset's"
        if name == "device":
            return self.device + ("" if len(self.devices) > 2 else "   (looking for GPUs...)" if
                                  len(_DEVICES) < 2 else "   (no GPU found)")
        return str(self.steps) if self.steps else "the preset's"

    def change(self, by: int) -> None:
        name = FIELDS[self.fields[self.field % len(self.fields)]].name
        if name == "kind":
            self.kind = KINDS[(KINDS.index(self.kind) + by) % len(KINDS)]
            self.data_index = self.vqvae_index = 0
            self.field = min(self.field, len(self.fields) - 1)
        elif name == "data":
            self.data_index = (self.data_index + by) % len(self.data_choices)
        elif name == "vqvae":
            self.vqvae_index += by
        elif name == "preset":
            self.preset = PRESETS[(PRESETS.index(self.preset) + by) % len(PRESETS)]
        elif name == "base_model":
            self.base_model = BASE_MODELS[(BASE_MODELS.index(self.base_model) + by) % len(BASE_MODELS)]
        elif name == "device":
            self.device = self.devices[((self.devices.index(self.device) if self.device in self.devices else 0) + by)
                                       % len(self.devices)]
        else:
            self.steps = STEP_CHOICES[(STEP_CHOICES.index(self.steps) + by) % len(STEP_CHOICES)]

    def start(self) -> runs.Run:
        """Start a run with the form's settings in a new folder under the runs folder, and select it."""
        vqvae = None
        if self.kind in VQVAE_OF:
            choices = self.vqvae_choices
            if not choices:
                raise AriaError(f"A {KIND_LABELS[self.kind]} learns a VQ-VAE's tokens; train a "
                                f"{VQVAE_OF[self.kind]} run first, then choose it here.")
            vqvae = choices[self.vqvae_index % len(choices)].folder
        data = self.data_choices[self.data_index % len(self.data_choices)]
        out = runs.new_run_folder(self.app.config.runs_dir, self.kind)
        try:
            run = runs.start(self.kind, [data], out, preset=self.preset, device=self.device, steps=self.steps,
                             vqvae=vqvae, base_model=self.base_model if self.kind == "arc-world-model" else None)
        except TrainerError as e:
            raise AriaError(str(e)) from None
        self.app.show_message(f"Started {run.name}: training runs in its own process; quitting the window leaves it running.")
        self.refresh()
        self.select(run.folder)
        return run

    # -- the runs ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.runs = runs.list_runs(self.app.config.runs_dir)
        self._folders: dict[tuple[Path, str], list[tuple[Path, int]]] = {}  # recordings folders, episode counts
        self._listed_at = time.monotonic()

    def select(self, folder: Path) -> None:
        self.selected = folder
        self.watch = RunWatch(folder)
        self._curve_key = None

    def move_selection(self, by: int) -> None:
        folders = [r.folder for r in self.runs]
        if folders:
            i = folders.index(self.selected) if self.selected in folders else 0
            self.select(folders[(i + by) % len(folders)])

    def cancel(self) -> None:
        if self.watch is None:
            raise AriaError("No run is selected; choose one in the list (Page Up / Page Down or a click).")
        if not runs.cancel(self.watch.folder):
            raise AriaError(f"{self.watch.folder.name} is not running; there is nothing to cancel.")
        self.app.show_message(f"Cancelling {self.watch.folder.name}: it saves a checkpoint at the step reached, then stops.")

    def resume(self) -> None:
        if self.watch is None:
            raise AriaError("No run is selected; choose one in the list (Page Up / Page Down or a click).")
        try:
            runs.resume(self.watch.folder)
        except TrainerError as e:
            raise AriaError(str(e)) from None
        self.app.show_message(f"Resumed {self.watch.folder.name} from its last checkpoint.")
        self.refresh()
        self.watch.poll()

    def toggle_trigger(self) -> None:
        """The next larger choice of TRIGGER_CHOICES (after the largest: off)."""
        chosen = self.app.selection
        chosen.train_after = next((n for n in TRIGGER_CHOICES if n > chosen.train_after), 0)

    def key_actions(self) -> dict[str, Callable[[], None]]:
        fields = len(self.fields)
        return {
            "field_up": lambda: setattr(self, "field", (self.field - 1) % fields),
            "field_down": lambda: setattr(self, "field", (self.field + 1) % fields),
            "value_down": lambda: self.change(-1), "value_up": lambda: self.change(1), "start": self.start,
            "run_up": lambda: self.move_selection(-1), "run_down": lambda: self.move_selection(1),
            "cancel": self.cancel, "resume": self.resume, "trigger": self.toggle_trigger,
        }

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for rect, folder in self.row_rects:
                if rect.collidepoint(event.pos):
                    self.select(folder)
                    return True
            for rect, row in self.field_rects:
                if rect.collidepoint(event.pos):
                    self.field = row
                    self.change(1)
                    return True
            if self.start_rect.collidepoint(event.pos):
                self.start()
                return True
            return False
        return self.dispatch_key(event)

    @property
    def animating(self) -> bool:
        return False  # redrawn on input and at the idle rate, where update() polls the run (see POLL_SECONDS)

    def update(self, dt: float) -> None:
        now = time.monotonic()
        if now - self._listed_at >= LIST_SECONDS:
            self.refresh()
        if self.watch is not None and now - self._polled_at >= POLL_SECONDS:
            self._polled_at = now
            if self.watch.poll():
                self.refresh()

    # -- drawing ---------------------------------------------------------------------------------------------
    def header(self) -> HeaderInfo:
        running = sum(r.running for r in self.runs)
        return HeaderInfo(self.title, KIND_LABELS[self.kind], extra=f"{running} run(s) training" if running else None)

    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        left = pygame.Rect(area.x + 8, area.y + 6, min(470, area.width // 2 - 10), area.height - 12)
        y = self._draw_form(surface, left)
        self._draw_runs(surface, pygame.Rect(left.x, y + 14, left.width, left.bottom - y - 14))
        right = pygame.Rect(left.right + 24, area.y + 6, area.right - left.right - 32, area.height - 12)
        self._draw_run(surface, right)

    def _draw_form(self, surface: pygame.Surface, rect: pygame.Rect) -> int:
        fonts, theme = self.app.fonts, self.app.config.theme
        draw_text(surface, "New training run", rect.topleft, fonts.big, theme.text)
        y = rect.y + fonts.big.get_height() + 6
        row_h = fonts.small.get_height() + 8
        self.field_rects = []
        for row, i in enumerate(self.fields):
            f = FIELDS[i]
            box = pygame.Rect(rect.x, y, rect.width, row_h)
            if row == self.field % len(self.fields):
                surface.fill(theme.header, box)
                pygame.draw.rect(surface, theme.accent, box, 1)
            draw_text(surface, f.label, (box.x + 6, y + 4), fonts.small, theme.dim, 100)
            draw_text(surface, self.value_text(f.name), (box.x + 108, y + 4), fonts.small, theme.text, box.width - 114)
            self.field_rects.append((box, row))
            y += row_h + 2
        self.start_rect = pygame.Rect(rect.x, y + 6, 200, fonts.normal.get_height() + 12)
        surface.fill(theme.header, self.start_rect)
        pygame.draw.rect(surface, theme.accent, self.start_rect, 1)
        draw_text(surface, "Start  [Enter]", (self.start_rect.x + 10, self.start_rect.y + 6), fonts.normal, theme.text)
        y = self.start_rect.bottom + 8
        every = self.app.selection.train_after
        trigger = f"after every {every} new episode(s) and at the end of a session" if every else "off"
        lines = [(f"Triggered training: {trigger}   [T]", theme.text if every else theme.dim),
                 ("Runs keep training when you quit the window; C cancels the selected run.", theme.dim)]
        for line, color in lines:
            for part in wrap(line, fonts.small, rect.width):
                draw_text(surface, part, (rect.x, y), fonts.small, color, rect.width)
                y += fonts.small.get_height() + 2
        return y

    def _draw_runs(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        draw_text(surface, f"Runs in {self.app.config.runs_dir}", rect.topleft, fonts.normal, theme.accent, rect.width)
        y = rect.y + fonts.normal.get_height() + 4
        row_h = fonts.small.get_height() + 6
        self.row_rects = []
        if not self.runs:
            draw_text(surface, "No run yet: choose the settings above and press Enter.", (rect.x, y), fonts.small, theme.dim)
        for run in self.runs:
            if y + row_h > rect.bottom:
                break
            box = pygame.Rect(rect.x, y, rect.width, row_h)
            if run.folder == self.selected:
                surface.fill(theme.header, box)
                pygame.draw.rect(surface, theme.accent, box, 1)
            color = getattr(theme, STATUS_COLORS[run.status])
            pygame.draw.circle(surface, color, (box.x + 9, box.centery), 5)
            p = run.progress
            text = f"{run.name} · {run.status} · step {p.step}/{p.total_steps or '?'}"
            draw_text(surface, text, (box.x + 20, y + 3), fonts.small, theme.text, box.width - 24)
            self.row_rects.append((box, run.folder))
            y += row_h + 1

    def _draw_run(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        if self.watch is None:
            draw_text(surface, "Start a run on the left; it shows here as it trains.", rect.topleft, fonts.normal, theme.dim)
            return
        run, p = self.watch.run, self.watch.progress
        draw_text(surface, run.name, rect.topleft, fonts.big, theme.text, rect.width)
        y = rect.y + fonts.big.get_height() + 2
        facts = f"{KIND_LABELS.get(run.kind, run.kind)} · preset {run.preset}" + (f" · {p.device}" if p.device else "")
        draw_text(surface, facts, (rect.x, y), fonts.small, theme.dim, rect.width)
        y += fonts.small.get_height() + 6
        loading = run.running and (p.started_at or 0) < run.launched  # launched, no start event yet
        status = "starting (loading the data)" if loading else run.status
        color = getattr(theme, STATUS_COLORS[run.status])
        draw_text(surface, status.upper() if run.status != "running" else status, (rect.x, y), fonts.normal, color)
        y += fonts.normal.get_height() + 4
        if run.message:
            for part in wrap(run.message, fonts.small, rect.width):
                draw_text(surface, part, (rect.x, y), fonts.small, theme.text, rect.width)
                y += fonts.small.get_height() + 2
        bar = BarSection("Progress", p.fraction, self._progress_caption())
        h = bar.height(fonts, rect.width)
        bar.draw(surface, pygame.Rect(rect.x, y + 4, rect.width, h), fonts, theme)
        y += h + 10
        if run.status == "failed" and self.watch.log:
            self._draw_log(surface, pygame.Rect(rect.x, y, rect.width, rect.bottom - y))
            return
        curve = self.curve(pygame.Rect(0, 0, rect.width, min(260, max(120, (rect.bottom - y) // 2))))
        surface.blit(curve, (rect.x, y))
        y += curve.get_height() + 10
        for line in self._detail_lines():
            for part in wrap(line, fonts.small, rect.width) or [""]:
                if y + fonts.small.get_height() > rect.bottom:
                    return
                draw_text(surface, part, (rect.x, y), fonts.small, theme.text, rect.width)
                y += fonts.small.get_height() + 2

    def _progress_caption(self) -> str:
        p = self.watch.progress
        text = f"step {p.step} of {p.total_steps or '?'} · {p.fraction:.0%}"
        eta = p.eta_seconds if self.watch.run.running else None
        if eta is not None:
            text += f" · about {_duration(eta)} to go"
        return text

    def _detail_lines(self) -> list[str]:
        p = self.watch.progress
        losses = p.latest(p.losses)
        metrics = p.latest(p.metrics)
        lines = ["Latest losses: " + ("  ".join(f"{k} {v:.4g}" for k, v in losses.items()) or "-")]
        lines.append("Validation: " + ("  ".join(f"{k} {v:.4g}" for k, v in metrics.items()) or "after the first evaluation"))
        lines.append("Checkpoints written:" + ("" if p.checkpoints else " none yet"))
        lines += [f"  step {step}: {Path(path).name}" for step, path in p.checkpoints[-4:]]
        return lines

    def _draw_log(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        draw_text(surface, f"The end of its log ({self.watch.folder / runs.LOG_FILE}):", rect.topleft, fonts.small,
                  theme.dim, rect.width)
        y = rect.y + fonts.small.get_height() + 4
        for line in self.watch.log:
            if y + fonts.small.get_height() > rect.bottom:
                break
            draw_text(surface, line, (rect.x + 6, y), fonts.small, theme.text, rect.width - 6)
            y += fonts.small.get_height() + 2

    def curve(self, size: pygame.Rect) -> pygame.Surface:
        """The loss curve (train and validation by step) over the headline validation metric; drawn again only
        when new events arrived or the size changed."""
        key = (self.watch.folder, self.watch.version, size.size, len(self.watch.progress.losses.get("loss", [])))
        if self.curve_surface is None or key != self._curve_key:
            self.curve_surface = draw_curves(size.size, self.watch.progress, self.watch.run.kind, self.app.fonts,
                                             self.app.config.theme)
            self._curve_key = key
        return self.curve_surface


def draw_curves(size: tuple[int, int], progress: runs.RunProgress, kind: str, fonts, theme) -> pygame.Surface:
    """Two plots by step (0 to the step reached): the train loss and the validation loss (when the evaluation has
    one), on a log scale, then the kind's headline validation metric (PSNR, token or pixel accuracy)."""
    surface = pygame.Surface(size)
    surface.fill(theme.background)
    width, height = size
    last = max((s for series in (progress.losses, progress.metrics) for points in series.values() for s, _ in points),
               default=0)
    headline = HEADLINE.get(kind, "")
    half = (height - 8) // 2
    plots = [
        ("loss", [("train", progress.losses.get("loss", []), theme.text),
                  ("validation", progress.metrics.get("val_loss", []), theme.agent)], pygame.Rect(0, 0, width, half)),
        (headline, [("validation", progress.metrics.get(headline, []), theme.human)],
         pygame.Rect(0, half + 8, width, height - half - 8)),
    ]
    label_w = 64  # the value labels sit left of the plot
    for title, series, box in plots:
        label_h = fonts.small.get_height() + 2
        latest = "   ".join(f"{name} {points[-1][1]:.4g}" for name, points, _ in series if points)
        draw_text(surface, f"{title}   {latest}", (box.x, box.y), fonts.small, theme.accent, width)
        plot = pygame.Rect(box.x + label_w, box.y + label_h, box.width - label_w, box.height - label_h)
        pygame.draw.rect(surface, theme.dim, plot, 1)
        values = [v for _, points, _ in series for _, v in points if v == v]  # NaN: not plotted
        if not values:
            draw_text(surface, "after the first evaluation" if title != "loss" else "after the first steps",
                      (plot.x + 8, plot.centery - fonts.small.get_height() // 2), fonts.small, theme.dim)
            continue
        log = title == "loss" and min(values) > 0  # losses fall by orders of magnitude
        scale = (lambda v: math.log10(v)) if log else (lambda v: v)
        lo, hi = scale(min(values)), scale(max(values))
        span = (hi - lo) or 1.0
        for _, points, color in series:
            xy = [(plot.x + 2 + (plot.width - 4) * s / max(last, 1),
                   plot.bottom - 3 - (plot.height - 6) * (scale(v) - lo) / span) for s, v in points if v == v]
            if len(xy) > 1:
                pygame.draw.lines(surface, color, False, xy, 2)
            if xy:
                pygame.draw.circle(surface, color, (int(xy[-1][0]), int(xy[-1][1])), 3)
        draw_text(surface, f"{max(values):.3g}", (box.x, plot.y), fonts.small, theme.dim, label_w - 4)
        draw_text(surface, f"{min(values):.3g}", (box.x, plot.bottom - fonts.small.get_height()), fonts.small, theme.dim,
                  label_w - 4)
        draw_text(surface, f"step {last}", (plot.right - 80, plot.bottom + 1 - fonts.small.get_height() - 2),
                  fonts.small, theme.dim, 78)
    return surface


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"
