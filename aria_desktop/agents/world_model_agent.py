"""The world-model agent (seed 001): one game transformer gives surprise, goal inference and a learned policy.

It sees only what a person sees: the frame, the actions on offer and the levels completed. Each frame goes
through the frozen VQ-VAE into the token context (models/arc_agent_scoring.py); its surprise is the model's
mean NLL of the frame's codes, judged against the running average. The candidates are the actions on offer
and, for ACTION6, one click per segment of the frame (the explorer's segmentation). All are scored in one
batched pass, and the seed's rule chooses:
- goal: a candidate whose probability of completing the level is high (at least `goal_threshold`) and clearly
  above the rest (`goal_ratio` × the mean) is played;
- explore: a frame far more surprising than usual (`surprise_ratio` × the average) means the model does not
  know this state: the explorer agent (graph exploration) takes the next `explore_steps` actions;
- policy: otherwise the learned policy's distribution over the candidates is sampled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from aria_desktop.agents.agent import Agent, Choice, Insight
from aria_desktop.agents.explorer import ExplorerAgent, ExplorerConfig, segments, thick_parts
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Action, Game
from models.arc_agent_scoring import Candidate, ContextScorer, SurpriseTracker
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
    surprise_ratio: float = 2.0  # a frame this many times the running average surprise: explore
    surprise_decay: float = 0.9  # the running average's memory
    explore_steps: int = 8  # actions the explorer takes once surprise hands it control
    max_clicks: int = 32  # click candidates per frame (one per segment, small segments first)
    temperature: float = 1.0  # sampling the policy (0: its most likely candidate)
    seed: int = 0


def click_candidates(frame: np.ndarray, max_clicks: int) -> list[tuple[int, int]]:
    """Where clicking may do something: the centre of each segment of the frame (and of the thick parts of a
    large one) that is not the background, smaller segments first."""
    segs = segments(frame)
    if not segs:
        return []
    background = segs[0]
    found: list[tuple[int, tuple[int, int]]] = []
    for seg in segs[1:] if background.size > 0.05 * frame.size else segs:
        found.append((seg.size, seg.centre))
        if seg.size >= 20:
            parts = thick_parts(seg, frame.shape)
            found += [(p.size, p.centre) for p in parts if len(parts) > 1 and p.size >= 4]
    found.sort(key=lambda f: (f[0] < 4, f[0]))  # specks after real objects, then small before large
    seen: list[tuple[int, int]] = []
    for _, xy in found:
        if xy not in seen:
            seen.append(xy)
    return seen[:max_clicks]


class WorldModelAgent(Agent):
    name = "world-model"

    def __init__(self, model: ArcGameTransformer, vqvae: ArcVQVAE, config: WorldModelAgentConfig | None = None,
                 trained_games: tuple[str, ...] = ()) -> None:
        self.cfg = config or WorldModelAgentConfig()
        self.model, self.vqvae = model.eval(), vqvae.eval()
        self.vocab = model.vocab
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

    # -- the Agent interface -----------------------------------------------------------------------------
    def reset(self, game: Game) -> None:
        """A new episode (or control handed back): the context starts afresh; the explorer keeps its graph."""
        self.game_id = game.id
        self._start()
        self.scorer.extend([self.vocab.game_start])

    def act(self, game: Game) -> Choice:
        self._reload_if_better()
        if not self.scorer.tokens:
            self.reset(game)
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
        candidates, labels = self._candidates(frame, game.actions)
        self.scorer.extend([self.vocab.act])
        scores = self.scorer.score(candidates)
        level, policy = scores.level.numpy(), scores.policy.numpy()
        # A choice that changed nothing in this very frame would change nothing again: the others go first.
        useful = np.array([(here, _choice(c)) not in self._no_effect for c in candidates], bool)
        if useful.any():
            level, policy = np.where(useful, level, 0.0), np.where(useful, np.maximum(policy, 1e-12), 0.0)
        best = int(level.argmax()) if len(level) else -1
        goal = best >= 0 and level[best] >= self.cfg.goal_threshold and (
            len(level) == 1 or level[best] >= self.cfg.goal_ratio * level.mean())
        if not goal and self.surprise.ratio >= self.cfg.surprise_ratio and self._explore_left == 0:
            self.explorer.reset(game)  # the explorer takes over here; its graph of the game is kept
            self._explore_left = self.cfg.explore_steps
        if goal:
            self._explore_left = 0
            branch, choice = "goal", _choice(candidates[best])
        elif self._explore_left > 0:
            self._explore_left -= 1
            branch, choice = "explore", self.explorer.act(game)
        elif candidates:
            branch, choice = "policy", _choice(candidates[self._sample(policy)])
        else:
            branch, choice = "policy", RESET
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
        if self.trained_games and self.game_id and self.game_id not in self.trained_games:
            lines.append(f"{self.game_id} is new to this model (trained on {', '.join(self.trained_games)})")
        return lines

    # -- steps ---------------------------------------------------------------------------------------------
    def _observe(self, frame: np.ndarray, levels: int) -> float | None:
        """Read the new frame into the context (after <LEVEL_COMPLETE> if the last action completed a level);
        its surprise, or None for the episode's first frame."""
        from trainers.arc_data import encode_grids

        codes = encode_grids(self.vqvae, frame[None])[0]
        completed = self._levels is not None and levels > self._levels
        logp = self.scorer.extend(([self.vocab.level_complete] if completed else []) + self.vocab.frame_tokens(codes))
        if self._levels is None:
            return None
        nll = float(-logp[-codes.size :].mean())
        self.surprise.update(nll)
        return nll

    def _candidates(self, frame: np.ndarray, actions: list[Action]) -> tuple[list[Candidate], list[str]]:
        candidates, labels = [], []
        for a in actions:
            if a.resets or a.index >= self.vocab.n_actions:
                continue
            if a.needs_xy:
                for x, y in click_candidates(frame, self.cfg.max_clicks):
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
        """Append the chosen action's tokens to the context (the next frame follows them)."""
        if not self.scorer.tokens or self.scorer.tokens[-1] != self.vocab.act:
            self.scorer.extend([self.vocab.act])
        tokens = [self.vocab.action0 + choice.action]
        if choice.action == CLICK and choice.xy is not None:
            tokens += [self.vocab.x0 + int(choice.xy[0]), self.vocab.y0 + int(choice.xy[1])]
        self.scorer.extend(tokens)
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
