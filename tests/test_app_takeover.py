"""Take-over: Tab hands control between agent and person without a reset; each step says who acted."""

from __future__ import annotations

import numpy as np
import pygame
from test_app_helpers import key, make_app, make_env_dir, recordings, tap, ticks

from aria_desktop.games.breakout import BreakoutGame


def test_breakout_take_over_and_hand_back_keeps_one_episode(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "watch", game="breakout", agent="random", seed=3)
    ticks(app, 3)  # the agent plays three steps
    assert app.last_header[2] == "agent: random"
    tap(pygame.K_TAB)
    key(pygame.K_RIGHT)
    ticks(app, 2)  # the person: RIGHT, RIGHT
    assert app.last_header[2] == "human"
    key(pygame.K_RIGHT, up=True)
    tap(pygame.K_TAB)
    ticks(app, 2)  # the agent again
    assert app.mode.steps == 7 and app.mode.runner.episodes == 1
    app.quit()
    app.tick()
    (path,) = recordings(tmp_path, "breakout")
    with open_episode(path) as ep:
        np.testing.assert_array_equal(ep.controllers, [1, 1, 1, 0, 0, 1, 1])
        assert list(ep.actions[3:5]) == [2, 2]
        # No reset in between: the same seed and actions replay every recorded frame.
        game = BreakoutGame()
        np.testing.assert_array_equal(ep.observations[0], game.reset(3))
        for t, action in enumerate(ep.actions):
            np.testing.assert_array_equal(ep.observations[t + 1], game.step(int(action)).frame)
        game.close()
        assert ep.attrs.get("seed", 3) == 3


def test_arc_take_over_from_play_mode(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path), agent="random", seed=1)
    ticks(app, 1)
    tap(pygame.K_s)  # the person moves down (ACTION2)
    ticks(app, 3)
    tap(pygame.K_TAB)  # the agent acts (4 actions per second at speed 1, animations included)
    ticks(app, 30)
    agent_steps = app.mode.steps - 1
    assert agent_steps >= 2
    tap(pygame.K_TAB)
    tap(pygame.K_d)  # ignored until the agent's animation finished, then the person's move
    ticks(app, 6)
    assert app.mode.controller == 0
    app.close()
    (path,) = recordings(tmp_path, "tg01")
    with open_episode(path) as ep:
        controllers = list(ep.controllers)
        assert controllers == [0] + [1] * agent_steps + [0]
        assert ep.actions[0] == 2 and ep.actions[-1] == 4
