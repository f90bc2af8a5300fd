"""The ARC-AGI-3 score, computed as the toolkit's scorecard computes it (arc_agi/scorecard.py: Card,
Scorecard.update_scorecard, EnvironmentScoreCalculator, EnvironmentScorecard.from_scorecard). Pure functions.

- A play runs from a full reset to the next one. Every action counts, and so does a RESET that restarts only
  the level; a RESET that restarts the whole game (the engine's full_reset) starts a new play.
- Whenever levels_completed changes, the play notes (levels_completed, actions so far): level k took the
  actions between the (k-1)-th and the k-th note.
- A completed level scores min(100·(h/a)², 115), h its baseline actions (metadata.json), a the play's actions
  on it; a level not completed scores 0 (in the issue's words min((h/a)², 1.15): the toolkit's scale is percent).
- A play scores Σ k·s_k / Σ k over levels k = 1..n of the game, capped at 100·Σ_{k: s_k>0} k / Σ k (the
  level-weighted share of levels done). More notes than levels, or no baseline, scores 0 (the toolkit's
  "baseline size mismatch").
- A game scores its best play; the total is the mean over games.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

LEVEL_CAP = 115.0


@dataclass(frozen=True)
class StepRecord:
    """What one action reported: enough to keep the toolkit's score."""

    action: int  # 0 = RESET, 1..7 the game's actions
    levels_completed: int
    state: str  # "NOT_FINISHED", "WIN", "GAME_OVER", ...
    full_reset: bool = False  # a RESET that restarted the whole game


@dataclass
class Play:
    """One play of a game (the toolkit's per-play entry of a Card)."""

    actions: int = 0
    resets: int = 0
    levels_completed: int = 0
    state: str = "NOT_FINISHED"
    level_marks: list[tuple[int, int]] = field(default_factory=list)  # (levels_completed, actions so far)


@dataclass(frozen=True)
class PlayScore:
    score: float
    levels_completed: int
    actions: int
    level_actions: list[int]
    level_scores: list[float]
    won: bool


@dataclass(frozen=True)
class GameScore:
    score: float  # the best play's
    levels_completed: int  # the most any play completed
    actions: int  # over all plays
    best: PlayScore | None
    plays: list[PlayScore]


def plays_from_steps(steps: Iterable[StepRecord]) -> list[Play]:
    """Split an episode's steps into plays; the episode itself starts with a full reset, hence with a play."""
    plays = [Play()]
    for step in steps:
        play = plays[-1]
        if step.action == 0:
            if step.full_reset:
                plays.append(play := Play())
            else:
                play.resets += 1
                play.actions += 1
        else:
            play.actions += 1
        if step.state in ("GAME_OVER", "WIN"):  # the toolkit keeps these until a new play
            play.state = step.state
        if step.levels_completed != play.levels_completed:
            play.level_marks.append((step.levels_completed, play.actions))
        play.levels_completed = step.levels_completed
    return plays


def level_score(baseline: int, actions: int) -> float:
    """A completed level's score in percent."""
    return min(100.0 * (baseline / actions) ** 2, LEVEL_CAP) if actions > 0 else 0.0


def score_play(play: Play, baseline: Sequence[int]) -> PlayScore:
    won = play.state == "WIN"
    if not baseline or len(baseline) < len(play.level_marks):
        return PlayScore(0.0, play.levels_completed, play.actions, [], [], won)
    level_actions: list[int] = []
    level_scores: list[float] = []
    previous = 0
    for k, h in enumerate(baseline):
        if k < len(play.level_marks):
            taken = play.level_marks[k][1] - previous
            previous = play.level_marks[k][1]
            level_scores.append(level_score(h, taken))
        else:  # not reached: the rest of the play's actions go to it; it scores only if the game was won anyway
            taken = play.actions - previous
            previous = play.actions
            level_scores.append(level_score(h, taken) if won else 0.0)
        level_actions.append(taken)
    weights = range(1, len(baseline) + 1)
    total = sum(weights)
    score = sum(k * s for k, s in zip(weights, level_scores, strict=True)) / total
    done = sum(k for k, s in zip(weights, level_scores, strict=True) if s > 0)
    return PlayScore(min(score, 100.0 * done / total), play.levels_completed, play.actions, level_actions,
                     level_scores, won)


def score_game(plays: Sequence[Play], baseline: Sequence[int]) -> GameScore:
    """The best of several plays counts (and the most levels any of them completed)."""
    scored = [score_play(p, baseline) for p in plays]
    if not scored:
        return GameScore(0.0, 0, 0, None, [])
    best = max(scored, key=lambda s: s.score)
    return GameScore(best.score, max(s.levels_completed for s in scored), sum(s.actions for s in scored), best, scored)


def total_score(games: Iterable[GameScore]) -> float:
    """The scorecard's total: the mean of the games' scores."""
    scores = [g.score for g in games]
    return sum(scores) / len(scores) if scores else 0.0
