"""Watch: an agent plays (pause, single step, speed); its report fills the side panel; Tab takes over."""

from __future__ import annotations

from aria_desktop.app.modes.base import register
from aria_desktop.app.modes.play import AGENT, PlayMode


@register
class WatchMode(PlayMode):
    name = "watch"
    title = "WATCH"
    start_controller = AGENT
