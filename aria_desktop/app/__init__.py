"""The pygame desktop app: one window, switchable modes (launcher, play, watch, replay, ...)."""

from aria_desktop.app.app import App
from aria_desktop.app.config import AppConfig

__all__ = ["App", "AppConfig"]
