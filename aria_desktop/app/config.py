"""Everything the app's look and pace depend on, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aria_desktop.paths import DEFAULT_RECORDINGS, DEFAULT_RUNS, DEFAULT_SCREENSHOTS


@dataclass
class Theme:
    background: tuple[int, int, int] = (18, 18, 24)
    header: tuple[int, int, int] = (34, 36, 48)
    panel: tuple[int, int, int] = (26, 28, 38)
    text: tuple[int, int, int] = (226, 228, 236)
    dim: tuple[int, int, int] = (140, 144, 160)
    accent: tuple[int, int, int] = (30, 147, 255)
    human: tuple[int, int, int] = (79, 204, 48)  # controller 0
    agent: tuple[int, int, int] = (255, 133, 27)  # controller 1
    record: tuple[int, int, int] = (249, 60, 49)
    error: tuple[int, int, int] = (146, 18, 49)
    info: tuple[int, int, int] = (30, 90, 60)
    font_size: int = 20
    small_font_size: int = 17


@dataclass
class Layout:
    window: tuple[int, int] = (1200, 780)
    min_window: tuple[int, int] = (640, 420)
    header_height: int = 30
    status_height: int = 26
    panel_width: int = 320
    margin: int = 8


@dataclass
class Pace:
    display_fps: int = 60  # redraw rate of the window
    idle_fps: int = 2  # redraw rate while nothing moves on its own (the loop sleeps until input or this)
    fixed_dt: float | None = None  # tests: advance this many seconds per frame, never sleep
    max_dt: float = 0.25  # the most game time one frame may advance (after a stall)
    speeds: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # play/watch speed multipliers
    arc_agent_steps_per_second: float = 4.0  # how fast an agent acts on a turn-based game, at speed 1
    agent_wait: float = 0.05  # seconds a frame waits for the agent's choice before drawing on (it keeps thinking)
    auto_restart_after: float = 1.5  # seconds an agent's finished episode stays on screen
    message_seconds: float = 6.0  # how long an info message stays in the status bar
    error_min_seconds: float = 5.0  # an error stays at least this long (then a key dismisses it)


@dataclass(frozen=True)
class AppConfig:
    """What a session starts with; read, never written (what the person chooses later lives in Selection)."""

    game: str = "breakout"
    out_dir: Path = DEFAULT_RECORDINGS
    env_dir: Path | None = None
    record: bool = True
    agent: str = "scripted"  # falls back to random for games without a scripted agent
    seed: int = 0
    screenshot_dir: Path = DEFAULT_SCREENSHOTS
    runs_dir: Path = DEFAULT_RUNS  # training runs: Train mode lists and starts them here
    train_after: int = 0  # triggered training: fine-tune after every N new recorded episodes and when a session ends (0: off)
    train_steps: int = 300  # steps of a triggered fine-tuning run
    theme: Theme = field(default_factory=Theme)
    layout: Layout = field(default_factory=Layout)
    pace: Pace = field(default_factory=Pace)


@dataclass
class Selection:
    """What the person has chosen in this session: it starts as the AppConfig says, the launcher changes it
    and the modes read it (the app holds it)."""

    game: str
    agent: str
    record: bool
    out_dir: Path
    env_dir: Path | None
    train_after: int = 0  # AppConfig.train_after; Train mode changes it

    @classmethod
    def from_config(cls, config: AppConfig) -> Selection:
        return cls(config.game, config.agent, config.record, config.out_dir, config.env_dir, config.train_after)
