"""Keys to game actions, per game, like gymnasium's utils/play.py: sorted key tuples map to actions.

Only the actions the game has now are bound. Breakout is real time (the held keys decide each step,
nothing held is NOOP); ARC games are turn based (one key press or one click is one action).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from aria_desktop.games.game import Game, GameKind

# Either Ctrl or Shift key counts as the left one, so a binding lists one code.
_SAME_KEY = {pygame.K_RCTRL: pygame.K_LCTRL, pygame.K_RSHIFT: pygame.K_LSHIFT}

# Direction words in action names (Atari's UP, RIGHTFIRE, ...; ARC's ACTION1-4) and their keys.
_DIRECTION_KEYS = {
    "UP": (pygame.K_UP, pygame.K_w),
    "DOWN": (pygame.K_DOWN, pygame.K_s),
    "LEFT": (pygame.K_LEFT, pygame.K_a),
    "RIGHT": (pygame.K_RIGHT, pygame.K_d),
}
_ARC_KEYS: dict[int, list[tuple[int, ...]]] = {
    0: [(pygame.K_r,)],  # RESET
    1: [(k,) for k in _DIRECTION_KEYS["UP"]],
    2: [(k,) for k in _DIRECTION_KEYS["DOWN"]],
    3: [(k,) for k in _DIRECTION_KEYS["LEFT"]],
    4: [(k,) for k in _DIRECTION_KEYS["RIGHT"]],
    5: [(pygame.K_SPACE,)],
    7: [tuple(sorted((pygame.K_LCTRL, pygame.K_z)))],
}
ARC_CLICK_ACTION = 6


def normalise(key: int) -> int:
    return _SAME_KEY.get(key, key)


def chord(keys) -> tuple[int, ...]:
    """A set of held keys as the sorted tuple bindings use."""
    return tuple(sorted({normalise(k) for k in keys}))


def key_names(keys: tuple[int, ...]) -> str:
    names = {pygame.K_LCTRL: "Ctrl", pygame.K_LSHIFT: "Shift", pygame.K_SPACE: "Space", pygame.K_RETURN: "Enter"}
    ordered = sorted(keys, key=lambda k: k not in (pygame.K_LCTRL, pygame.K_LSHIFT))  # modifiers first
    return "+".join(names.get(k, pygame.key.name(k).title()) for k in ordered)


@dataclass(frozen=True)
class Binding:
    keys: tuple[int, ...]  # sorted key codes pressed together
    action: int
    label: str


@dataclass
class KeyMap:
    """The bindings of one game (for its current action set)."""

    bindings: list[Binding]
    realtime: bool
    noop: int | None = None  # realtime: the action when no binding matches
    click_action: int | None = None  # ARC ACTION6: a mouse click on the frame
    reset_key: int = pygame.K_r
    action_ids: tuple[int, ...] = ()

    def lookup(self, keys: tuple[int, ...]) -> int | None:
        for b in self.bindings:
            if b.keys == keys:
                return b.action
        return None

    def realtime_action(self, held: tuple[int, ...], last_pressed: int | None) -> int | None:
        """The action for the keys held during a real-time step: the exact chord, else the key pressed
        last on its own (holding RIGHT and tapping FIRE fires), else the no-op."""
        action = self.lookup(held)
        if action is None and last_pressed is not None and normalise(last_pressed) in held:
            action = self.lookup((normalise(last_pressed),))
        return self.noop if action is None else action

    def help_lines(self) -> list[tuple[str, str]]:
        """(keys, what they do) for the help overlay; one line per action."""
        by_action: dict[int, list[str]] = {}
        labels: dict[int, str] = {}
        for b in self.bindings:
            by_action.setdefault(b.action, []).append(key_names(b.keys))
            labels[b.action] = b.label
        lines = [(" / ".join(keys), labels[a]) for a, keys in by_action.items()]
        if self.click_action is not None:
            lines.append(("Mouse click", f"ACTION{self.click_action}: click that cell of the 64x64 grid"))
        if self.realtime:
            lines.append(("(nothing held)", "NOOP"))
            lines.append((key_names((self.reset_key,)), "new game (saves the episode)"))
        return lines


def _atari_keys(name: str) -> list[tuple[int, ...]]:
    """All key chords for an ALE action name such as RIGHT, FIRE or UPLEFTFIRE (arrows or WASD)."""
    rest = name
    fire = rest.endswith("FIRE")
    if fire:
        rest = rest[: -len("FIRE")]
    directions: list[str] = []
    for word in ("UP", "DOWN", "RIGHT", "LEFT"):
        if word in rest:
            directions.append(word)
            rest = rest.replace(word, "", 1)
    if rest or (not directions and not fire):
        return []  # NOOP, or a name we do not know how to press
    chords: list[tuple[int, ...]] = []
    for variant in (0, 1):  # arrows, then WASD
        keys = [_DIRECTION_KEYS[d][variant] for d in directions]
        if fire:
            keys.append(pygame.K_SPACE)
        chords.append(chord(keys))
    return sorted(set(chords))


def keymap_for(game: Game) -> KeyMap:
    actions = game.actions
    ids = tuple(a.index for a in actions)
    if game.kind is GameKind.ATARI:
        bindings = [Binding(k, a.index, f"{a.name}: {a.label}") for a in actions for k in _atari_keys(a.name)]
        noop = next((a.index for a in actions if a.name == "NOOP"), None)
        return KeyMap(bindings, realtime=True, noop=noop, action_ids=ids)
    bindings = [Binding(k, a.index, f"{a.name}: {a.label}") for a in actions for k in _ARC_KEYS.get(a.index, [])]
    click = ARC_CLICK_ACTION if any(a.needs_xy for a in actions) else None
    return KeyMap(bindings, realtime=False, click_action=click, action_ids=ids)


@dataclass(frozen=True)
class KeyAction:
    """One line of a mode's key table: any of `keys` does `action`; help shows `label` (or the keys' names)."""

    keys: tuple[int, ...]
    action: str
    help: str
    label: str = ""
    shift: bool = False  # only with Shift held (it then wins over the same key's entry without Shift)


class KeyTable:
    """A mode's (or the app's) own keys: its event handler dispatches through it and the F1 help lists it, so
    the two cannot disagree. `mouse` holds the help lines of what the mouse does there (not keys)."""

    def __init__(self, *entries: KeyAction, mouse: tuple[tuple[str, str], ...] = ()) -> None:
        seen = [(k, e.shift) for e in entries for k in e.keys]
        if len(seen) != len(set(seen)):
            raise ValueError("a key is bound twice in one key table")
        self.entries = entries
        self.mouse = mouse

    def action(self, key: int, mod: int = 0) -> str | None:
        shift = bool(mod & pygame.KMOD_SHIFT)
        for wanted in ((True, False) if shift else (False,)):
            for entry in self.entries:
                if key in entry.keys and entry.shift == wanted:
                    return entry.action
        return None

    @property
    def actions(self) -> list[str]:
        return [entry.action for entry in self.entries]

    def help_lines(self) -> list[tuple[str, str]]:
        def names(e: KeyAction) -> str:
            return e.label or " / ".join(("Shift+" if e.shift else "") + key_names((k,)) for k in e.keys)

        return [(names(e), e.help) for e in self.entries] + list(self.mouse)


# The app's own keys, in every mode (Esc quits only when the mode does not use it; F2.. switch modes: Mode.hotkey).
APP_KEYS = KeyTable(
    KeyAction((pygame.K_F1,), "help", "show / hide this help"),
    KeyAction((pygame.K_F12,), "screenshot", "save a screenshot to the screenshots folder"),
    KeyAction((pygame.K_ESCAPE,), "quit", "quit (the episode in progress is saved)", "Esc"),
)
