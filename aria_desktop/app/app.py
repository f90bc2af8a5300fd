"""The window and its main loop: events, mode switching, header, side panel, help, screenshots, errors.

The loop is steppable (tick / run(max_frames)) so tests drive the real app headless. With
config.pace.fixed_dt set, every frame advances the same amount of game time and nothing sleeps.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pygame

from aria_desktop.app.config import AppConfig, Selection
from aria_desktop.app.header import HeaderInfo, draw_header
from aria_desktop.app.help import app_keys, draw_help
from aria_desktop.app.keymap import APP_KEYS
from aria_desktop.app.modes import MODES, Mode, modes_in_order
from aria_desktop.app.modes.base import WORK_DONE
from aria_desktop.app.panel import Section, draw_panel
from aria_desktop.app.screenshot import save_screenshot
from aria_desktop.app.text import Fonts, draw_text
from aria_desktop.errors import AriaError

NO_DISPLAY = (
    "No display: ARIA's window needs a desktop session ({why}); run it in one, under Xvfb (`xvfb-run -a aria`), "
    "or set SDL_VIDEODRIVER=dummy to run the window unseen."
)
_UNSEEN_DRIVERS = ("offscreen", "dummy")  # SDL's fallbacks: a window nobody sees would wait forever for keys


def check_display() -> None:
    """Say in one sentence that there is no display, instead of opening an unseen window that never ends.
    An explicitly set SDL_VIDEODRIVER (tests, benchmarks: `dummy`) is respected."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return
    unix_desktop = sys.platform.startswith(("linux", "freebsd", "openbsd"))
    if unix_desktop and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise AriaError(NO_DISPLAY.format(why="neither DISPLAY nor WAYLAND_DISPLAY is set"))


def load_before_display() -> None:
    """Import triton (torch's compiler, which transformers imports with the world-model agent) before the window
    opens: imported after SDL has opened a real X display, it crashes the process (segmentation fault, seen under
    Xvfb). 0.4 s, and only where torch's CUDA build installed it."""
    if importlib.util.find_spec("triton") is not None:
        importlib.import_module("triton")


def plain_framebuffer() -> None:
    """Present the window's pixels without an OpenGL context (unless the person set SDL_FRAMEBUFFER_ACCELERATION):
    the app draws in software anyway, and where there is no GPU (VMs, remote desktops, Xvfb) SDL's default GL path
    renders every flip through llvmpipe, whose threads took the CPU the dream's model needs: the Dream showed about
    8 instead of 6 frames per second at the seed size (four alternating runs under Xvfb on 2 cores)."""
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")


