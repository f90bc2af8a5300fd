"""Regenerate the README screenshots by driving the real app in a real window.

    xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python docs/screenshots/make_screenshots.py

Plays Breakout as a person, hands over to the scripted agent and takes back control, replays the
take-over episode, plays the built-in Maze, opens the help overlay, replays a click in the built-in Lamp,
watches the explorer play Lamp, and trains a tiny VQ-VAE on the Breakout episodes from Train mode; saves one
PNG per view next to this file. Recordings and runs go to a temporary folder.
`... make_screenshots.py train` makes the Train mode one alone (after recording some Breakout to train on).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pygame

from aria_desktop.app import App, AppConfig

HERE = Path(__file__).resolve().parent


def post(key: int, up: bool = False) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYUP if up else pygame.KEYDOWN, key=key, mod=0))


def run(app: App, frames: int) -> None:
    for _ in range(frames):
        app.tick()


def shot(app: App, name: str) -> None:
    pygame.image.save(app.screen, str(HERE / f"{name}.png"))
    print(f"{name}.png: {' · '.join(app.last_header)}" + (f" (error: {app.error})" if app.error else ""))


def train_shot(app: App) -> None:
    """Train mode: a real tiny VQ-VAE run on the Breakout episodes recorded so far, pictured as it trains."""
    from trainers import runs

    post(pygame.K_F6)
    run(app, 3)
    for key in [pygame.K_DOWN] * 4 + [pygame.K_RIGHT] * 5:  # Steps: 3000
        post(key)
    post(pygame.K_RETURN)
    run(app, 3)
    while len(app.mode.watch.progress.losses.get("loss", [])) < 12:
        run(app, 1)
        time.sleep(0.05)
    run(app, 30)
    shot(app, "train")
    runs.cancel(app.mode.watch.folder)
    runs.wait(app.mode.watch.folder, 120)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # recordings/ as the app shows it by default, but in a throwaway folder
        config = AppConfig(out_dir=Path("recordings"), agent="scripted", runs_dir=Path(tmp) / "runs")
        app = App(config, "watch" if sys.argv[1:] == ["train"] else "launcher")
        if pygame.display.get_driver() == "dummy":
            sys.exit("Run this under a display (e.g. xvfb-run): the point is to look at a real window.")
        if sys.argv[1:] == ["train"]:
            run(app, 900)  # the scripted agent plays Breakout, recorded: something to train on
            train_shot(app)
            app.quit()
            app.tick()
            return
        run(app, 10)
        for _ in range(4):
            post(pygame.K_DOWN)
        run(app, 5)
        shot(app, "launcher")
        app.mode.selected = 0  # Breakout
        post(pygame.K_RETURN)
        run(app, 5)
        post(pygame.K_SPACE)
        post(pygame.K_SPACE, up=True)
        run(app, 15)
        post(pygame.K_LEFT)
        run(app, 25)
        post(pygame.K_LEFT, up=True)
        run(app, 20)
        shot(app, "play")
        post(pygame.K_TAB)  # the agent takes over ...
        run(app, 500)
        post(pygame.K_TAB)  # ... and the person takes back control
        post(pygame.K_RIGHT)
        run(app, 12)
        post(pygame.K_RIGHT, up=True)
        run(app, 8)
        shot(app, "takeover")
        post(pygame.K_F5)
        run(app, 5)
        post(pygame.K_PAGEUP)  # the take-over episode
        run(app, 3)
        view = app.mode.view
        handover = next(t for t in range(1, view.steps) if view.controllers[t] != view.controllers[t - 1])
        app.mode.seek(handover + 3)
        run(app, 3)
        shot(app, "replay")
        app.selection.game = "maze"
        app.switch("play")
        run(app, 5)
        for key in (pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_DOWN, pygame.K_DOWN):
            post(key)
            post(key, up=True)
            run(app, 15)
        shot(app, "play_arc")
        post(pygame.K_F1)
        run(app, 3)
        shot(app, "help")
        post(pygame.K_F1)
        app.selection.game = "lamp"  # a click game: replay marks where the click landed
        app.switch("play")
        run(app, 5)
        rect = app.mode.frame_rect
        s = rect.width // 64
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(rect.x + 12 * s, rect.y + 50 * s), button=1))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(rect.x + 12 * s, rect.y + 50 * s), button=1))
        run(app, 30)
        post(pygame.K_F5)
        run(app, 3)
        post(pygame.K_RIGHT)
        run(app, 3)
        rect = app.mode.frame_rect
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(rect.x + 30 * s, rect.y + 20 * s), rel=(0, 0),
                                             buttons=(0, 0, 0)))
        run(app, 3)
        shot(app, "replay_arc")
        app.selection.agent = "explorer"  # the explorer on Lamp: its graph in the panel, its clicks on the frame
        post(pygame.K_F4)
        run(app, 120)
        while app.mode.marked is None or app.mode.marked.chosen.xy is None:  # a click on the level shown
            run(app, 1)
        post(pygame.K_p)
        run(app, 20)
        shot(app, "watch")
        train_shot(app)
        app.quit()
        app.tick()


if __name__ == "__main__":
    main()
