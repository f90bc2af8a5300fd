"""The expert agent for built-in games: follows the solver's shortest plan, replanning when play leaves it."""

from __future__ import annotations

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.agents.random_agent import RandomAgent
from aria_desktop.agents.solver import PlannedStep, SolverConfig, frame_hash, solve_level
from aria_desktop.errors import AriaError
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.game import Game

# Plans by (game, state): a state is its frame (the solver's own assumption), so later episodes and other
# agents of the same game reuse a search instead of repeating it. Bounded: a long session stays small.
_PLANS: dict[tuple[str, bytes, int, int], list[PlannedStep]] = {}  # (game folder, frame, level, score)
_MAX_PLANS = 512


def _plan_for(game: ArcGame, config: SolverConfig) -> list[PlannedStep] | None:
    key = (str(game.meta.local_dir), frame_hash(game.frame), int(game.info["level_index"]), int(game.info["levels_completed"]))
    if key not in _PLANS:
        plan = solve_level(game, config)
        if plan is None:
            return None
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = plan
    return list(_PLANS[key])


class SolverAgent(Agent):
    name = "scripted"

    def __init__(self, config: SolverConfig | None = None, seed: int | None = None) -> None:
        self.config = config or SolverConfig()
        self.fallback = RandomAgent(seed)  # when a level has no plan within the search budget
        self.plan: list[PlannedStep] = []
        self.planned = 0  # the length of the plan being followed
        self.expected: bytes | None = None  # the frame hash the last step should have produced
        self.status = "no plan yet"

    def reset(self, game: Game) -> None:
        self.plan, self.planned, self.expected, self.status = [], 0, None, "new episode"

    def act(self, game: Game) -> Choice:
        if not isinstance(game, ArcGame):
            raise AriaError(f"The solver agent plays arcengine games, not '{game.id}'; use --agent random.")
        off_plan = self.expected is not None and frame_hash(game.frame) != self.expected
        if not self.plan or off_plan:
            plan = _plan_for(game, self.config)
            info = game.info
            level = f"level {int(info['levels_completed']) + 1} of {info.get('win_levels') or game.levels}"
            if plan is None:
                self.plan, self.planned, self.expected = [], 0, None
                self.status = f"{level}: no plan found, moving at random"
                return self.fallback.act(game)
            self.plan, self.planned = list(plan), len(plan)
            self.status = f"{level}: following the solver's plan" + (" (replanned)" if off_plan else "")
        step = self.plan.pop(0)
        self.expected = step.frame_hash
        return step.choice

    def report(self) -> list[str]:
        upcoming = " ".join(_short(s.choice) for s in self.plan[:8])
        more = " ..." if len(self.plan) > 8 else ""
        left = [f"{len(self.plan)} of {self.planned} planned steps left"] if self.planned else []
        return [self.status, *left, f"next: {upcoming}{more}" if upcoming else ""]


def _short(choice: Choice) -> str:
    names = {1: "U", 2: "D", 3: "L", 4: "R", 5: "SP", 7: "UNDO"}
    if choice.xy is not None:
        return f"click{choice.xy}"
    return names.get(choice.action, f"A{choice.action}")
