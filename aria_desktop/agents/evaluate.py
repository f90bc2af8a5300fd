"""Play a game with an agent for N episodes and score it as the ARC-AGI-3 scorecard does (`aria eval agent`).

An episode here is one play-through of the session runner (aria_desktop/session), GAME_OVERs and level resets
included, by one agent that keeps what it learned across episodes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aria_desktop.errors import AriaError
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.catalog import open_game
from aria_desktop.session import AGENT, EpisodeRunner
from trainers.arc_scorecard import GameScore, StepRecord, plays_from_steps, score_game, total_score


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


def play_episode(runner: EpisodeRunner, max_actions: int, on_step: Callable[[], None] | None = None) -> Episode:
    """The runner's play-through in progress, played by its agent until it wins or has spent `max_actions`
    (RESETs count). After a GAME_OVER the runner shows the agent the frame and plays the level RESET (a game
    that is over accepts only RESET, as the toolkit's own agents know): one more action on the scorecard."""
    episode = Episode(runner.episode.seed)
    start = time.perf_counter()
    while len(episode.steps) < max_actions:
        if runner.episode.done and not runner.continues_playthrough():
            break  # a WIN
        if runner.episode.done:
            runner.next_episode()
            action, info = 0, runner.game.info
        else:
            result = runner.agent_step()
            action, info = result.action, result.step.info
        episode.steps.append(StepRecord(action, int(info.get("levels_completed", 0)), str(info.get("state", "")),
                                        bool(info.get("full_reset", False))))
        if on_step:
            on_step()
    episode.seconds = time.perf_counter() - start
    return episode


def evaluate_game(game_id: str, agent_name: str, episodes: int, max_actions: int, seed: int = 0,
                  env_dir: Path | str | None = None, on_step: Callable[[], None] | None = None,
                  checkpoint: Path | str | None = None) -> GameResult:
    """N episodes (play-throughs from seeds seed, seed+1, ...) by one agent, which keeps what it learned between
    them (the best play counts, as on the toolkit's scorecard). `checkpoint`: the world-model agent's model."""
    game = open_game(game_id, env_dir, seed=seed)
    try:
        if not isinstance(game, ArcGame):
            raise AriaError(f"'{game_id}' has no levels to score; aria eval agent plays ARC-style games (aria games).")
        runner = EpisodeRunner(game, seed, agent_name, controller=AGENT, keep_agent=True, checkpoint=checkpoint)
        played = []
        for i in range(episodes):
            if i:
                runner.restart()  # the next seed; the agent keeps what it learned
            played.append(play_episode(runner, max_actions, on_step))
        runner.close()
    finally:
        game.close()
    baseline = game.meta.baseline_actions
    plays = [p for e in played for p in plays_from_steps(e.steps)]
    return GameResult(game.meta.game_id, agent_name, game.levels or 0, baseline, played, score_game(plays, baseline))
