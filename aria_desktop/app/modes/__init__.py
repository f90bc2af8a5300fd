"""The app's modes; importing this package registers them all (see base.MODES)."""

from aria_desktop.app.modes import dream, launcher, play, replay, train, watch  # noqa: F401  (registers the modes)
from aria_desktop.app.modes.base import MODES, Mode, modes_in_order, register

__all__ = ["MODES", "Mode", "modes_in_order", "register"]