class App:
    def __init__(self, config: AppConfig | None = None, mode: str = "launcher", **params) -> None:
        self.config = config or AppConfig()  # read, never written
        self.selection = Selection.from_config(self.config)  # the game, agent and folders chosen now
        check_display()
        load_before_display()
        plain_framebuffer()
        try:
            pygame.display.init()  # display and fonts only: the app makes no sound
            if pygame.display.get_driver() in _UNSEEN_DRIVERS and not os.environ.get("SDL_VIDEODRIVER"):
                pygame.display.quit()
                raise AriaError(NO_DISPLAY.format(why=f"SDL found only its '{pygame.display.get_driver()}' driver"))
            pygame.font.init()
            pygame.display.set_caption("ARIA Desktop")
            self.screen = pygame.display.set_mode(self.config.layout.window, pygame.RESIZABLE)
        except pygame.error as e:
            raise AriaError(
                f"The window cannot open ({e}); run ARIA in a desktop session, or set SDL_VIDEODRIVER=dummy for headless use."
            ) from e
        self.fonts = Fonts(self.config.theme.font_size, self.config.theme.small_font_size)
        self.clock = pygame.time.Clock()
        self.mode: Mode | None = None
        self.running = True
        self.show_help = False
        self.frames = 0
        self.error: str | None = None  # one sentence, shown until the next error or a dismissing key
        self.message: str | None = None
        self._message_until = 0.0
        self._error_until = 0.0
        self._frame_times: deque[float] = deque(maxlen=60)
        self._last_time = time.perf_counter()
        self.last_header: list[str] = []  # what the header showed last (tests read it)
        self.saved: list[Path] = []  # every episode saved in this session, by any mode
        # Work that outlives a mode (a training run in the background) adds its panel sections here;
        # they show under the mode's own sections, in every mode.
        self.panel_sources: list[Callable[[], list[Section]]] = []
        self.cache: dict = {}  # what modes keep between visits (the launcher's game list, ...)
        # Work checked once a frame and once more on the way out, whatever the mode: triggered training.
        from aria_desktop.app.modes.train import TrainingTrigger

        self.background: list[Callable[[], None]] = [TrainingTrigger(self)]
        self.switch(mode, **params)

    # -- modes -----------------------------------------------------------------------------------
    def switch(self, name: str, **params) -> bool:
        """Leave the current mode (saving its work) and enter `name`; on failure show why and go to the launcher."""
        if name not in MODES:
            self.show_error(f"There is no mode '{name}'; choose one of: {', '.join(MODES)}.")
            return False
        if self.mode is not None:
            self._safely(self.mode.close)
            self.mode = None
        try:
            self.mode = MODES[name](self, **params)
            return True
        except AriaError as e:
            self.show_error(str(e))
        except Exception as e:  # noqa: BLE001 - a broken game must not take the window down
            self._report_crash(e, f"opening {name}")
        if name != "launcher":
            self.switch("launcher")
        else:
            self.mode = Mode(self)  # the launcher itself failed: an empty mode keeps the window alive
        return False

    # -- the loop ----------------------------------------------------------------------------------
    def run(self, max_frames: int | None = None) -> None:
        """Run until quit (or for max_frames frames); the episode in progress is saved on the way out."""
        previous = self._install_sigint()
        try:
            while self.running and (max_frames is None or self.frames < max_frames):
                self.tick()
        except BaseException:
            self.close()  # whatever went wrong, the episode in progress is saved
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if not self.running:
                self.close()

    def tick(self) -> bool:
        """One frame: events, update, draw. Returns whether the app is still running."""
        if not self.running:  # quit() was called between frames
            self.close()
            return False
        pace = self.config.pace
        events = self._wait_while_idle()
        if pace.fixed_dt is None:
            # A long pause (loading a game, a dragged window) must not fast-forward the game.
            fps = (self.mode.display_fps if self.mode is not None else None) or pace.display_fps
            events += self._wait_for_frame(fps)
            dt = min(self.clock.tick() / 1000.0, pace.max_dt)
        else:
            dt = pace.fixed_dt
        now = time.perf_counter()
        self._frame_times.append(now - self._last_time)
        self._last_time = now
        for event in events + pygame.event.get():
            self._handle(event)
            if not self.running:
                self.close()
                return False
        self._safely(lambda: self.mode.update(dt))
        for job in self.background:
            self._safely(job)
        self._draw()
        self.frames += 1
        return self.running

    @property
    def idle(self) -> bool:
        """Nothing on screen moves on its own: no animating mode, no background work reporting to the panel."""
        return self.mode is not None and not self.mode.animating and not self.panel_sources

    def _wait_while_idle(self) -> list[pygame.event.Event]:
        """While idle, sleep until input arrives or the next idle frame is due (Pace.idle_fps), so an idle window
        costs almost no CPU; returns the event that woke it. Tests (fixed_dt) never sleep."""
        pace = self.config.pace
        if pace.fixed_dt is not None or not self.idle:
            return []
        event = pygame.event.wait(1000 // pace.idle_fps)
        return [] if event.type == pygame.NOEVENT else [event]

    def _wait_for_frame(self, fps: float) -> list[pygame.event.Event]:
        """Sleep until the next frame is due at `fps`, or until a mode's worker says its work is done (WORK_DONE):
        returns the events that came meanwhile."""
        deadline = self._last_time + 1.0 / fps
        events: list[pygame.event.Event] = []
        while (left := deadline - time.perf_counter()) > 0.001:
            event = pygame.event.wait(max(1, int(left * 1000)))
            if event.type in (pygame.NOEVENT, WORK_DONE):
                break
            events.append(event)
        return events

    def quit(self) -> None:
        self.running = False

    def close(self) -> None:
        """Save the mode's work and close the window (safe to call twice)."""
        self.running = False
        if self.mode is not None:
            self._safely(self.mode.close)
            self.mode = None
            for job in self.background:
                self._safely(job)
        if pygame.display.get_init():
            pygame.display.quit()

    @property
    def fps(self) -> float:
        times = [t for t in self._frame_times if t > 0]
        return len(times) / sum(times) if times else 0.0

    # -- messages ----------------------------------------------------------------------------------
    def show_error(self, sentence: str) -> None:
        self.error = sentence
        self._error_until = time.monotonic() + self.config.pace.error_min_seconds
        print(f"aria: {sentence}", file=sys.stderr)

    def show_message(self, sentence: str) -> None:
        self.message = sentence
        self._message_until = time.monotonic() + self.config.pace.message_seconds

    def _report_crash(self, e: Exception, doing: str) -> None:
        traceback.print_exc(file=sys.stderr)
        first = (str(e).strip().splitlines() or [""])[0]
        self.show_error(
            f"Unexpected {type(e).__name__} while {doing}: {first} (details in the terminal); the app keeps running."
        )

    def _safely(self, call) -> None:
        try:
            call()
        except AriaError as e:
            self.show_error(str(e))
        except Exception as e:  # noqa: BLE001
            self._report_crash(e, f"running {self.mode.name if self.mode else 'the app'}")

    # -- events --------------------------------------------------------------------------------------
    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.quit()
            return
        if event.type == pygame.VIDEORESIZE:
            lo = self.config.layout.min_window
            if event.w < lo[0] or event.h < lo[1]:
                self.resize(event.w, event.h)
            else:  # pygame 2 resizes the display surface itself
                self.screen = pygame.display.get_surface()
            return
        if event.type == pygame.KEYDOWN:
            action = APP_KEYS.action(event.key)
            if action == "help" or (action == "quit" and self.show_help):  # Esc closes the help first
                self.show_help = not self.show_help
                return
            if action == "screenshot":
                self.screenshot()
                return
            if time.monotonic() >= self._error_until:
                self.error = None  # a key dismisses the error sentence once it has been readable a while
        if self.show_help and event.type in (pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN, pygame.TEXTINPUT):
            return  # the help covers the mode: its keys and clicks are not for it (key releases still are)
        used = False
        try:
            used = self.mode.handle_event(event)
        except AriaError as e:
            self.show_error(str(e))
            used = True
        except Exception as e:  # noqa: BLE001
            self._report_crash(e, f"handling a key in {self.mode.name}")
            used = True
        if used or event.type != pygame.KEYDOWN:
            return
        if APP_KEYS.action(event.key) == "quit":
            self.quit()
        else:
            for mode in modes_in_order():
                if mode.hotkey == event.key:
                    self.switch(mode.name)
                    break

    def resize(self, width: int, height: int) -> None:
        lo = self.config.layout.min_window
        self.screen = pygame.display.set_mode((max(width, lo[0]), max(height, lo[1])), pygame.RESIZABLE)

    def screenshot(self) -> Path | None:
        try:
            path = save_screenshot(self.screen, self.config.screenshot_dir, self.mode.name if self.mode else "app")
        except OSError as e:
            self.show_error(f"The screenshot could not be saved in {self.config.screenshot_dir} ({e.strerror or e}); check that folder.")
            return None
        self.show_message(f"Screenshot saved to {path.resolve()}")
        return path

    # -- drawing ---------------------------------------------------------------------------------------
    def layout(self) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect | None, pygame.Rect]:
        """(header, main area, side panel or None, status bar) for the current window size."""
        lay = self.config.layout
        w, h = self.screen.get_size()
        header = pygame.Rect(0, 0, w, lay.header_height)
        status = pygame.Rect(0, h - lay.status_height, w, lay.status_height)
        main = pygame.Rect(0, header.bottom, w, status.top - header.bottom)
        panel = None
        wants_panel = self.panel_sources or (self.mode is not None and self.mode.has_panel)
        if wants_panel and w > lay.panel_width * 2:
            panel = pygame.Rect(w - lay.panel_width, main.y, lay.panel_width, main.height)
            main.width -= lay.panel_width
        return header, main.inflate(-2 * lay.margin, -2 * lay.margin), panel, status

    def _draw(self) -> None:
        theme = self.config.theme
        self.screen.fill(theme.background)
        header, main, panel, status = self.layout()
        info = HeaderInfo("-")
        try:
            self.mode.draw(self.screen, main)
            info = self.mode.header()
            if panel is not None:
                sections = self.mode.panel() + [section for source in self.panel_sources for section in source()]
                draw_panel(self.screen, panel, sections, self.fonts, theme)
        except AriaError as e:
            self.show_error(str(e))
        except Exception as e:  # noqa: BLE001 - a mode that cannot draw goes back to the launcher
            self._report_crash(e, f"drawing {self.mode.name}")
            if self.mode.name != "launcher":
                self.switch("launcher")
        fps = None if self.idle and self.config.pace.fixed_dt is None else self.fps
        self.last_header = draw_header(self.screen, header, info, fps, self.fonts, theme)
        self._draw_status(status)
        if self.show_help:
            draw_help(self.screen, self._help_sections(), self.fonts, theme)
        pygame.display.flip()

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        mode = self.mode
        game = mode.game_help_lines() if mode else []
        title = f"Game: {mode.header().game}" if game else "Game"
        return [(title, game), (f"Mode: {mode.title if mode else '-'}", mode.help_lines() if mode else []), ("App", app_keys())]

    def _draw_status(self, rect: pygame.Rect) -> None:
        theme = self.config.theme
        y = rect.y + (rect.height - self.fonts.small.get_height()) // 2 + 1
        if self.error:
            self.screen.fill(theme.error, rect)
            draw_text(self.screen, self.error, (rect.x + 10, y), self.fonts.small, theme.text, rect.width - 20)
        elif self.message and time.monotonic() < self._message_until:
            self.screen.fill(theme.info, rect)
            draw_text(self.screen, self.message, (rect.x + 10, y), self.fonts.small, theme.text, rect.width - 20)
        else:
            self.screen.fill(theme.header, rect)
            switches = "  ".join(f"{pygame.key.name(m.hotkey).upper()} {m.name}" for m in modes_in_order() if m.hotkey)
            hint = f"F1 help  ·  F12 screenshot  ·  {switches}  ·  Esc quit"
            draw_text(self.screen, hint, (rect.x + 10, y), self.fonts.small, theme.dim, rect.width - 20)

    # -- Ctrl-C ------------------------------------------------------------------------------------------
    def _install_sigint(self):
        """Ctrl-C in the terminal quits like closing the window (the episode is saved)."""
        if threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGINT, lambda signum, frame: self.quit())
