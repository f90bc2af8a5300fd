"""Atari Breakout through gymnasium + ale-py (the ROM ships inside ale-py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from importlib.metadata import version as package_version
from typing import Any

import ale_py
import gymnasium as gym
import numpy as np

from aria_desktop.games.game import Action, FrameKind, Game, GameKind, Step

gym.register_envs(ale_py)
ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # no emulator banner on every start

_LABELS = {"NOOP": "no-op", "FIRE": "fire (launch the ball)", "RIGHT": "move right", "LEFT": "move left"}


@dataclass(frozen=True)
class BreakoutConfig:
    """Everything that decides the frames for a given seed and action sequence."""

    env_id: str = "ALE/Breakout-v5"
    frameskip: int = 4  # 60 Hz emulator / 4 = 15 agent steps per second
    repeat_action_probability: float = 0.0  # sticky actions off: same seed + actions = same frames
    full_action_space: bool = False  # NOOP, FIRE, RIGHT, LEFT
    max_num_frames_per_episode: int = 108_000  # gymnasium's default cap (30 minutes of play)
    # Each step also returns the emulator frame before its last one: Step.frames = [previous, observation], so a
    # recording keeps what the world models' max-pool preprocessing needs (models/atari_frames.py). They are not
    # animation (BreakoutGame.animated is False: the app shows only the observation; see recorder/FORMAT.md).
    record_previous_frame: bool = True

    @classmethod
    def from_recorded(cls, config: dict[str, Any]) -> BreakoutConfig:
        """The configuration a recording stored (Game.config()), ignoring the keys that are not settings. Files
        written before record_previous_frame existed lack it and were recorded without the previous frame."""
        known = {f.name for f in fields(cls)}
        return cls(**{"record_previous_frame": False, **{k: v for k, v in config.items() if k in known}})


class BreakoutGame(Game):
    id = "breakout"
    title = "Atari Breakout"
    kind = GameKind.ATARI
    frame_kind = FrameKind.RGB
    levels = None
    animated = False  # a step's frame before its observation is the previous emulator frame, kept for preprocessing

    def __init__(self, config: BreakoutConfig | None = None) -> None:
        self.cfg = config or BreakoutConfig()
        self.version = f"ale-py {package_version('ale-py')}"
        self.native_fps = 60.0 / self.cfg.frameskip
        # The env steps one emulator frame at a time and `step` repeats the action `frameskip` times, exactly as
        # ALE's own frameskip loop does (act, act, act, act, then read the screen), so it can keep the frame before last.
        self._env = gym.make(
            self.cfg.env_id,
            frameskip=1,
            repeat_action_probability=self.cfg.repeat_action_probability,
            full_action_space=self.cfg.full_action_space,
            max_num_frames_per_episode=self.cfg.max_num_frames_per_episode,
        )
        meanings = self._env.unwrapped.get_action_meanings()
        self._actions = [Action(i, m, _LABELS.get(m, m.lower())) for i, m in enumerate(meanings)]
        self._frame: np.ndarray | None = None
        self._info: dict[str, Any] = {}
        self._score = 0.0

    @property
    def actions(self) -> list[Action]:
        return self._actions

    @property
    def frame(self) -> np.ndarray:
        if self._frame is None:
            self.reset()
        return self._frame  # type: ignore[return-value]

    @property
    def info(self) -> dict[str, Any]:
        return dict(self._info)

    @property
    def ale(self) -> ale_py.ALEInterface:
        """The emulator, for agents that read the console's RAM."""
        return self._env.unwrapped.ale

    def reset(self, seed: int | None = None) -> np.ndarray:
        obs, info = self._env.reset(seed=seed)
        self._score = 0.0
        self._frame = obs
        self._info = self._make_info(info, terminated=False)
        return obs

    def step(self, action: int, xy: tuple[int, int] | None = None) -> Step:
        self.action(action)  # validates the index with a clear message
        total, previous = 0.0, None
        for k in range(self.cfg.frameskip):
            obs, reward, terminated, truncated, info = self._env.step(action)
            total += float(reward)
            if k == self.cfg.frameskip - 2:
                previous = obs
        self._score += total
        self._frame = obs
        self._info = self._make_info(info, terminated=terminated)
        frames = [previous, obs] if self.cfg.record_previous_frame and previous is not None else [obs]
        return Step(frames, total, bool(terminated), bool(truncated), self.info)

    def _make_info(self, info: dict[str, Any], terminated: bool) -> dict[str, Any]:
        return {
            "score": self._score,
            "lives": int(info.get("lives", 0)),
            "levels_completed": 0,
            "state": "GAME_OVER" if terminated else "NOT_FINISHED",
            "frame_number": int(info.get("episode_frame_number", 0)),
        }

    def config(self) -> dict[str, Any]:
        return {"game": self.id, **asdict(self.cfg), "ale_py": package_version("ale-py")}

    def close(self) -> None:
        self._env.close()
