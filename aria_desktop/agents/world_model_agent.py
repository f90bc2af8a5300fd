"""The world-model agent (seed 001): one game transformer gives surprise, goal inference and a learned policy;
the explorer agent (graph exploration) acts where the model knows too little.

It sees only what a person sees: the frame, the actions on offer and the levels completed. Each frame goes
through the frozen VQ-VAE into the token context (models/arc_agent_scoring.py); its surprise is the model's
mean NLL of the frame's codes, judged against the running average. The candidates are the actions on offer
and, for ACTION6, the explorer's click candidates (one per segment of the frame). All are scored in one batched
pass, and a rule for games the model may barely know chooses:
- goal: a candidate whose probability of completing the level is high (at least `goal_threshold`) and clearly
  above the rest (`goal_ratio` × the mean) is played, once per frame (seed 001's rule);
- policy: on a game the model was trained on, where the learned policy is confident (its best candidate at least
  `policy_confidence`) and the frame is not surprising, the policy is sampled;
- explore: otherwise the explorer's systematic exploration chooses; a frame far more surprising than usual
  (`surprise_ratio` × the average) hands it control for `explore_steps` actions even on a known game.
The explorer observes every frame and every choice, the model's included, so its graph of the game stays whole.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from aria_desktop.agents.agent import Agent, Choice, Insight
from aria_desktop.agents.explorer import ExplorerAgent, ExplorerConfig
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Action, Game
from aria_desktop.session.model_worker import model_cores
from models.arc_agent_scoring import Candidate, ContextScorer, SurpriseTracker, inference_threads, torch_threads
from models.arc_game_transformer import CLICK, ArcGameTransformer
from models.arc_vqvae import ArcVQVAE

RESET = Choice(0)
TRAIN_COMMAND = (
    "aria train arc-world-model --data RECORDINGS --vqvae VQVAE_RUN (after `aria train arc-vqvae --data RECORDINGS`)"
)


@dataclass(frozen=True)
class WorldModelAgentConfig:
    goal_threshold: float = 0.5  # a candidate at least this likely to complete the level ...
    goal_ratio: float = 2.0  # ... and this many times the candidates' mean is played (seed 001's rule)
    policy_confidence: float = 0.5  # on a game it was trained on, the policy acts when its best candidate is this sure
    surprise_ratio: float = 2.0  # a frame this many times the running average surprise: explore
    surprise_decay: float = 0.9  # the running average's memory
    explore_steps: int = 8  # actions the explorer takes once surprise hands it control
    max_clicks: int = 32  # click candidates scored per frame (the explorer's, best tier first)
    temperature: float = 1.0  # sampling the policy (0: its most likely candidate)
    threads: int = 0  # CPU threads for the model's passes (0: inference_threads, one for a small model)
    seed: int = 0


def _base_id(game_id: str) -> str:
    """An ARC-AGI-3 game's id without its version ("ls20-fa137e247ce6" -> "ls20")."""
    return game_id.split("-")[0]


