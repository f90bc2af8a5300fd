"""The launcher: pick a game and a mode; the recordings and environments folders are shown and can be changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame

from aria_desktop.agents import agents_for
from aria_desktop.app.active_models import draw_active_models
from aria_desktop.app.header import HeaderInfo
from aria_desktop.app.keymap import KeyAction, KeyTable
from aria_desktop.app.modes.base import MODES, Mode, modes_in_order, register
from aria_desktop.app.render import frame_to_rgb, integer_scale
from aria_desktop.app.text import draw_text, wrap
from aria_desktop.errors import AriaError
from aria_desktop.games.catalog import GameEntry, environments_dir, list_games

# The launcher's own keys; the modes' launch keys (Mode.launcher_key) join them in launcher_keys().
LAUNCHER_KEYS = KeyTable(
    KeyAction((pygame.K_UP,), "previous_game", "previous game"),
    KeyAction((pygame.K_DOWN,), "next_game", "next game"),
    KeyAction((pygame.K_a,), "agent", "change the agent for watch / take-over"),
    KeyAction((pygame.K_c,), "record", "recording on / off"),
    KeyAction((pygame.K_o,), "out_dir", "type the recordings folder"),
    KeyAction((pygame.K_e,), "env_dir", "type the ARC-AGI-3 environments folder (empty: built-in games only)"),
    mouse=(("Click a game / a button", "choose that game / open that mode"),),
)
# While a folder field is open, typed keys are text; these are the field's own keys.
FOLDER_FIELD_KEYS = KeyTable(
    KeyAction((pygame.K_RETURN, pygame.K_KP_ENTER), "keep", "(in a folder field) keep the folder typed", "Enter"),
    KeyAction((pygame.K_ESCAPE,), "cancel", "(in a folder field) cancel", "Esc"),
    KeyAction((pygame.K_BACKSPACE,), "delete", "(in a folder field) delete the last character"),
)


def launcher_keys() -> KeyTable:
    """The launcher's keys with one launch key per mode that has one (modes register after this module)."""
    launch = [KeyAction((m.launcher_key,), f"launch_{m.name}", re.sub(r"\s*\[.*\]$", "", m.launcher_label or m.name)
                        + " with the selected game") for m in modes_in_order() if m.launcher_key is not None]
    static = LAUNCHER_KEYS.entries
    return KeyTable(*static[:2], *launch, *static[2:], mouse=LAUNCHER_KEYS.mouse)


