"""The seed rule, written once: play-through k of a session (or batch) starts from seed + k.

For Breakout every episode is a play-through of its own, so this is "episode k uses seed + k". An ARC
episode that goes on after a GAME_OVER (a level RESET) is not a fresh start: it keeps its play-through's
seed. The agent is seeded with the same seed when a play-through starts, so `--jobs` changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedSchedule:
    base: int = 0

    def seed(self, playthrough: int) -> int:
        """The seed of play-through `playthrough` (0-based)."""
        return self.base + playthrough
