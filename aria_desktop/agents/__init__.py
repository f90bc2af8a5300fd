"""Agents, by name: `random`, `scripted` (the Breakout tracker or a built-in game's solver), `explorer`
(graph exploration from frames alone, for any ARC-style game) and `world-model` (seed 001's agent on a trained
ARC game transformer)."""

from __future__ import annotations

from pathlib import Path

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Game, GameKind

AGENT_NAMES = ("random", "explorer", "world-model", "scripted")

__all__ = ["AGENT_NAMES", "Agent", "Choice", "agents_for", "make_agent"]

# The kinds of game an agent plays; an agent not listed plays the ARC-style ones (grid frames, levels).
_PLAYS = {"random": set(GameKind), "scripted": {GameKind.ATARI, GameKind.BUILTIN}}
_ARC_STYLE = {GameKind.BUILTIN, GameKind.ARC}


def agents_for(kind: GameKind) -> list[str]:
    """The agents that play games of this kind, in AGENT_NAMES order (what the app offers; make_agent may still
    say why one cannot play now, e.g. a model not trained yet)."""
    return [name for name in AGENT_NAMES if kind in _PLAYS.get(name, _ARC_STYLE)]


def make_agent(name: str, game: Game, seed: int | None = None, checkpoint: Path | str | None = None) -> Agent:
    """The agent called `name` for `game`, or one clear sentence saying why there is none. `checkpoint`: the
    world-model agent's arc-world-model run or checkpoint (default: the newest under the runs folder)."""
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
    if name == "explorer":
        if game.kind is GameKind.ATARI:
            raise AriaError(f"The explorer plays ARC-style games (grid frames), not '{game.id}'; use --agent scripted.")
        from aria_desktop.agents.explorer import ExplorerAgent, ExplorerConfig

        return ExplorerAgent(ExplorerConfig(seed=seed or 0))
    if name == "world-model":
        if game.kind is GameKind.ATARI:
            raise AriaError(f"The world-model agent plays ARC-style games (grid frames), not '{game.id}'; "
                            "use --agent scripted.")
        from aria_desktop.agents.world_model_agent import load_world_model_agent

        return load_world_model_agent(game, checkpoint, seed)
    raise AriaError(f"Unknown agent '{name}'; choose one of: {', '.join(AGENT_NAMES)}.")
