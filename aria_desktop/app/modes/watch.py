"""Watch: an agent plays (pause, single step, speed); its report fills the side panel; Tab takes over."""

from __future__ import annotations

import pygame

from aria_desktop.app.modes.base import register
from aria_desktop.app.modes.play import AGENT, PlayMode


@register
class WatchMode(PlayMode):
    name = "watch"
    title = "WATCH"
    hotkey = pygame.K_F4
    launcher_key = pygame.K_w
    launcher_label = "Watch an agent  [W]"
    order = 20
    start_controller = AGENT
