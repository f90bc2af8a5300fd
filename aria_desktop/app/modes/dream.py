"""Dream: play Breakout inside the learned world model (games/dream.py), recorded like any game.

It is Play mode with a DreamGame: the same runner, Breakout keymap and recorder, at Breakout's 15 steps per
second. The difference is where a step runs: the model's step (tens of milliseconds) runs on a worker thread
and the window keeps drawing meanwhile; the next step starts once the last one is shown, so a slow model plays
slower instead of freezing the window. Its own keys: re-sync the dream to the real game driven by the same
actions, temperature up/down and greedy, and the side-by-side view (dream | real frame | the VQ-VAE's
reconstruction of it, with its PSNR). Without a trained model it says so and names the command that trains one.
Hot reload: every few seconds, between steps and on the worker thread, it asks a CheckpointWatcher whether a better
checkpoint of its world model was written (a training run going on); if so the dream goes on in it from its recent
frames, within the same episode, and the header names the checkpoint in use.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pygame

from aria_desktop.app.header import HeaderInfo
from aria_desktop.app.keymap import KeyAction, KeyTable
from aria_desktop.app.modes.base import register, wake_window
from aria_desktop.app.modes.play import HUMAN, PlayMode
from aria_desktop.app.panel import Section, TextSection
from aria_desktop.app.render import draw_frame
from aria_desktop.app.text import draw_text
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Game
from aria_desktop.session import EpisodeRunner, RecordingSession
from aria_desktop.session.model_worker import keep_window_thread_light, model_worker

TRAIN_COMMAND = "aria dream --setup"
RELOAD_EVERY = 3.0  # seconds between looks for a better checkpoint (a folder scan, on the worker thread)

DREAM_KEYS = KeyTable(
    KeyAction((pygame.K_y,), "resync", "re-sync the dream to the real game (same actions, re-encoded)"),
    KeyAction((pygame.K_RIGHTBRACKET, pygame.K_PLUS, pygame.K_EQUALS), "hotter", "temperature up (more varied dreams)", "] / +"),
    KeyAction((pygame.K_LEFTBRACKET, pygame.K_MINUS), "colder", "temperature down (0 is greedy)", "[ / -"),
    KeyAction((pygame.K_g,), "greedy", "greedy on / off (the most likely frame, or sampling at the temperature)"),
    KeyAction((pygame.K_v,), "real_view", "side by side: the real game and its VQ-VAE reconstruction (PSNR)"),
    KeyAction((pygame.K_p,), "pause", "pause / resume"),
    KeyAction((pygame.K_n,), "step_once", "one step while paused"),
)


def no_dream_sentence(where: Path) -> str:
    return (f"There is no trained dream in {where}; train one with `{TRAIN_COMMAND}` (about half an hour on a laptop "
            "CPU) or pass a world-model run with --checkpoint DIR.")


def open_dream(checkpoint: Path | str | None = None) -> Any:
    """The Dream (trainers/dream_loading.py) at `checkpoint`, else the active world model (`aria models use`), else
    the newest one under the runs folder; an AriaError sentence when there is none or it cannot be used."""
    from aria_desktop import paths
    from trainers.dream_loading import find_dream, load_dream
    from trainers.errors import TrainerError
    from trainers.models_registry import active_checkpoint

    keep_window_thread_light()  # before the first model work on this thread (session/model_worker.py says why)
    try:
        if checkpoint is None:
            chosen, path = active_checkpoint("atari-wm", paths.DEFAULT_RUNS, paths.ACTIVE_MODELS)
            if path is not None:
                try:
                    return load_dream(path)
                except TrainerError:
                    if chosen:  # the person's choice fails: say why; a default that cannot dream gives way
                        raise
            checkpoint = find_dream(paths.DEFAULT_RUNS)
            if checkpoint is None:
                raise AriaError(no_dream_sentence(paths.DEFAULT_RUNS))
        return load_dream(checkpoint)
    except TrainerError as e:
        raise AriaError(str(e)) from None


@register
class DreamMode(PlayMode):
    name = "dream"
    title = "DREAM"
    hotkey = None
    launcher_key = pygame.K_d
    launcher_label = "Dream (world model)  [D]"
    order = 30
    games = ("breakout",)
    keys = DREAM_KEYS
    drawing_fps = 30  # the dream makes at most 15 frames a second: drawing faster takes CPU the model needs
    busy_drawing_fps = 10  # while the model works nothing moves; its finished step wakes the window at once

    @property
    def display_fps(self) -> int:
        # each redraw takes one of the model's threads' core for a moment, and on two cores that stalls its step
        return self.busy_drawing_fps if self.busy else self.drawing_fps

    def __init__(self, app, dream: Any = None, checkpoint: Path | str | None = None, start: str | None = None) -> None:
        self.dream = dream if dream is not None else open_dream(checkpoint)
        self.start = start
        self._pool = model_worker("aria-dream")
        self._job: tuple[Future, Callable[[Any], None]] | None = None  # the model's work in flight, and its follow-up
        self._step_times: deque[float] = deque(maxlen=30)  # when recent steps were shown (measured FPS)
        self._latency: deque[float] = deque(maxlen=15)  # recent model milliseconds per step
        self._warm_temperature = 0.5  # what greedy-off goes back to
        self.watcher = self._watch(self.dream)
        self._step_since_look = True  # a step was shown since the last look for a better checkpoint
        try:
            super().__init__(app)
        except BaseException:
            self._pool.shutdown(wait=False)
            raise

    def open_game(self, seed: int) -> Game:
        from aria_desktop.games.dream import DreamConfig, DreamGame

        game = DreamGame(self.dream, DreamConfig(start=self.start))
        try:
            game.reset(seed)
        except BaseException:
            game.close()
            raise
        return game

    def make_runner(self, seed: int) -> EpisodeRunner:
        chosen = self.app.selection
        return EpisodeRunner(self.game, seed, None, RecordingSession(chosen.out_dir, chosen.record), HUMAN)

    # -- the model's work, off the window's thread ---------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def model_work(self) -> Future | None:
        """The model's work in flight (shown by the first frame after it is done)."""
        return self._job[0] if self._job else None

    def _submit(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        future = self._pool.submit(work)
        future.add_done_callback(wake_window)  # the next step starts as soon as this one is shown
        self._job = (future, then)

    def _collect(self, wait: bool = False) -> None:
        """Show the finished work (wait=True: wait for it); its error surfaces here, on the window's thread."""
        if self._job is None or not (wait or self._job[0].done()):
            return
        future, then = self._job
        self._job = None
        then(future.result())

    def _act(self, action: int, xy: tuple[int, int] | None) -> None:
        if self.busy:  # one step at a time: the next one starts after this one is shown
            return
        self._submit(lambda: self.runner.step(action, xy, HUMAN), self._stepped)

    def _stepped(self, result) -> None:
        self._step_since_look = True
        self._step_times.append(time.perf_counter())
        if self.game.ms:
            self._latency.append(self.game.ms.get("total", 0.0))
        self._played(result)

    def update(self, dt: float) -> None:
        self._collect()
        if not self.busy and self.watcher is not None and self.watcher.due() and (self._step_since_look or self.paused):
            self._step_since_look = False  # a step goes between two looks, however often they are due
            self._submit(self._reload_if_better, self._reloaded)  # between steps: the next one waits for it
        if not self.busy:
            super().update(dt)
        elif not (self.paused or self.app.show_help):
            # While the model works the window keeps drawing and the time counts toward the next step (up to one
            # step's worth, so a slow model plays slower instead of catching up in bursts).
            self.step_clock = min(self.step_clock + dt * self.speed, 1.0 / self.game.native_fps)

    def _restart(self, outcome: str) -> None:
        self._collect(wait=True)
        super()._restart(outcome)

    def _next_episode(self) -> None:
        self._collect(wait=True)
        super()._next_episode()

    # -- hot reload ----------------------------------------------------------------------------------------
    @staticmethod
    def _watch(dream: Any) -> Any:
        """A watcher of the dream's world model over its run and the runs folder (None if it cannot)."""
        from aria_desktop import paths
        from trainers.errors import TrainerError
        from trainers.models_registry import CheckpointWatcher

        path = dream.wm_checkpoint.path.resolve()
        run = path.parent.parent if path.parent.name == "checkpoints" else path
        try:
            return CheckpointWatcher("atari-wm", path, [run, paths.DEFAULT_RUNS], interval=RELOAD_EVERY)
        except TrainerError:  # a checkpoint folder that went away meanwhile: no hot reload, the dream still plays
            return None

    def _reload_if_better(self) -> Any:
        """On the worker: a better checkpoint's dream, switched to (or None); a sentence if it cannot be loaded."""
        from trainers.dream_loading import load_dream
        from trainers.errors import TrainerError

        try:
            path = self.watcher.poll()
        except OSError:  # a run folder changing under the scan: look again next time
            return None
        if path is None:
            return None
        try:
            dream = load_dream(path)
            self.game.switch_model(dream)
        except TrainerError as e:
            return str(e)
        return dream

    def _reloaded(self, result: Any) -> None:
        if isinstance(result, str):
            self.app.show_error(f"A newer world model was found but not used: {result}")
        elif result is not None:
            self.dream = result
            self.shown = self.game.frame
            self.app.show_message(f"The dream goes on in a better checkpoint: {self.checkpoint_text()} "
                                  f"({result.name}, {self.watcher.current.headline_text}).")

    def checkpoint_text(self) -> str:
        """The world model in use, as the header names it: its id's first digits and its step."""
        ckpt = self.dream.wm_checkpoint
        return f"wm {ckpt.id[:8]} step {ckpt.step}"

    # -- the dream's keys -------------------------------------------------------------------------------
    def key_actions(self) -> dict[str, Callable[[], None]]:
        return {"resync": self.resync, "hotter": lambda: self.change_temperature(1),
                "colder": lambda: self.change_temperature(-1), "greedy": self.toggle_greedy,
                "real_view": self.toggle_real_view, "pause": self.toggle_pause, "step_once": self.request_step}

    def resync(self) -> None:
        self._collect(wait=True)
        self._submit(self.game.resync, self._resynced)

    def _resynced(self, frame: np.ndarray) -> None:
        self.shown = frame
        self.app.show_message("The dream was re-synced to the real game.")

    def change_temperature(self, by: int) -> None:
        from aria_desktop.games.dream import TEMPERATURES

        now = min(range(len(TEMPERATURES)), key=lambda i: abs(TEMPERATURES[i] - self.game.temperature))
        self.game.temperature = TEMPERATURES[min(max(now + by, 0), len(TEMPERATURES) - 1)]
        if self.game.temperature > 0:
            self._warm_temperature = self.game.temperature

    def toggle_greedy(self) -> None:
        self.game.temperature = self._warm_temperature if self.game.temperature == 0 else 0.0

    def toggle_real_view(self) -> None:
        self._collect(wait=True)
        self.game.show_real = not self.game.show_real
        if self.game.show_real:
            self._submit(self.game.reconstruct, lambda view: setattr(self.game, "real_view", view))

    # -- what it shows ------------------------------------------------------------------------------------
    @property
    def dream_fps(self) -> float:
        times = [t for t in self._step_times if t > time.perf_counter() - 2.0]
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0

    @property
    def latency_ms(self) -> float:
        return sum(self._latency) / len(self._latency) if self._latency else 0.0

    def temperature_text(self) -> str:
        t = self.game.temperature
        return "greedy" if t == 0 else f"temperature {t:g}"

    def header(self) -> HeaderInfo:
        extra = [f"dream {self.dream_fps:.1f} fps", f"model {self.latency_ms:.0f} ms", self.temperature_text()]
        if self.paused:
            extra.append("paused")
        return HeaderInfo(mode=self.title, game=self.game.title, controller="human", step=self.steps,
                          recording=self.recording.enabled, episodes=len(self.app.saved), extra=" · ".join(extra),
                          model=self.checkpoint_text())

    def panel(self) -> list[Section]:
        ms = self.game.ms
        stages = " · ".join(f"{k} {v:.0f}" for k, v in ms.items() if k != "total") if ms else "-"
        facts = [
            f"model: {self.dream.name}",
            f"{self.temperature_text()} · step {self.steps}",
            f"dream {self.dream_fps:.1f} fps · model {self.latency_ms:.0f} ms",
            f"ms per stage: {stages}",
            f"real game: score {self.game.real.info.get('score', 0):.0f} (same actions)",
            "V: side by side with the real game · Y: re-sync",
        ]
        view = self.game.real_view if self.game.show_real else None
        if view is not None:
            facts.append(f"VQ-VAE reconstruction PSNR {view.psnr:.1f} dB")
        rec = self.recording
        recording = [f"recording to {self.app.selection.out_dir}/{self.game.id}" if rec.enabled else "not recording"]
        if rec.saved:
            recording.append(f"last: {rec.saved[-1].name}")
        return [TextSection("Dream", facts), TextSection("Recording", recording)]

    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        view = self.game.real_view if self.game.show_real else None
        if view is None:
            super().draw(surface, area)
            return
        fonts, theme = self.app.fonts, self.app.config.theme
        label_h = fonts.small.get_height() + 6
        width = area.width // 3
        columns = [("dream", self.shown), ("real game", view.frame), (f"VQ-VAE reconstruction · {view.psnr:.1f} dB",
                                                                     view.reconstruction)]
        for i, (label, frame) in enumerate(columns):
            cell = pygame.Rect(area.x + i * width, area.y, width - 6, area.height)
            rect = draw_frame(surface, frame, pygame.Rect(cell.x, cell.y + label_h, cell.width, cell.height - label_h))
            color = theme.accent if i == 0 else theme.text
            draw_text(surface, label, (rect.x, rect.y - label_h), fonts.small, color, cell.width)
            if i == 0:
                self.frame_rect = rect

    def game_help_lines(self) -> list[tuple[str, str]]:
        return self.keymap.help_lines()

    def close(self) -> None:
        try:
            self._collect(wait=True)
        except Exception:  # noqa: BLE001 - a failed last step must not keep the episode from being saved
            pass
        self._pool.shutdown(wait=True)
        super().close()
