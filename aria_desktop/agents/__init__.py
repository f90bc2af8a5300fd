"""Agents, by name: `random`, and `scripted` (the Breakout tracker or a built-in game's solver)."""

from __future__ import annotations

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Game, GameKind

AGENT_NAMES = ("random", "scripted")

__all__ = ["AGENT_NAMES", "Agent", "Choice", "make_agent"]


def make_agent(name: str, game: Game, seed: int | None = None) -> Agent:
    """The agent called `name` for `game`, or one clear sentence saying why there is none."""
    if name == "random":
        from aria_desktop.agents.random_agent import RandomAgent

        return RandomAgent(seed)
    if name == "scripted":
        if game.kind is GameKind.ATARI:
            from aria_desktop.agents.breakout_agent import BreakoutAgent, BreakoutAgentConfig

            return BreakoutAgent(BreakoutAgentConfig(seed=seed or 0))
        if game.kind is GameKind.BUILTIN:
            from aria_desktop.agents.solver_agent import SolverAgent

            return SolverAgent(seed=seed)
        raise AriaError(
            f"Game '{game.id}' has no scripted agent (only Breakout and the built-in games do); use --agent random."
        )
    raise AriaError(f"Unknown agent '{name}'; choose one of: {', '.join(AGENT_NAMES)}.")