class WorldModelAgent(Agent):
    name = "world-model"

    def __init__(self, model: ArcGameTransformer, vqvae: ArcVQVAE, config: WorldModelAgentConfig | None = None,
                 trained_games: tuple[str, ...] = ()) -> None:
        self.cfg = config or WorldModelAgentConfig()
        self.model, self.vqvae = model.eval(), vqvae.eval()
        self.vocab = model.vocab
        # the machine's cores, not the window thread's one (session/model_worker.py): act() runs on the agent's worker
        self.threads = self.cfg.threads or inference_threads(model, model_cores())
        self.scorer = ContextScorer(model)
        self.surprise = SurpriseTracker(self.cfg.surprise_decay)
        self.explorer = ExplorerAgent(ExplorerConfig(seed=self.cfg.seed))
        self.rng = random.Random(self.cfg.seed)
        self.trained_games = trained_games
        self.game_id = ""
        self.checkpoint: Path | None = None  # where the model came from (the header names it)
        self.watcher = None  # a trainers.models_registry.CheckpointWatcher: hot reload of a better checkpoint
        self._start()

    def _start(self) -> None:
        self.scorer.reset()
        self.surprise.reset()
        self._levels: int | None = None  # levels completed when the last action was chosen
        self._explore_left = 0
        self._insight: Insight | None = None
        self._last: tuple[int, Choice] | None = None  # (frame hash, choice) of the last decision
        self._no_effect: set[tuple[int, Choice]] = set()  # choices that left this frame as it was
        self._goal_tried: set[tuple[int, Choice]] = set()  # goal choices already played from this frame
        self._pending: list[int] = []  # tokens known but not yet read: they go into the next frame's one pass

    @property
    def knows_game(self) -> bool:
        """Whether the model was trained on recordings of this game (its policy means something here)."""
        return _base_id(self.game_id) in {_base_id(g) for g in self.trained_games}

    # -- the Agent interface -----------------------------------------------------------------------------
    def reset(self, game: Game) -> None:
        """A new episode (or control handed back): the context starts afresh; the explorer keeps its graph."""
        self.game_id = game.id
        self._start()
        self._pending = [self.vocab.game_start]
        self.explorer.reset(game)

    def act(self, game: Game) -> Choice:
        with torch_threads(self.threads):
            return self._act(game)

    def _act(self, game: Game) -> Choice:
        self._reload_if_better()
        if not self.scorer.tokens and not self._pending:
            self.reset(game)
        self.explorer.observe(game)  # every frame and every choice, whoever made it, joins the explorer's graph
        info = game.info
        levels = int(info.get("levels_completed", 0))
        frame = np.asarray(game.frame, dtype=np.uint8)
        surprise = self._observe(frame, levels)
        self._levels = levels
        if str(info.get("state", "")) in ("GAME_OVER", "WIN"):  # a finished game accepts only RESET
            self._explore_left = 0
            return self._take(RESET, Insight("reset", surprise, chosen=RESET))
        here = hash(frame.tobytes())
        if self._last is not None and self._last[0] == here and surprise is not None:
            self._no_effect.add(self._last)  # the same frame again: that choice does nothing here
        candidates, labels = self._candidates(game.actions)
        scores = self.scorer.score(candidates)
        level, policy = scores.level.numpy(), scores.policy.numpy()
        # A choice that changed nothing in this very frame would change nothing again: the others go first.
        useful = np.array([(here, _choice(c)) not in self._no_effect for c in candidates], bool)
        if useful.any():
            level, policy = np.where(useful, level, 0.0), np.where(useful, np.maximum(policy, 1e-12), 0.0)
            policy = policy / policy.sum()
        # A goal candidate that did not complete the level from this frame is not a goal here any more.
        fresh = np.array([(here, _choice(c)) not in self._goal_tried for c in candidates], bool)
        goal_level = np.where(fresh, level, 0.0)
        best = int(goal_level.argmax()) if len(level) else -1
        goal = best >= 0 and goal_level[best] >= self.cfg.goal_threshold and (
            len(level) == 1 or goal_level[best] >= self.cfg.goal_ratio * level.mean())
        surprised = self.surprise.ratio >= self.cfg.surprise_ratio
        if surprised and not goal and self._explore_left == 0:
            self._explore_left = self.cfg.explore_steps  # the model does not know this state: the explorer acts
        confident = self.knows_game and len(policy) > 0 and float(policy.max()) >= self.cfg.policy_confidence
        if goal:
            self._explore_left = 0
            self._goal_tried.add((here, _choice(candidates[best])))
            branch, choice = "goal", _choice(candidates[best])
        elif self._explore_left == 0 and confident:
            branch, choice = "policy", _choice(candidates[self._sample(policy)])
        else:
            reason = ("surprise" if self._explore_left > 0 else "policy unsure" if self.knows_game
                      else "new game")
            self._explore_left = max(0, self._explore_left - 1)
            choice = self.explorer.act(game)
            explored = self.explorer.insight()
            branch = f"explore ({reason}): {explored.branch if explored else ''}"
        if not branch.startswith("explore"):
            self.explorer.played(choice)  # the explorer's own choices it records itself
        self._last = (here, choice)
        insight = Insight(branch, surprise, {label: float(p) for label, p in zip(labels, scores.level, strict=True)},
                          [c.xy for c in candidates if c.xy is not None], self.explorer.n_states or None, choice)
        return self._take(choice, insight)

    @property
    def model_label(self) -> str:
        """The checkpoint in use, as the header names it: its run and step."""
        if self.checkpoint is None:
            return ""
        run = self.checkpoint.parent.parent if self.checkpoint.parent.name == "checkpoints" else self.checkpoint
        return f"{run.name} {self.checkpoint.name}"

    def _reload_if_better(self) -> None:
        """Hot reload, between two decisions (on the agent's worker thread): when a run has written a better
        checkpoint of this world model, it takes over and reads the episode's context so far; the episode goes on."""
        if self.watcher is None or not self.watcher.due():
            return
        path = self.watcher.poll()
        if path is None:
            return
        model, vqvae, self.trained_games = _load(str(path))
        self.model, self.vqvae, self.vocab, self.checkpoint = model.eval(), vqvae.eval(), model.vocab, path
        tokens, self.scorer = self.scorer.tokens, ContextScorer(self.model)
        self.scorer.extend(tokens)

    def insight(self) -> Insight | None:
        return self._insight

    def report(self) -> list[str]:
        i = self._insight
        if i is None:
            return []
        lines = [f"branch: {i.branch}"]
        if i.surprise is not None and self.surprise.average is not None:
            lines.append(f"surprise {i.surprise:.2f} (average {self.surprise.average:.2f})")
        top = sorted(i.goal.items(), key=lambda kv: -kv[1])[:3]
        lines += [f"P(level) {p:.2f}  {label}" for label, p in top]
        if self.trained_games and self.game_id and not self.knows_game:
            lines.append(f"{self.game_id} is new to this model (trained on {', '.join(self.trained_games)}): "
                         "the explorer acts unless a move is a confident goal")
        return lines

    # -- steps ---------------------------------------------------------------------------------------------
    def _observe(self, frame: np.ndarray, levels: int) -> float | None:
        """Read the last action's tokens, <LEVEL_COMPLETE> if it completed a level, the new frame and <ACT> into
        the context in one pass; the frame's surprise, or None for the episode's first frame."""
        from trainers.arc_data import encode_grids

        codes = encode_grids(self.vqvae, frame[None])[0]
        completed = self._levels is not None and levels > self._levels
        tokens = self._pending + [self.vocab.level_complete] * completed + self.vocab.frame_tokens(codes)
        logp = self.scorer.extend([*tokens, self.vocab.act])
        self._pending = []
        if self._levels is None:
            return None
        nll = float(-logp[-1 - codes.size : -1].mean())
        self.surprise.update(nll)
        return nll

    def _candidates(self, actions: list[Action]) -> tuple[list[Candidate], list[str]]:
        candidates, labels = [], []
        for a in actions:
            if a.resets or a.index >= self.vocab.n_actions:
                continue
            if a.needs_xy:
                for x, y in self.explorer.clicks_here()[: self.cfg.max_clicks]:
                    candidates.append(Candidate(CLICK, (x, y)))
                    labels.append(f"click {x},{y}")
            else:
                candidates.append(Candidate(a.index))
                labels.append(a.label.upper() if a.label else a.name)
        return candidates, labels

    def _sample(self, policy: np.ndarray) -> int:
        if self.cfg.temperature <= 0:
            return int(policy.argmax())
        weights = np.where(policy > 0, np.power(np.maximum(policy, 1e-12), 1.0 / self.cfg.temperature), 0.0)
        if weights.sum() <= 0:
            return int(policy.argmax())
        return self.rng.choices(range(len(policy)), weights=weights.tolist())[0]

    def _take(self, choice: Choice, insight: Insight) -> Choice:
        """The chosen action's tokens follow the context's <ACT>: they are read with the next frame."""
        self._pending = [self.vocab.action0 + choice.action]
        if choice.action == CLICK and choice.xy is not None:
            self._pending += [self.vocab.x0 + int(choice.xy[0]), self.vocab.y0 + int(choice.xy[1])]
        self._insight = insight
        return choice


