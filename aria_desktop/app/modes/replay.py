"""Replay: browse recorded episodes; step, scrub, play, jump between episodes; see rewards, levels
and who acted on every step (green: the person, orange: the agent)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pygame

from aria_desktop.app.header import HeaderInfo
from aria_desktop.app.keymap import KeyAction, KeyTable
from aria_desktop.app.modes.base import Mode, register
from aria_desktop.app.panel import Section, TextSection
from aria_desktop.app.render import draw_frame, frame_size, mark_click, window_to_grid
from aria_desktop.app.text import draw_text, wrap

BREAKOUT_ACTIONS = ("NOOP", "FIRE", "RIGHT", "LEFT")
TIMELINE_HEIGHT = 26
# Playback rate at speed 1: Breakout's 15 steps per second; ARC's usual 5 animation frames per second.
REPLAY_FPS = {"rgb": 15.0, "grid": 5.0}
BIG_JUMP = 10  # steps Shift+Left / Shift+Right move

# The mode's keys; handle_event dispatches through this table and F1 lists it.
REPLAY_KEYS = KeyTable(
    KeyAction((pygame.K_LEFT,), "back", "one step back"),
    KeyAction((pygame.K_RIGHT,), "forward", "one step forward"),
    KeyAction((pygame.K_LEFT,), "back_big", f"{BIG_JUMP} steps back", shift=True),
    KeyAction((pygame.K_RIGHT,), "forward_big", f"{BIG_JUMP} steps forward", shift=True),
    KeyAction((pygame.K_HOME,), "first", "first step"),
    KeyAction((pygame.K_END,), "last", "last step"),
    KeyAction((pygame.K_SPACE,), "play", "play / pause"),
    KeyAction((pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS, pygame.K_RIGHTBRACKET), "faster", "faster", "+ / ]"),
    KeyAction((pygame.K_MINUS, pygame.K_KP_MINUS, pygame.K_LEFTBRACKET), "slower", "slower", "- / ["),
    KeyAction((pygame.K_PAGEUP, pygame.K_UP), "previous_episode", "previous episode"),
    KeyAction((pygame.K_PAGEDOWN, pygame.K_DOWN), "next_episode", "next episode"),
    mouse=(("Click or drag the timeline", "scrub"),),
)


def action_name(frame_kind: str, index: int) -> str:
    if frame_kind == "grid":
        return "RESET" if index == 0 else f"ACTION{index}"
    return BREAKOUT_ACTIONS[index] if 0 <= index < len(BREAKOUT_ACTIONS) else str(index)


class EpisodeView:
    """One opened recording with the per-step columns read once (frames stay lazy)."""

    def __init__(self, path: Path) -> None:
        from recorder import open_episode

        self.path = path
        self.ep = open_episode(path)
        try:
            ep = self.ep
            self.game = str(ep.game)
            self.frame_kind = str(ep.frame_kind)
            self.steps = int(ep.steps)
            self.outcome = str(ep.outcome or "")
            self.complete = bool(ep.complete)
            self.actions = np.asarray(ep.actions)
            self.xy = np.asarray(ep.action_xy)
            self.rewards = np.asarray(ep.rewards, dtype=np.float64)
            self.returns = np.concatenate([[0.0], np.cumsum(self.rewards)])
            self.controllers = np.asarray(ep.controllers)
            self.timestamps = np.asarray(ep.timestamps)
            self.infos: dict[str, Any] = {k: np.asarray(v) for k, v in ep.infos.items()}
            self.action_names = list(ep.action_names)
            self.animated = ep.animated  # False: step_frames are emulator frames, not shown
            self.native_fps = REPLAY_FPS.get(self.frame_kind, 15.0)
        except Exception:
            self.ep.close()
            raise

    def action_name(self, index: int) -> str:
        if 0 <= index < len(self.action_names):
            return str(self.action_names[index])
        return action_name(self.frame_kind, index)

    def frame(self, t: int) -> np.ndarray:
        return np.asarray(self.ep.observations[t])

    def step_frames(self, t: int) -> list[np.ndarray]:
        """Every frame step t produced (ARC animations); the last one is observation t + 1."""
        return [np.asarray(f) for f in self.ep.step_frames(t)]

    def info_at(self, name: str, t: int) -> Any:
        values = self.infos.get(name)
        if values is None or t >= len(values):
            return None
        v = values[t]
        return v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v

    def close(self) -> None:
        self.ep.close()


def _scan(folder: Path, game: str | None = None) -> tuple[list[Path], list[str]]:
    """Recording files under the folder (in the order they were played), only `game`'s when given, and one sentence per
    file that cannot be read."""
    from recorder import iter_episodes

    found: list[tuple[str, str, Path]] = []
    problems: list[str] = []
    if not folder.is_dir():
        return [], [f"The recordings folder {folder} does not exist yet; record an episode first."]
    for item in iter_episodes(folder):
        if isinstance(item, str):
            problems.append(item)
        elif game is None or item.game == game:
            found.append((item.created, Path(item.path).name, Path(item.path)))
    # The order they were played: episodes are finished on background threads, so a file's mtime can
    # put an earlier episode after a later one; `created` is the start time to the microsecond.
    paths = [path for _, _, path in sorted(found)]
    if game is not None and not paths and not problems:
        problems.append(f"No recording of {game} in {folder} yet; play it with recording on, or pick another game.")
    return paths, problems


def _recorded_game(path: Path) -> str | None:
    from recorder import open_episode

    try:
        with open_episode(path) as ep:
            return ep.game
    except Exception:  # noqa: BLE001 - opening it again in open() says what is wrong
        return None


@register
class ReplayMode(Mode):
    name = "replay"
    title = "REPLAY"
    has_panel = True
    hotkey = pygame.K_F5
    launcher_key = pygame.K_y
    launcher_label = "Replay recordings  [Y]"
    order = 30
    keys = REPLAY_KEYS

    def __init__(self, app, path: str | Path | None = None, game: str | None = None) -> None:
        super().__init__(app)
        cfg = app.selection
        if game:
            cfg.game = game
        # A folder to browse (every game in it), or a file to open among its game's episodes, or the recordings
        # folder showing the episodes of the game replay was opened from.
        if path and Path(path).is_dir():
            self.folder, self.game_filter = Path(path), None
        elif path and Path(path).is_file():
            self.folder, self.game_filter = Path(path).parent, _recorded_game(Path(path))
        else:
            self.folder, self.game_filter = cfg.out_dir, cfg.game.partition("-")[0]
        self.paths, self.problems = _scan(self.folder, self.game_filter)
        self.damaged: set[Path] = set()  # listed episodes found damaged when opened or drawn
        self.hover: tuple[int, int] | None = None  # the ARC cell under the mouse
        self.frame_rect = pygame.Rect(0, 0, 0, 0)
        self._titles: dict[str, str] = {}
        if self.problems:
            app.show_error(self.problems[0] + (f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""))
        self.view: EpisodeView | None = None
        self.index = 0
        self.t = 0
        self.playing = False
        self.clock = 0.0
        self.speed = 1.0
        self.timeline = pygame.Rect(0, 0, 0, 0)
        self.scrubbing = False
        self.between: deque[np.ndarray] = deque()  # animation frames still to show while playing
        start = self._start_index(Path(path) if path and Path(path).is_file() else None)
        if start is not None:
            self.open(start)

    def _start_index(self, file: Path | None) -> int | None:
        if not self.paths:
            return None
        if file is not None:
            resolved = [p.resolve() for p in self.paths]
            if file.resolve() in resolved:
                return resolved.index(file.resolve())
        # The newest recording of the current game, else the newest recording.
        mine = [i for i, p in enumerate(self.paths) if p.parent.name == self.app.selection.game]
        return mine[-1] if mine else len(self.paths) - 1

    def open(self, index: int) -> None:
        """Show episode `index`; a file that cannot be read leaves the list usable and says why."""
        if self.view is not None:
            self.view.close()
            self.view = None
        self.index = index % len(self.paths)
        self.t = 0
        self.playing = False
        self.between.clear()
        path = self.paths[self.index]
        try:
            self.view = EpisodeView(path)
        except Exception as e:  # noqa: BLE001 - RecordingError, or anything h5py says about a damaged file
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            self.damaged.add(path)
            self.app.show_error(first if type(e).__name__ == "RecordingError" else
                                f"Recording {path} cannot be read ({first}); it may be damaged, try `aria recordings verify`.")

    # -- input -------------------------------------------------------------------------------------------
    def seek(self, t: int) -> None:
        self.between.clear()
        if self.view is not None:
            self.t = min(max(t, 0), self.view.steps)

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.timeline.collidepoint(event.pos):
            self.scrubbing = True
            self._scrub(event.pos[0])
            return True
        if event.type == pygame.MOUSEMOTION and self.scrubbing:
            self._scrub(event.pos[0])
            return True
        if event.type == pygame.MOUSEMOTION:
            self.hover = self._cell_at(event.pos)
            return False
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self.scrubbing = False
            return False
        return self.dispatch_key(event)

    def key_actions(self) -> dict[str, Callable[[], None]]:
        def last() -> None:
            self.seek(self.view.steps if self.view else 0)

        def toggle_play() -> None:
            self.playing = not self.playing

        def episode(delta: int) -> Callable[[], None]:
            return lambda: self.open(self.index + delta) if self.paths else None

        def speed(factor: float) -> Callable[[], None]:
            return lambda: setattr(self, "speed", min(max(self.speed * factor, 0.125), 16.0))

        return {
            "back": lambda: self.seek(self.t - 1), "forward": lambda: self.seek(self.t + 1),
            "back_big": lambda: self.seek(self.t - BIG_JUMP), "forward_big": lambda: self.seek(self.t + BIG_JUMP),
            "first": lambda: self.seek(0), "last": last, "play": toggle_play,
            "faster": speed(2.0), "slower": speed(0.5),
            "previous_episode": episode(-1), "next_episode": episode(1),
        }

    def _cell_at(self, pos: tuple[int, int]) -> tuple[int, int] | None:
        if self.view is None or self.view.frame_kind != "grid" or self.frame_rect.width == 0:
            return None
        return window_to_grid(pos, self.frame_rect, (64, 64))

    def _scrub(self, x: int) -> None:
        if self.view is None or self.timeline.width <= 0:
            return
        fraction = (x - self.timeline.x) / max(1, self.timeline.width - 1)
        self.seek(round(fraction * self.view.steps))

    @property
    def animating(self) -> bool:
        return self.playing  # a paused replay changes only on input

    def update(self, dt: float) -> None:
        if not self.playing or self.view is None:
            return
        self.clock += dt * self.speed
        period = 1.0 / self.view.native_fps
        while self.clock >= period:
            self.clock -= period
            if self.between:  # the step's ARC animation frames come before its final frame
                self.between.popleft()
                continue
            if self.t >= self.view.steps:
                self.playing = False
                break
            if self.view.animated:
                self.between = deque(self.view.step_frames(self.t)[:-1])
            self.t += 1

    # -- drawing ---------------------------------------------------------------------------------------
    @property
    def shown(self) -> np.ndarray:
        """The frame on screen: an animation frame while playing through a step, else observation t."""
        return self.between[0] if self.between else self.view.frame(self.t)

    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        if self.view is None:
            lines = [f"No recording to show in {self.folder}."] if not self.paths else [
                f"Recording {self.paths[self.index].name} cannot be shown.", "PageUp / PageDown for another episode."]
            lines += self.problems[:6]
            y = area.y + 20
            for line in lines:
                for part in wrap(line, fonts.normal, area.width - 40):
                    draw_text(surface, part, (area.x + 20, y), fonts.normal, theme.text)
                    y += fonts.normal.get_height() + 4
            return
        frame_area = pygame.Rect(area.x, area.y, area.width, area.height - TIMELINE_HEIGHT - 8)
        try:
            shown = self.shown
        except Exception as e:  # noqa: BLE001 - a damaged frame chunk shows only when its frames are read
            self._mark_damaged(e)
            return
        self.frame_rect = draw_frame(surface, shown, frame_area)
        self._mark_click(surface)
        self.timeline = pygame.Rect(area.x, area.bottom - TIMELINE_HEIGHT, area.width, TIMELINE_HEIGHT)
        self._draw_timeline(surface, self.timeline)

    def _mark_damaged(self, e: Exception) -> None:
        """The open episode turned out damaged while showing it: say so, mark it in the list, keep the rest."""
        path = self.paths[self.index]
        first = ((str(e).strip().splitlines() or [type(e).__name__])[0])[:160]
        sentence = f"Recording {path.name} is damaged ({first}); PageUp / PageDown for another episode."
        self.damaged.add(path)
        if sentence not in self.problems:  # paging back to it says it again, but lists it once
            self.problems.insert(0, sentence)
        self.view.close()
        self.view = None
        self.between.clear()
        self.playing = False
        self.app.show_error(sentence)

    @property
    def click_step(self) -> int | None:
        """The step whose click the frame on screen shows: the step being played through, else the one that
        produced observation t; None when that step was not a click."""
        view = self.view
        step = self.t if self.between else self.t - 1
        if view is None or not 0 <= step < view.steps or view.xy[step][0] < 0:
            return None
        return step

    def _mark_click(self, surface: pygame.Surface) -> None:
        """A ring where the click landed (green: the person's, orange: the agent's), and its cell outlined."""
        step = self.click_step
        if step is None:
            return
        view, theme = self.view, self.app.config.theme
        color = theme.agent if view.controllers[step] else theme.human
        mark_click(surface, self.frame_rect, frame_size(self.shown), tuple(int(v) for v in view.xy[step]), color)

    def _draw_timeline(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """One column per step (or per group of steps): who acted, where rewards came, and the cursor."""
        theme, view = self.app.config.theme, self.view
        surface.fill(theme.panel, rect)
        n = max(view.steps, 1)
        for column in range(rect.width):
            step = min(view.steps - 1, column * n // rect.width)
            if step < 0:
                break
            color = theme.agent if view.controllers[step] else theme.human
            surface.fill(color, (rect.x + column, rect.y + 8, 1, rect.height - 8))
        for step in np.flatnonzero(view.rewards):
            x = rect.x + int(step * rect.width / n)
            surface.fill(theme.text, (x, rect.y, 2, 8))
        cursor = rect.x + int(self.t * (rect.width - 1) / n)
        pygame.draw.line(surface, theme.accent, (cursor, rect.y), (cursor, rect.bottom), 3)

    def header(self) -> HeaderInfo:
        view = self.view
        if view is None:
            return HeaderInfo(self.title, "-")
        who = None  # who acted to produce the frame shown (none for the reset frame)
        if self.t > 0:
            who = "agent" if view.controllers[self.t - 1] else "human"
        return HeaderInfo(self.title, self._title(view), controller=who, step=self.t, score=self._progress(),
                          extra=f"episode {self.index + 1}/{len(self.paths)}" + (" · playing" if self.playing else ""))

    def _title(self, view: EpisodeView) -> str:
        if view.game not in self._titles:
            from aria_desktop.games.catalog import game_title

            recorded = view.ep.env_config.get("environments_dir")
            self._titles[view.game] = game_title(view.game, self.app.selection.env_dir, recorded)
        return self._titles[view.game]

    def _progress(self) -> str:
        """ARC: levels done of the game's total at this step; Breakout: the return so far."""
        view, t = self.view, self.t
        if view.frame_kind != "grid":
            return f"return {view.returns[t]:g}"
        done, total = view.info_at("levels_completed", t), view.info_at("win_levels", t)
        return f"{done} of {total} levels done" if total else f"{done} levels done"

    def panel(self) -> list[Section]:
        view = self.view
        if view is None:
            return [TextSection("Recordings", [str(self.folder), f"{len(self.paths)} episodes", *self.problems[:8]])]
        episode = [
            view.path.name,
            f"{view.game} · {view.steps} steps · {view.outcome or 'no outcome'}" + ("" if view.complete else " · incomplete"),
            f"human steps {int((view.controllers == 0).sum())} · agent steps {int((view.controllers == 1).sum())}",
            f"return {view.returns[-1]:g}",
            "timeline: green the person, orange the agent, ticks rewards",
        ]
        t = self.t
        if t == 0:
            step = ["t = 0: the reset frame"]
        else:  # the frame at t came from step t-1's action
            i = t - 1
            xy = tuple(int(v) for v in view.xy[i])
            step = [
                f"t = {t}: {view.action_name(int(view.actions[i]))}" + (f" at {xy}" if xy[0] >= 0 else ""),
                f"by {'the agent' if view.controllers[i] else 'the person'}",
                f"reward {view.rewards[i]:g} · return so far {view.returns[t]:g}",
            ]
        for name in ("levels_completed", "score", "lives", "state"):
            value = view.info_at(name, t)
            if value is not None:
                step.append(f"{name} {value}")
        if t < len(view.timestamps):
            step.append(f"time {float(view.timestamps[t]):.2f} s")
        if self.hover is not None:
            x, y = self.hover
            step.append(f"mouse on cell ({x}, {y}), colour {int(self.shown[y, x])}")
        return [
            TextSection(f"Episode {self.index + 1} of {len(self.paths)}", episode),
            TextSection("This step", step),
            TextSection("Recordings (PageUp / PageDown)", self._neighbours()),
        ]

    def _neighbours(self, around: int = 3) -> list[str]:
        """The episodes next to the open one, so a person sees where PageUp / PageDown lead."""
        lo, hi = max(0, self.index - around), min(len(self.paths), self.index + around + 1)
        lines = [f"{'>' if i == self.index else ' '} {i + 1}. {self.paths[i].parent.name}/{self.paths[i].name}"
                 + (" (damaged)" if self.paths[i] in self.damaged else "") for i in range(lo, hi)]
        shown = f"{self.game_filter}'s episodes in {self.folder}" if self.game_filter else str(self.folder)
        return [shown, *lines, *self.problems[:3]]

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view = None
