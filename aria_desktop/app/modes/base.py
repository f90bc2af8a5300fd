"""The Mode interface and the registry of modes.

A mode owns what happens in the main area of the window. Adding a mode (dream, training, the
world-model agent) is one module with a @register'ed Mode subclass; the app finds it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pygame

from aria_desktop.app.header import HeaderInfo
from aria_desktop.app.keymap import KeyTable
from aria_desktop.app.panel import Section

if TYPE_CHECKING:
    from aria_desktop.app.app import App

MODES: dict[str, type[Mode]] = {}
WORK_DONE = pygame.event.custom_type()  # a mode's worker finished: the window shows its result without waiting


def wake_window(*_: object) -> None:
    """From any thread (e.g. a Future's done-callback): end the window's wait for its next frame now, so a result
    computed off the render loop is shown, and the next piece of work started, at once instead of up to a frame
    later."""
    if pygame.display.get_init():
        pygame.event.post(pygame.event.Event(WORK_DONE))


def register(cls: type[Mode]) -> type[Mode]:
    MODES[cls.name] = cls
    return cls


def modes_in_order() -> list[type[Mode]]:
    return sorted(MODES.values(), key=lambda m: m.order)


class Mode:
    name = "mode"  # the registry key, and what `aria play --mode` accepts
    title = "MODE"  # shown in the header
    has_panel = False  # whether the side panel is shown next to the main area
    hotkey: int | None = None  # the key that switches to this mode from anywhere (F2, F3, ...)
    launcher_key: int | None = None  # the key that opens it from the launcher, with the selected game
    launcher_label: str | None = None  # its button in the launcher (None: no button)
    order = 100  # position among the launcher's buttons and in the help
    games: tuple[str, ...] | None = None  # the launcher's games it opens with (None: any game)
    keys = KeyTable()  # the mode's own keys: dispatch_key() acts on them and F1 lists them

    def __init__(self, app: App) -> None:
        self.app = app

    def handle_event(self, event: pygame.event.Event) -> bool:
        """React to one event; True when the mode used it (the app then ignores it)."""
        return False

    def update(self, dt: float) -> None:
        """Advance by dt seconds of (scaled) time."""

    # the most frames per second this mode needs drawn (None: Pace.display_fps)
    display_fps: int | None = None

    @property
    def animating(self) -> bool:
        """Whether the mode changes on its own (a game in real time, an agent, playback); when not, the app
        redraws only on input or at Pace.idle_fps, instead of at display_fps."""
        return True

    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        """Draw the main area."""

    def header(self) -> HeaderInfo:
        return HeaderInfo(self.title)

    def panel(self) -> list[Section]:
        return []

    def key_actions(self) -> dict[str, Callable[[], None]]:
        """What each action named in `keys` does."""
        return {}

    def dispatch_key(self, event: pygame.event.Event) -> bool:
        """Act on a key of the mode's key table; True when it was one."""
        action = self.keys.action(event.key, getattr(event, "mod", 0)) if event.type == pygame.KEYDOWN else None
        if action is None:
            return False
        self.key_actions()[action]()
        return True

    def help_lines(self) -> list[tuple[str, str]]:
        """(keys, what they do) for this mode's own keys."""
        return self.keys.help_lines()

    def game_help_lines(self) -> list[tuple[str, str]]:
        """(keys, action) for the game being played, when there is one."""
        return []

    def close(self) -> None:
        """Leave the mode: save whatever is in progress and release resources."""