def _choice(c: Candidate) -> Choice:
    return Choice(c.action, c.xy)


# -- loading ---------------------------------------------------------------------------------------------------
def no_model_sentence(folder: Path) -> str:
    return f"No trained world model was found under {folder}; train one with `{TRAIN_COMMAND}`."


def load_world_model_agent(game: Game, checkpoint: Path | str | None = None, seed: int | None = None,
                           config: WorldModelAgentConfig | None = None) -> WorldModelAgent:
    """The agent on `checkpoint` (default: the active world model, `aria models use`, else the newest finished one
    under the runs folder); every problem with the checkpoint is one AriaError sentence."""
    from aria_desktop.paths import ACTIVE_MODELS, DEFAULT_RUNS
    from trainers.arc_wm_train import KIND
    from trainers.checkpoint import resolve_checkpoint
    from trainers.models_registry import CheckpointWatcher, active_checkpoint

    path = Path(checkpoint).expanduser() if checkpoint is not None else active_checkpoint(KIND, DEFAULT_RUNS,
                                                                                          ACTIVE_MODELS)[1]
    if path is None:
        raise AriaError(no_model_sentence(DEFAULT_RUNS))
    model, vqvae, games = _load(str(path.resolve()))
    for a in game.actions:
        if not a.resets and a.index >= model.vocab.n_actions:
            raise AriaError(
                f"{game.id} offers action {a.name}, which the world model at {path} has no token for (it knows "
                f"actions 0..{model.vocab.n_actions - 1}); train one on recordings of games with these actions."
            )
    if any(a.needs_xy for a in game.actions) and max(np.shape(game.frame)) > model.vocab.n_xy:
        raise AriaError(f"{game.id}'s frame is larger than the {model.vocab.n_xy}×{model.vocab.n_xy} clicks the world "
                        f"model at {path} can express; use the explorer agent for it.")
    cfg = config or WorldModelAgentConfig(seed=seed or 0)
    agent = WorldModelAgent(model, vqvae, cfg, games)
    agent.checkpoint = Path(resolve_checkpoint(path)).resolve()
    agent.watcher = CheckpointWatcher(KIND, agent.checkpoint, roots=[agent.checkpoint.parent.parent, DEFAULT_RUNS])
    return agent


@lru_cache(maxsize=2)  # Watch mode makes an agent per episode: load a checkpoint once
def _load(path: str) -> tuple[ArcGameTransformer, ArcVQVAE, tuple[str, ...]]:
    from trainers.arc_wm_train import load_arc_agent_models
    from trainers.errors import TrainerError

    try:
        model, ckpt, vqvae, _ = load_arc_agent_models(path)
    except TrainerError as e:
        raise AriaError(str(e)) from None
    return model, vqvae, tuple(ckpt.config.get("games", ()))
