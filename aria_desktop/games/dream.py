"""Breakout inside the learned world model: a `Game` whose frames the dream engine makes up.

It starts from real frames (a fresh real Breakout reset, or the first frames of a chosen recording) encoded by
the VQ-VAE, then each step asks the world model for the next frame given the action (NOOP, FIRE, RIGHT, LEFT,
the same indices as Breakout) and decodes it to 84×64 RGB. A real Breakout is driven by the same actions beside
it (an emulator step costs about a millisecond), so the dream can be re-synced to reality (its history is
re-encoded from the real game's last frames) and shown side by side with the real frame and the VQ-VAE's
reconstruction of it. The runner and recorder treat it like any game: its episodes are recorded as
`breakout-dream` (observations are the dream's 84×64 frames). It never ends an episode by itself: the world
model predicts no reward or game over, so reward is 0 and the person (R) or max_steps ends it.
A step takes as long as the model does (~5-50 ms): drivers that must not freeze call it on a worker thread.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame
from aria_desktop.games.game import Action, FrameKind, Game, GameKind, Step
from models.atari_frames import preprocess, psnr, to_model
from models.dream_engine import DreamEngine, DreamEngineConfig, to_image
from trainers.dream_loading import Dream

TEMPERATURES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)  # 0 is greedy (the most likely token everywhere)


@dataclass
class DreamConfig:
    temperature: float = 0.0
    quantize: bool = True  # int8 Linear layers in the world model (the engine's fast path)
    start: str | None = None  # a Breakout recording to start from (its first frames); None: a real reset


@dataclass
class RealView:
    """The real game's frame as the model sees it (84×64), its VQ-VAE reconstruction, and their PSNR."""

    frame: np.ndarray
    reconstruction: np.ndarray
    psnr: float


