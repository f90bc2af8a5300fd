"""The explorer agent: plays from frames alone, builds its graph, resets after a game over, replays what it learned."""

from __future__ import annotations

from typing import Any

import numpy as np

from aria_desktop.agents.evaluate import play_episode
from aria_desktop.agents.explorer import ExplorerAgent, segments, thick_parts
from aria_desktop.games.catalog import open_game
from aria_desktop.games.game import Action, Game
from aria_desktop.session import AGENT, EpisodeRunner


class FramesOnly:
    """What a person sees of a game, and nothing else: the explorer must play through this."""

    def __init__(self, game: Game) -> None:
        self._game = game

    @property
    def frame(self) -> np.ndarray:
        return self._game.frame.copy()

    @property
    def actions(self) -> list[Action]:
        return list(self._game.actions)

    @property
    def info(self) -> dict[str, Any]:
        info = self._game.info
        return {"levels_completed": info["levels_completed"], "state": info["state"]}


def play(game: Game, agent: ExplorerAgent, budget: int) -> list[tuple[int, int, str]]:
    """(action, levels completed, state) per step, until the game is won or the budget is spent."""
    view = FramesOnly(game)
    agent.reset(view)
    trace = []
    for _ in range(budget):
        choice = agent.act(view)
        step = game.step(choice.action, choice.xy)
        trace.append((choice.action, step.info["levels_completed"], step.info["state"]))
        if step.info["state"] == "WIN":
            break
    return trace


def actions_to_first_level(trace: list[tuple[int, int, str]]) -> int | None:
    return next((i + 1 for i, (_, levels, _) in enumerate(trace) if levels >= 1), None)


def test_completes_the_first_level_of_a_keyboard_game_from_frames_alone():
    agent = ExplorerAgent()
    trace = play(open_game("maze"), agent, budget=150)
    assert actions_to_first_level(trace) is not None
    assert agent.n_states > 5  # it mapped the maze on the way


def test_completes_the_first_level_of_a_click_game_from_frames_alone():
    agent = ExplorerAgent()
    trace = play(open_game("lamp"), agent, budget=80)
    assert actions_to_first_level(trace) is not None
    assert all(a in (0, 6) for a, _, _ in trace)  # lamp is played by clicks only


def test_the_graph_grows_and_the_panel_shows_it():
    game = open_game("gems")
    agent = ExplorerAgent()
    view = FramesOnly(game)
    agent.reset(view)
    sizes = []
    for _ in range(30):
        choice = agent.act(view)
        game.step(choice.action, choice.xy)
        sizes.append(agent.n_states)
    assert sizes[-1] > sizes[0] and sizes == sorted(sizes)
    report = agent.report()
    assert report[0].startswith(f"graph: {agent.n_states} states")
    assert any(line.startswith("chosen: ") for line in report)


def test_a_game_over_is_followed_by_a_reset_and_never_repeated(arc_env_dir):
    """toyw's level 2 has lava right of the start: stepping on it is GAME_OVER."""
    game = open_game("toyw", arc_env_dir)
    agent = ExplorerAgent()
    trace = play(game, agent, budget=600)
    overs = [i for i, (_, _, state) in enumerate(trace) if state == "GAME_OVER"]
    assert overs, "the explorer never tried the lava"
    for i in overs:
        assert trace[i + 1][0] == 0  # RESET
        assert trace[i + 1][1] == 1  # a level reset: level 1 stays completed
    assert len(overs) == 1  # the move into the lava is known and not taken again
    assert trace[-1][2] == "WIN"


def test_a_replay_after_a_restart_walks_the_known_solution():
    game = open_game("maze")  # its levels do not depend on the seed: play-through 2 is the same game again
    runner = EpisodeRunner(game, 0, "explorer", controller=AGENT, keep_agent=True)
    agent = runner.agent
    first = play_episode(runner, max_actions=300)
    runner.restart()  # from the start; the agent and its graph are kept
    second = play_episode(runner, max_actions=300)
    assert runner.agent is agent
    level_up = [next(i for i, s in enumerate(e.steps) if s.levels_completed >= 1) + 1 for e in (first, second)]
    assert level_up[1] < level_up[0]
    assert level_up[1] <= 2 * game.meta.baseline_actions[0]
    assert agent.decision is not None


