"""The breadth-first solver and the expert agent built on it, on a game the test writes."""

from __future__ import annotations

from aria_desktop.agents import make_agent
from aria_desktop.agents.solver import (
    SolverConfig,
    candidate_actions,
    solve_game,
    solve_level,
)
from aria_desktop.agents.solver_agent import SolverAgent
from aria_desktop.games.catalog import open_game


def test_solver_finds_shortest_plans_and_avoids_game_over(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    assert sorted(c.action for c in candidate_actions(game.engine)) == [1, 2, 3, 4, 5]
    plans = solve_game(game)
    assert [len(p) for p in plans] == [3, 2]  # level 2: right of the start is lava, so down twice
    assert [[s.choice.action for s in p] for p in plans] == [[4, 4, 4], [2, 2]]
    assert game.info["state"] == "WIN"


def test_solver_gives_up_within_its_budget(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    assert solve_level(game, SolverConfig(max_states=2)) is None


def test_expert_agent_replans_after_a_person_plays(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    agent = SolverAgent()
    agent.reset(game)
    first = agent.act(game)
    game.step(first.action, first.xy)
    game.step(2)  # a person takes over and moves down: off the plan
    game.step(2)
    choice = agent.act(game)
    assert "replanned" in agent.status and agent.status.startswith("level 1 of 2")
    assert "3 of 4 planned steps left" in agent.report()  # from (1, 2) to the goal at (3, 0), one step taken
    game.step(choice.action, choice.xy)
    steps = 1
    while game.info["state"] != "WIN" and steps < 20:
        choice = agent.act(game)
        game.step(choice.action, choice.xy)
        steps += 1
    assert game.info["state"] == "WIN"
    assert steps == 4 + 2  # the rest of level 1, then level 2's two steps


def test_make_agent_scripted_is_the_solver_for_builtin_games():
    game = open_game("maze")
    assert isinstance(make_agent("scripted", game), SolverAgent)


def test_expert_agent_reuses_plans_across_episodes(arc_env_dir, monkeypatch):
    import aria_desktop.agents.solver_agent as solver_agent

    searches = []
    real = solver_agent.solve_level
    monkeypatch.setattr(solver_agent, "solve_level", lambda game, cfg: searches.append(1) or real(game, cfg))
    game = open_game("toyw", arc_env_dir)
    agent = SolverAgent()
    for episode in range(2):
        game.reset(episode)
        agent.reset(game)
        while game.info["state"] != "WIN":
            choice = agent.act(game)
            game.step(choice.action, choice.xy)
    assert len(searches) == 2  # one search per level, in the first episode only