class DreamGame(Game):
    id = "breakout-dream"
    title = "Breakout (dream)"
    kind = GameKind.ATARI
    frame_kind = FrameKind.RGB
    levels = None

    def __init__(self, dream: Dream, config: DreamConfig | None = None) -> None:
        self.cfg = config or DreamConfig()
        self.dream = dream
        self.version = f"world model {dream.wm_checkpoint.id[:8]} step {dream.wm_checkpoint.step}"
        self.history = dream.world_model.cfg.history
        # a recording to start from is read first: a bad one is refused before the emulator opens
        self._start = recording_start(Path(self.cfg.start), self.history) if self.cfg.start else None
        self.real = BreakoutGame(BreakoutConfig(record_previous_frame=True))
        self.native_fps = self.real.native_fps  # 15 steps per second, like Breakout
        self.engine = DreamEngine(dream.world_model, dream.vqvae, DreamEngineConfig(quantize=self.cfg.quantize))
        self.temperature = self.cfg.temperature
        self.show_real = False  # compute the real view (reconstruction + PSNR) each step
        self.real_view: RealView | None = None
        self.ms: dict[str, float] = {}  # the last step's milliseconds per stage (engine + total)
        self._real_frames: deque[np.ndarray] = deque(maxlen=self.history)  # preprocessed, newest last
        self._real_actions: deque[int] = deque(maxlen=self.history - 1)  # the action taken on each but the newest
        # the dream's own recent frames (tokens) and actions, like the real ones: a new world model continues from them
        self._tokens: deque[torch.Tensor] = deque(maxlen=self.history)
        self._actions: deque[int] = deque(maxlen=self.history - 1)
        self._frame: np.ndarray | None = None
        self._info: dict[str, Any] = {}
        self._seed = 0
        self._steps = 0

    # -- Game --------------------------------------------------------------------------------------
    @property
    def actions(self) -> list[Action]:
        return self.real.actions

    @property
    def frame(self) -> np.ndarray:
        if self._frame is None:
            self.reset()
        return self._frame  # type: ignore[return-value]

    @property
    def info(self) -> dict[str, Any]:
        return dict(self._info)

    def reset(self, seed: int | None = None) -> np.ndarray:
        """A fresh real Breakout (and `history - 1` NOOP steps, so the model has its whole history), encoded;
        or the chosen recording's first frames."""
        self._seed = 0 if seed is None else seed
        self._steps = 0
        self._reset_real(self._seed)
        if self._start is not None:
            frames, actions = self._start
        else:
            frames, actions = self.real_history()
        self._frame = self._start_from(frames, actions)
        self._update_info()
        if self.show_real:
            self.real_view = self.reconstruct()
        return self._frame

    def step(self, action: int, xy: tuple[int, int] | None = None) -> Step:
        self.action(action)  # validates the index with a clear message
        dreamt = self.engine.step(action, self.temperature)
        self._actions.append(action)
        self._tokens.append(dreamt.tokens.reshape(-1))
        self._step_real(action)
        self._frame = dreamt.image
        self._steps += 1
        self.ms = dreamt.ms
        self._update_info()
        if self.show_real:
            self.real_view = self.reconstruct()
        return Step([dreamt.image], 0.0, False, False, self.info)

    def config(self) -> dict[str, Any]:
        wm, vq = self.dream.wm_checkpoint, self.dream.vqvae_checkpoint
        return {"game": self.id, "world_model": str(wm.path), "world_model_id": wm.id, "vqvae": str(vq.path),
                "vqvae_id": vq.id, "start": self.cfg.start or "", "temperature": self.temperature,
                "quantize": self.cfg.quantize, "real": asdict(self.real.cfg)}

    def close(self) -> None:
        self.real.close()

    def real_history(self) -> tuple[np.ndarray, np.ndarray]:
        """The real game's last frames as the model sees them (preprocessed, oldest first) and the action taken on
        each but the newest: what the dream starts from and re-syncs to."""
        return np.stack(self._real_frames), np.array(self._real_actions, dtype=np.int64)

    # -- reality -------------------------------------------------------------------------------------
    def resync(self) -> np.ndarray:
        """Re-encode the real game's last frames as the dream's history: the dream continues from reality."""
        self._frame = self._start_from(*self.real_history())
        if self.show_real:
            self.real_view = self.reconstruct()
        return self._frame

    @torch.no_grad()
    def _start_from(self, frames: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The engine starts from these frames (encoded) and actions, which become the dream's recent history."""
        tokens = self.dream.vqvae.encode(to_model(frames)).reshape(len(frames), -1)
        self._tokens = deque(tokens, maxlen=self.history)
        self._actions = deque((int(a) for a in actions), maxlen=self.history - 1)
        return self.engine.reset(tokens, torch.as_tensor(actions, dtype=torch.long))

    def switch_model(self, dream: Dream) -> np.ndarray:
        """Go on dreaming with another world model (a newer checkpoint on the same VQ-VAE) from the dream's recent
        frames and actions: a new engine, reset with their tokens. The episode goes on: its steps, the real game
        beside it and the recording are untouched. Slow (builds and quantizes the model): call it between steps,
        off the window's thread."""
        engine = DreamEngine(dream.world_model, dream.vqvae, DreamEngineConfig(quantize=self.cfg.quantize))
        history = dream.world_model.cfg.history
        tokens = list(self._tokens)[-history:]
        actions = list(self._actions)[len(self._actions) - (len(tokens) - 1):] if len(tokens) > 1 else []
        frame = engine.reset(torch.stack(tokens), torch.tensor(actions, dtype=torch.long))
        # the swap: a few assignments, done while no step runs (the caller's promise)
        self.dream, self.engine, self.history, self._frame = dream, engine, history, frame
        self.version = f"world model {dream.wm_checkpoint.id[:8]} step {dream.wm_checkpoint.step}"
        self._tokens, self._actions = deque(tokens, maxlen=history), deque(actions, maxlen=history - 1)
        self._real_frames = deque(self._real_frames, maxlen=history)
        self._real_actions = deque(self._real_actions, maxlen=history - 1)
        if self.show_real:
            self.real_view = self.reconstruct()
        return frame

    @torch.no_grad()
    def reconstruct(self) -> RealView:
        """The real game's current frame, its VQ-VAE reconstruction and their PSNR."""
        real = self._real_frames[-1]
        recon = to_image(self.dream.vqvae.decode(self.dream.vqvae.encode(to_model(real[None])))[0])
        return RealView(real, recon, psnr(real, recon))

    def _reset_real(self, seed: int) -> None:
        self._real_frames.clear()
        self._real_actions.clear()
        self._real_frames.append(preprocess(self.real.reset(seed)))
        noop = self.actions[0].index
        for _ in range(self.history - 1):
            self._step_real(noop)

    def _step_real(self, action: int) -> None:
        """The real game follows the person's actions; after its game over it starts again (next seed)."""
        step = self.real.step(action)
        if step.terminated or step.truncated:
            self._seed += 1
            self._real_frames.clear()
            self._real_actions.clear()
            self._real_frames.append(preprocess(self.real.reset(self._seed)))
            return
        previous = step.frames[-2] if len(step.frames) > 1 else None
        self._real_actions.append(action)  # taken on the newest frame, which stays in the history
        self._real_frames.append(preprocess(step.frame, previous))

    def _update_info(self) -> None:
        real = self.real.info
        wm = self.dream.wm_checkpoint  # per step: a recording says which checkpoint dreamt each frame (hot reload)
        self._info = {"score": 0.0, "lives": real.get("lives", 0), "levels_completed": 0, "state": "NOT_FINISHED",
                      "dream_steps": self._steps, "temperature": self.temperature, "real_score": real.get("score", 0.0),
                      "world_model_id": wm.id, "world_model_step": wm.step}


def recording_start(path: Path, history: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `history` frames (preprocessed) and actions of a Breakout recording."""
    from aria_desktop.errors import AriaError
    from recorder import open_episode

    try:
        with open_episode(path) as ep:
            if ep.game != "breakout" or ep.steps < history:
                raise AriaError(f"{path} is not a Breakout recording of at least {history} steps; choose another one.")
            obs = np.asarray(ep.observations[:history])
            actions = np.asarray(ep.actions[: history - 1], dtype=np.int64)
    except (OSError, KeyError) as e:
        raise AriaError(f"{path} cannot be read as a recording ({e}); choose another Breakout recording.") from None
    return preprocess(obs), actions