class CounterGame:
    """A 4x4 grid walk shown as 8x8 blocks, with a step counter along the top row: not a Game, just what a
    person would see. Reaching the far corner completes the level."""

    def __init__(self) -> None:
        self.pos, self.steps, self.levels = (0, 0), 0, 0
        self.actions = [Action(0, "RESET", "reset", resets=True)] + [Action(i, f"ACTION{i}", "move") for i in (1, 2, 3, 4)]

    @property
    def frame(self) -> np.ndarray:
        f = np.full((64, 64), 5, np.uint8)
        f[8 + 8 * self.pos[1] : 16 + 8 * self.pos[1], 8 + 8 * self.pos[0] : 16 + 8 * self.pos[0]] = 9
        f[0, : self.steps % 64] = 3  # the counter
        return f

    @property
    def info(self) -> dict[str, Any]:
        return {"levels_completed": self.levels, "state": "NOT_FINISHED"}

    def step(self, action: int) -> None:
        if action == 0:
            self.pos = (0, 0)
            return
        dx, dy = {1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}[action]
        x, y = self.pos[0] + dx, self.pos[1] + dy
        if 0 <= x < 4 and 0 <= y < 3:  # the bottom row is out of reach: the level is never completed
            self.pos = (x, y)
            self.steps += 1


def test_a_step_counter_on_the_edge_does_not_make_every_frame_new():
    game = CounterGame()
    agent = ExplorerAgent()
    agent.reset(game)
    for _ in range(200):
        game.step(agent.act(game).action)
    assert 0 in agent.masked_rows
    assert agent.n_states == 12  # the reachable positions, whatever the counter shows
    assert agent.decision.reason == "exhausted"


def test_segments_and_their_thick_parts():
    grid = np.zeros((64, 64), np.uint8)
    grid[10:19, 10:19] = 4  # two 9x9 buttons ...
    grid[10:19, 30:39] = 4
    grid[13:16, 19:30] = 4  # ... wired by a 3-wide bar: one segment
    grid[40, 40] = 7
    found = segments(grid)
    assert [s.size for s in found] == [64 * 64 - 81 * 2 - 33 - 1, 81 * 2 + 33, 1]
    wired = found[1]
    assert wired.colour == 4 and wired.box == (10, 10, 18, 38)
    assert found[2].centre == (40, 40)
    parts = thick_parts(wired, grid.shape)
    assert sorted(p.centre for p in parts) == [(14, 14), (34, 14)]


def test_watch_mode_offers_the_explorer_and_its_panel_shows_the_graph(tmp_path):
    from test_app_helpers import make_app, ticks

    app = make_app(tmp_path, "watch", game="lamp", agent="explorer", record=False)
    ticks(app, 12)
    assert app.last_header[2] == "agent: explorer"
    assert app.mode.steps > 0
    (section,) = [s for s in app.mode.panel() if s.title == "Agent: explorer"]
    assert any(line.startswith("graph: ") for line in section.lines)
    app.quit()
    app.tick()


def test_a_reset_is_a_shortcut_to_the_level_start_and_the_plan_is_then_walked():
    game = open_game("gems")
    agent = ExplorerAgent()
    view = FramesOnly(game)
    agent.reset(view)
    level_start = {0: game.frame.copy()}
    plan, walked = None, []
    for _ in range(300):
        choice = agent.act(view)
        if plan is not None:
            walked.append(choice)
            if len(walked) == len(plan) - 1:
                break
        elif agent.decision.reason == "reset":
            plan = agent.decision.path
            assert choice.action == 0 and plan[0] == choice
            levels = game.info["levels_completed"]
        step = game.step(choice.action, choice.xy)
        level_start.setdefault(step.info["levels_completed"], step.frame.copy())
        if plan is not None and not walked:
            np.testing.assert_array_equal(step.frame, level_start[levels])  # back at the level's start
    assert plan is not None, "no reset was planned"
    assert walked == plan[1:]  # the known moves from the start, then the untried branch


def test_insight_names_the_branch_the_graph_and_the_click_candidates_of_the_frame():
    game = open_game("tile")
    agent = ExplorerAgent()
    view = FramesOnly(game)
    agent.reset(view)
    assert agent.insight() is None  # no decision yet
    seen = []
    for _ in range(6):
        choice = agent.act(view)
        insight = agent.insight()
        seen.append(insight)
        assert insight.chosen == choice and insight.graph_size == agent.n_states
        assert insight.branch.startswith(agent.decision.reason)
        assert insight.clicks and all(0 <= x < 64 and 0 <= y < 64 for x, y in insight.clicks)
        assert choice.xy is None or choice.xy in insight.clicks
        game.step(choice.action, choice.xy)
    assert len({id(i) for i in seen}) == len(seen)  # a new one per decision: the window may hold the last one
    assert seen[-1].graph_size > seen[0].graph_size
    game.close()