@register
class LauncherMode(Mode):
    name = "launcher"
    title = "LAUNCHER"
    hotkey = pygame.K_F2
    order = 0
    keys = LAUNCHER_KEYS

    def __init__(self, app) -> None:
        super().__init__(app)
        self.keys = launcher_keys()
        self.games: list[GameEntry] = self._scan()
        ids = [g.open_id for g in self.games]
        self.selected = ids.index(app.selection.game) if app.selection.game in ids else 0
        self.editing: str | None = None  # the folder being typed, while editing
        self.editing_field = "out_dir"  # which folder: "out_dir" (recordings) or "env_dir" (environments)
        # The TEXTINPUT of the O / E press that opens a folder field arrives after its KEYDOWN: not typed text.
        self._skip_text: str | None = None
        self.row_rects: list[pygame.Rect] = []
        self.button_rects: list[tuple[pygame.Rect, str]] = []
        self.button_labels: list[str] = []
        self._previews: dict[str, pygame.Surface] = {}  # open id -> first frame as a surface (made once)

    def _scan(self) -> list[GameEntry]:
        """The games, scanned once per environments folder in a session (loading each game takes time)."""
        key = ("launcher.games", str(self.app.selection.env_dir))
        if key not in self.app.cache:
            self.app.cache[key] = self._list_games()
        return self.app.cache[key]

    def _list_games(self) -> list[GameEntry]:
        try:
            return list_games(self.app.selection.env_dir)
        except AriaError as e:  # a missing environments folder: still offer Breakout and the built-ins
            self.app.show_error(str(e))
            self.app.selection.env_dir = None
            return list_games(None)

    @property
    def animating(self) -> bool:
        return False  # the launcher changes only on input

    @property
    def entry(self) -> GameEntry:
        return self.games[self.selected]

    def launch(self, mode: str) -> None:
        entry = self.entry
        if entry.error and mode != "replay":
            self.app.show_error(entry.error)
            return
        games = MODES[mode].games
        if games is not None and entry.open_id not in games:
            self.app.show_error(f"{MODES[mode].title.title()} mode is for {', '.join(games)} only; select it first.")
            return
        self.app.selection.game = entry.open_id
        self.app.switch(mode)

    # -- input ---------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        if self.editing is not None:
            return self._edit(event)
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for i, rect in enumerate(self.row_rects):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    return True
            for rect, mode in self.button_rects:
                if rect.collidepoint(event.pos):
                    self.launch(mode)
                    return True
            return False
        typed = getattr(event, "unicode", "") or None
        used = self.dispatch_key(event)
        if self.editing is not None:  # this key opened a folder field: its TEXTINPUT echo is not text
            self._skip_text = typed
        return used

    def key_actions(self) -> dict[str, Callable[[], None]]:
        cfg = self.app.selection

        def move(delta: int) -> Callable[[], None]:
            return lambda: setattr(self, "selected", (self.selected + delta) % len(self.games))

        def next_agent() -> None:
            offered = agents_for(self.entry.kind)  # the agents that play the selected game
            cfg.agent = offered[(offered.index(cfg.agent) + 1) % len(offered)] if cfg.agent in offered else offered[0]

        def switch_recording() -> None:
            cfg.record = not cfg.record

        def launcher(mode: str) -> Callable[[], None]:
            return lambda: self.launch(mode)

        actions = {"previous_game": move(-1), "next_game": move(1), "agent": next_agent, "record": switch_recording,
                   "out_dir": lambda: self._open_field("out_dir"), "env_dir": lambda: self._open_field("env_dir")}
        actions.update({a: launcher(a.removeprefix("launch_")) for a in self.keys.actions if a.startswith("launch_")})
        return actions

    def _open_field(self, field: str) -> None:
        self.editing_field = field
        current = getattr(self.app.selection, field)
        self.editing = str(current) if current else ""
        pygame.key.start_text_input()

    def _edit(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.TEXTINPUT:
            skip, self._skip_text = self._skip_text, None
            if event.text != skip:
                self.editing += event.text
        elif event.type == pygame.KEYDOWN:
            self._skip_text = None  # the opening key's echo comes before any other key
            action = FOLDER_FIELD_KEYS.action(event.key)
            if action == "delete":
                self.editing = self.editing[:-1]
            elif action is not None:
                if action == "keep":
                    self._commit(self.editing.strip())
                self.editing = None
                pygame.key.stop_text_input()
        return True  # while typing, every key belongs to the text field

    def _commit(self, text: str) -> None:
        cfg = self.app.selection
        if self.editing_field == "out_dir":
            if text:
                cfg.out_dir = Path(text).expanduser().resolve()
                self.app.show_message(f"Recordings go to {cfg.out_dir}")
            return
        try:  # an empty field means no environments folder: built-in games only
            cfg.env_dir = environments_dir(text) if text else None
        except AriaError as e:
            self.app.show_error(str(e))
            return
        chosen = self.entry.open_id
        self.games = self._scan()
        ids = [g.open_id for g in self.games]
        self.selected = ids.index(chosen) if chosen in ids else 0
        arc = sum(g.kind.value == "arc" for g in self.games)
        self.app.show_message(f"Environments folder {cfg.env_dir or '(none)'}: {arc} ARC-AGI-3 game(s) found")

    # -- drawing -------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        x, y = area.x + 16, area.y + 10
        draw_text(surface, "Choose a game", (x, y), fonts.big, theme.text)
        y += fonts.big.get_height() + 8
        list_width = min(460, area.width // 2)
        row_h = fonts.normal.get_height() + 8
        self.row_rects = []
        for i, g in enumerate(self.games):
            rect = pygame.Rect(x, y, list_width, row_h)
            if i == self.selected:
                surface.fill(theme.header, rect)
                pygame.draw.rect(surface, theme.accent, rect, 1)
            color = theme.dim if g.error else theme.text
            draw_text(surface, f"{g.title}", (x + 8, y + 4), fonts.normal, color, list_width - 190)
            draw_text(surface, f"{g.open_id} · {g.kind.value}", (x + list_width - 180, y + 6), fonts.small, theme.dim, 176)
            self.row_rects.append(rect)
            y += row_h + 2
        self._draw_details(surface, pygame.Rect(x + list_width + 30, area.y + 10 + fonts.big.get_height() + 8,
                                                area.right - x - list_width - 40, area.height))

    def _draw_details(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        fonts, theme = self.app.fonts, self.app.config.theme
        g = self.entry
        x, y = rect.x, rect.y
        draw_text(surface, g.title, (x, y), fonts.normal, theme.accent, rect.width)
        y += fonts.normal.get_height() + 4
        lines = [(g.description, theme.text)] if g.description else []
        facts = f"id {g.open_id} · {g.kind.value} · version {g.version}" + (f" · {g.levels} levels" if g.levels else "")
        lines += [(facts, theme.dim), ("actions: " + (", ".join(g.actions) or "-"), theme.dim)]
        if g.error:
            lines.append((g.error, theme.record))
        for line, color in lines:
            for part in wrap(line, fonts.small, rect.width):
                draw_text(surface, part, (x, y), fonts.small, color, rect.width)
                y += fonts.small.get_height() + 2
        y += 8
        y = self._draw_preview(surface, pygame.Rect(x, y, min(rect.width, 240), 210)) + 12
        self.button_rects, self.button_labels = [], []
        for mode in modes_in_order():
            if mode.launcher_label is None or (mode.games is not None and self.entry.open_id not in mode.games):
                continue
            label = self._button_label(mode)
            button = pygame.Rect(x, y, min(rect.width, 280), fonts.normal.get_height() + 12)
            surface.fill(theme.header, button)
            pygame.draw.rect(surface, theme.accent, button, 1)
            draw_text(surface, label, (button.x + 10, button.y + 6), fonts.normal, theme.text, button.width - 20)
            self.button_rects.append((button, mode.name))
            self.button_labels.append(label)
            y = button.bottom + 8
        self._draw_settings(surface, x, y, rect.width)

    def _button_label(self, mode) -> str:
        """A mode's button; with recording off, Play says it will not record."""
        if mode.name == "play" and not self.app.selection.record:
            return mode.launcher_label.replace("Play & record", "Play (not recorded)")
        return mode.launcher_label

    def _draw_preview(self, surface: pygame.Surface, box: pygame.Rect) -> int:
        """The selected game's first frame, integer-scaled into the box; returns the bottom edge used."""
        g = self.entry
        if g.first_frame is None:
            return box.y
        if g.open_id not in self._previews:
            self._previews[g.open_id] = pygame.surfarray.make_surface(
                np.ascontiguousarray(frame_to_rgb(g.first_frame).swapaxes(0, 1)))
        image = self._previews[g.open_id]
        scale = integer_scale(image.get_size(), box)
        size = (image.get_width() * scale, image.get_height() * scale)
        surface.blit(pygame.transform.scale(image, size), box.topleft)
        pygame.draw.rect(surface, self.app.config.theme.header, (*box.topleft, *size), 1)
        return box.y + size[1]

    def _draw_settings(self, surface: pygame.Surface, x: int, y: int, width: int) -> None:
        fonts, theme, cfg = self.app.fonts, self.app.config.theme, self.app.selection
        y += 10
        settings = [
            (f"Agent for watch / take-over: {cfg.agent}" + ("" if cfg.agent in agents_for(self.entry.kind) else
                                                            " (not for this game: random plays)") + "   [A] to change",
             theme.text),
            (f"Recording: {'on' if cfg.record else 'off'}   [C] to switch", theme.text if cfg.record else theme.dim),
            self._folder_line("Recordings folder", "out_dir", str(cfg.out_dir), "O"),
            self._folder_line("Environments folder", "env_dir", str(cfg.env_dir or "(none: built-in games only)"), "E"),
        ]
        for line, color in settings:
            for part in wrap(line, fonts.small, width):
                draw_text(surface, part, (x, y), fonts.small, color, width)
                y += fonts.small.get_height() + 3
        draw_active_models(surface, x, y, width, self.app)

    def _folder_line(self, label: str, field: str, value: str, key: str) -> tuple[str, tuple[int, int, int]]:
        theme = self.app.config.theme
        if self.editing is not None and self.editing_field == field:
            return f"{label}: {self.editing}|   [Enter] to keep, [Esc] to cancel", theme.accent
        return f"{label}: {value}   [{key}] to change", theme.text

    def header(self) -> HeaderInfo:
        return HeaderInfo(self.title, self.entry.title if self.games else "-")

    def help_lines(self) -> list[tuple[str, str]]:
        return self.keys.help_lines() + FOLDER_FIELD_KEYS.help_lines()

    def close(self) -> None:
        if self.editing is not None:
            pygame.key.stop_text_input()
