"""Play a game with an agent for N episodes and score it as the ARC-AGI-3 scorecard does (`aria eval agent`).

`play_episode` is the one place an episode is played here, so it can move onto the session runner later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aria_desktop.agents import Agent, Choice, make_agent
from aria_desktop.errors import AriaError
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.catalog import open_game
from aria_desktop.games.game import Game
from trainers.arc_scorecard import GameScore, StepRecord, plays_from_steps, score_game, total_score

RESET = Choice(0)


@dataclass
class Episode:
    seed: int
    steps: list[StepRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def levels_completed(self) -> int:
        return max((s.levels_completed for s in self.steps), default=0)

    @property
    def outcome(self) -> str:
        return self.steps[-1].state if self.steps else "NOT_PLAYED"


@dataclass
class GameResult:
    game: str
    agent: str
    levels: int
    baseline: tuple[int, ...]
    episodes: list[Episode]
    score: GameScore

    def to_dict(self) -> dict:
        best = self.score.best
        return {
            "game": self.game,
            "levels": self.levels,
            "levels_completed": self.score.levels_completed,
            "actions": self.score.actions,
            "score": self.score.score,
            "baseline_actions": list(self.baseline),
            "best_play": {"level_actions": best.level_actions, "level_scores": best.level_scores} if best else None,
            "episodes": [
                {"seed": e.seed, "levels_completed": e.levels_completed, "actions": len(e.steps),
                 "outcome": e.outcome, "seconds": round(e.seconds, 3)}
                for e in self.episodes
            ],
        }


@dataclass
class EvalResult:
    agent: str
    max_actions: int
    games: list[GameResult]

    @property
    def score(self) -> float:
        return total_score(g.score for g in self.games)

    def to_dict(self) -> dict:
        return {"agent": self.agent, "max_actions": self.max_actions, "score": self.score,
                "games": [g.to_dict() for g in self.games]}


def play_episode(game: Game, agent: Agent, seed: int, max_actions: int,
                 on_step: Callable[[], None] | None = None) -> Episode:
    """Reset the game with `seed` and let the agent act until it wins or has spent `max_actions` (RESETs count).
    A game that is over accepts only RESET: an agent asking for anything else gets a RESET played for it, as
    the toolkit's own agents reset on GAME_OVER."""
    game.reset(seed)
    agent.reset(game)
    episode = Episode(seed)
    start = time.perf_counter()
    for _ in range(max_actions):
        over = game.info.get("state") == "GAME_OVER"
        choice = agent.act(game)
        if over and choice.action != 0:
            choice = RESET
        step = game.step(choice.action, choice.xy)
        info = step.info
        episode.steps.append(StepRecord(choice.action, int(info.get("levels_completed", 0)), str(info.get("state", "")),
                                        bool(info.get("full_reset", False))))
        if on_step:
            on_step()
        if info.get("state") == "WIN":
            break
    episode.seconds = time.perf_counter() - start
    return episode


def evaluate_game(game_id: str, agent_name: str, episodes: int, max_actions: int, seed: int = 0,
                  env_dir: Path | str | None = None, on_step: Callable[[], None] | None = None,
                  checkpoint: Path | str | None = None) -> GameResult:
    """N episodes (seeds seed, seed+1, ...) by one agent, which keeps what it learned between them (the best
    play counts, as on the toolkit's scorecard). `checkpoint`: the world-model agent's model."""
    game = open_game(game_id, env_dir, seed=seed)
    try:
        if not isinstance(game, ArcGame):
            raise AriaError(f"'{game_id}' has no levels to score; aria eval agent plays ARC-style games (aria games).")
        agent = make_agent(agent_name, game, seed=seed, checkpoint=checkpoint)
        played = [play_episode(game, agent, seed + i, max_actions, on_step) for i in range(episodes)]
    finally:
        game.close()
    baseline = game.meta.baseline_actions
    plays = [p for e in played for p in plays_from_steps(e.steps)]
    return GameResult(game.meta.game_id, agent_name, game.levels or 0, baseline, played, score_game(plays, baseline))
