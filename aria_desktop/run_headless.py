"""`aria run`: an agent plays a game headless for N steps; the summary says how it went."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aria_desktop.agents import make_agent
from aria_desktop.games.catalog import open_game


@dataclass
class EpisodeResult:
    steps: int = 0
    score: float = 0.0
    levels_completed: int = 0
    outcome: str = "running"  # WIN, GAME_OVER, truncated, or running when the step budget ran out


@dataclass
class RunSummary:
    game: str
    agent: str
    seed: int
    steps: int = 0
    frames: int = 0  # ARC steps can animate: more frames than steps
    seconds: float = 0.0
    episodes: list[EpisodeResult] = field(default_factory=list)


def run_agent(game_id: str, agent_name: str, steps: int, seed: int = 0, env_dir: str | None = None) -> RunSummary:
    """Play `steps` steps, starting a new episode (seed + episode number) whenever one ends."""
    game = open_game(game_id, env_dir, seed=seed)  # already reset with `seed`
    agent = make_agent(agent_name, game, seed=seed)
    summary = RunSummary(game.id, agent_name, seed)
    agent.reset(game)
    episode = EpisodeResult()
    start = time.perf_counter()
    for _ in range(steps):
        choice = agent.act(game)
        step = game.step(choice.action, choice.xy)
        summary.steps += 1
        summary.frames += len(step.frames)
        episode.steps += 1
        episode.score = float(step.info.get("score", episode.score + step.reward))
        episode.levels_completed = int(step.info.get("levels_completed", 0))
        if step.terminated or step.truncated:
            episode.outcome = "truncated" if step.truncated else str(step.info.get("state", "ended"))
            summary.episodes.append(episode)
            episode = EpisodeResult()
            game.reset(seed + len(summary.episodes))
            agent.reset(game)
    if episode.steps:
        summary.episodes.append(episode)
    summary.seconds = time.perf_counter() - start
    game.close()
    return summary
