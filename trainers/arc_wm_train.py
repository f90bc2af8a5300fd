"""Train the ARC game transformer on VQ-VAE tokens of ARC recordings (`aria train arc-world-model`) and
evaluate it on held-out episodes (`aria eval arc-world-model`).

Each episode becomes one token sequence (models/arc_game_transformer.py); training windows of `context` tokens
are cut with a stride of a third of the context (seed: 2048 / 670); windows holding a <LEVEL_COMPLETE> are drawn
3× as often, and human play 5× (the shared convention). The checkpoint keeps only LoRA adapters, the new token
rows and the base model's reference (name + a weight checksum), never the base weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.arc_game_transformer import ArcGameTransformer, ArcGameTransformerConfig, GameVocab, weighted_loss
from models.arc_vqvae import ArcVQVAE
from models.base_models import BaseModelError, load_base_model
from trainers.arc_data import episode_codes, find_arc, load_arc_episode, load_arc_vqvae
from trainers.checkpoint import Checkpoint, CheckpointError, check_parent, load_checkpoint
from trainers.data import DataError, EpisodeRef, describe_data, split_episodes
from trainers.errors import TrainerError
from trainers.loop import RunSpec, Trainer

KIND = "arc-world-model"
LEVEL_OVERSAMPLE = 3.0  # seed 001


@dataclass
class ArcWMTrainConfig:
    steps: int = 600
    batch_size: int = 4
    lr: float = 2e-3
    checkpoint_every: int = 100
    eval_every: int = 100
    eval_windows: int = 16  # held-out windows scored at each eval during training (`aria eval` scores all)

    @classmethod
    def preset(cls, name: str) -> ArcWMTrainConfig:
        seed = cls(steps=15_000, batch_size=4, lr=2e-4, checkpoint_every=1000, eval_every=1000, eval_windows=64)
        return {"tiny": cls(), "seed": seed}[name]


@dataclass
class ArcWMRun:
    data: Sequence[Path]
    out: Path
    vqvae: Path
    preset: str = "tiny"
    base_model: str | None = None
    device: str = "auto"
    steps: int | None = None
    resume: bool = False
    batch_size: int | None = None
    show_progress: bool = True
    args: dict = field(default_factory=dict)


@dataclass
class TokenEpisode:
    name: str
    tokens: np.ndarray  # int64 [L]: the whole episode as game tokens
    human: float  # share of the episode's steps a person played


def token_episodes(refs: Sequence[EpisodeRef], vocab: GameVocab, vqvae, vq_ckpt: Checkpoint) -> list[TokenEpisode]:
    loaded = [(r, load_arc_episode(r)) for r in refs]
    codes = episode_codes(vqvae, vq_ckpt, loaded)
    return [
        TokenEpisode(ep.name, vocab.episode(c, ep.actions, ep.xy, ep.level_up), float((ep.weights > 1).mean()) if len(ep.weights) else 0.0)
        for (_, ep), c in zip(loaded, codes)
    ]  # fmt: skip


def windows(episodes: Sequence[TokenEpisode], context: int, stride: int) -> list[tuple[int, int]]:
    """(episode, start) of every window; an episode shorter than the context is one (padded) window."""
    out = []
    for i, e in enumerate(episodes):
        last = max(len(e.tokens) - context, 0)
        starts = list(range(0, last + 1, stride))
        if starts[-1] != last:
            starts.append(last)  # the episode's end is always covered
        out += [(i, s) for s in starts]
    return out


def batch(
    episodes: Sequence[TokenEpisode], picks: Sequence[tuple[int, int]], context: int, pad: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token windows (B, L) and which targets are real (B, L-1); L = the longest window picked."""
    chunks = [episodes[i].tokens[s : s + context] for i, s in picks]
    length = max(len(c) for c in chunks)
    ids = np.full((len(chunks), length), pad, np.int64)
    valid = np.zeros((len(chunks), length - 1), bool)
    for row, c in enumerate(chunks):
        ids[row, : len(c)] = c
        valid[row, : len(c) - 1] = True
    return torch.from_numpy(ids), torch.from_numpy(valid)


def window_weights(
    episodes: Sequence[TokenEpisode], picks: Sequence[tuple[int, int]], context: int, level: int
) -> np.ndarray:
    w = np.array([
        (LEVEL_OVERSAMPLE if (episodes[i].tokens[s : s + context] == level).any() else 1.0) * (1 + 4 * episodes[i].human)
        for i, s in picks
    ])  # fmt: skip
    return w / w.sum()


@torch.no_grad()
def evaluate(
    model: ArcGameTransformer,
    episodes: Sequence[TokenEpisode],
    picks: Sequence[tuple[int, int]],
    device,
    batch_size: int = 4,
) -> dict[str, float]:
    """Seed 001's metrics: frame-token, action (incl. click x/y) and level-complete accuracy, perplexity, loss.

    level_accuracy: accuracy on every answer to "did this action complete a level" (<LEVEL_COMPLETE> or the
    next <FRAME>); level_complete_recall: on the <LEVEL_COMPLETE> tokens alone. Perplexity is exp of the mean
    cross-entropy over frame, action and level answers; val_loss is the training loss (type-weighted).
    """
    model.eval()
    cfg, vocab = model.cfg, model.vocab
    sums: dict[str, float] = {}
    loss_sum, loss_n = 0.0, 0
    for i in range(0, len(picks), batch_size):
        ids, valid = batch(episodes, picks[i : i + batch_size], cfg.context, vocab.game_start)
        ids, valid = ids.to(device), valid.to(device)
        logits = model(ids)[:, :-1]
        loss, parts = weighted_loss(logits, ids, vocab, model._weights, valid)
        loss_sum, loss_n = loss_sum + float(loss) * len(ids), loss_n + len(ids)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + float(v)

    def ratio(a: str, b: str) -> float:
        return sums.get(a, 0.0) / sums[b] if sums.get(b) else float("nan")

    answers = sums.get("level_n", 0.0) + sums.get("decision_n", 0.0)
    scored = sums.get("frame_n", 0.0) + sums.get("action_n", 0.0) + answers
    ce = sum(sums.get(f"{k}_loss_sum", 0.0) for k in ("frame", "action", "level", "decision"))
    return {
        "frame_accuracy": ratio("frame_correct", "frame_n"),
        "action_accuracy": ratio("action_correct", "action_n"),
        "level_accuracy": (sums.get("level_correct", 0.0) + sums.get("decision_correct", 0.0)) / answers
        if answers
        else float("nan"),
        "level_complete_recall": ratio("level_correct", "level_n"),
        "perplexity": math.exp(ce / scored) if scored else float("nan"),
        "val_loss": loss_sum / loss_n if loss_n else float("nan"),
        "windows": float(len(picks)),
    }


def build_model(cfg: ArcGameTransformerConfig, expected_base: dict | None = None) -> ArcGameTransformer:
    """The game transformer on its base model; base-model problems become one TrainerError sentence."""
    try:
        base = load_base_model(cfg.base_model)
    except BaseModelError as e:
        raise TrainerError(str(e)) from None
    want, have = (expected_base or {}).get("checksum"), base.reference.get("checksum")
    if want is not None and have is not None and abs(want - have) > 1e-6 * max(1.0, abs(want)):
        raise CheckpointError(
            f"The base model '{cfg.base_model}' here is not the one this game transformer was trained on (its weights "
            "differ); load it with that base model."
        )
    try:
        return ArcGameTransformer(cfg, base)
    except ValueError as e:
        raise CheckpointError(str(e)) from None


def train_arc_world_model(run: ArcWMRun) -> Checkpoint | None:
    hp = ArcWMTrainConfig.preset(run.preset)
    vqvae, vq_ckpt = load_arc_vqvae(run.vqvae)
    cfg = ArcGameTransformerConfig.preset(run.preset, vqvae.cfg.n_codes)
    if run.base_model:
        cfg.base_model = run.base_model
    refs, _ = find_arc(run.data)
    train_refs, val_refs = split_episodes(refs)
    model = build_model(cfg)
    vocab = model.vocab
    train = token_episodes(train_refs, vocab, vqvae, vq_ckpt)
    val = token_episodes(val_refs, vocab, vqvae, vq_ckpt) if val_refs else train
    picks = windows(train, cfg.context, max(cfg.context // 3, 1))
    p = window_weights(train, picks, cfg.context, vocab.level_complete)
    val_picks = windows(val, cfg.context, cfg.context)
    val_picks = [
        val_picks[i]
        for i in np.linspace(0, len(val_picks) - 1, min(hp.eval_windows, len(val_picks))).round().astype(int)
    ]
    spec = RunSpec(
        kind=KIND, preset=run.preset, out=run.out, total_steps=run.steps or hp.steps, lr=hp.lr, device=run.device,
        resume=run.resume, checkpoint_every=hp.checkpoint_every, eval_every=hp.eval_every, weight_decay=0.0,
        show_progress=run.show_progress, args=run.args,
    )  # fmt: skip
    parents = {"vqvae": {"id": vq_ckpt.id, "path": str(vq_ckpt.path.resolve()), "kind": vq_ckpt.kind}}
    config = {"model": cfg.to_dict(), "base": model.base_reference, "vqvae_codes": vqvae.cfg.n_codes,
              "games": sorted({r.game for r in refs})}
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=hp.lr, weight_decay=0.0)
    try:
        trainer = Trainer(spec, model, config, describe_data(run.data, train_refs, val_refs), parents, optimizer)
    except ValueError as e:  # resuming a run made with another base model or vocabulary
        raise CheckpointError(f"{run.out} cannot be resumed with these settings: {e}") from None
    batch_size = run.batch_size or hp.batch_size

    def step_fn(m: torch.nn.Module, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        chosen = [picks[i] for i in trainer.rng.choice(len(picks), size=batch_size, p=p)]
        ids, valid = batch(train, chosen, cfg.context, vocab.game_start)
        ids, valid = ids.to(trainer.device), valid.to(trainer.device)
        loss, parts = weighted_loss(m(ids)[:, :-1], ids, vocab, model._weights, valid)
        acc = float(parts["frame_correct"]) / max(float(parts["frame_n"]), 1.0)
        return loss, {"frame_acc": acc}

    return trainer.fit(step_fn, lambda m: evaluate(m, val, val_picks, trainer.device))


def load_arc_world_model(path: Path | str) -> tuple[ArcGameTransformer, Checkpoint]:
    ckpt = load_checkpoint(path, KIND)
    try:
        cfg = ArcGameTransformerConfig.from_dict(ckpt.config["model"])
    except (KeyError, TypeError) as e:
        raise CheckpointError(
            f"{ckpt.path} has a game-transformer config this ARIA cannot read ({e}); retrain it."
        ) from None
    model = build_model(cfg, ckpt.config.get("base"))
    try:
        model.load_state_dict(ckpt.model_state)
    except ValueError as e:
        raise CheckpointError(f"{ckpt.path}: {e}") from None
    return model.eval(), ckpt


def load_arc_agent_models(
    path: Path | str, vqvae_path: Path | str | None = None
) -> tuple[ArcGameTransformer, Checkpoint, ArcVQVAE, Checkpoint]:
    """A world model and the VQ-VAE whose tokens it reads (default: the one it names), checked to belong together."""
    ckpt = load_checkpoint(path, KIND, tensors=False)
    parent = ckpt.parent("vqvae")
    if vqvae_path is None and parent is None:
        raise CheckpointError(f"{ckpt.path} does not name its VQ-VAE; pass it with --vqvae.")
    if vqvae_path is None and not Path(parent.get("path", "")).exists():
        raise CheckpointError(
            f"The VQ-VAE {ckpt.path} was trained with ({parent.get('path')}) is gone; pass it with --vqvae or retrain."
        )
    vqvae, vq_ckpt = load_arc_vqvae(vqvae_path or parent["path"])
    check_parent(ckpt, "vqvae", vq_ckpt)
    model, ckpt = load_arc_world_model(path)
    if vqvae.cfg.n_codes != model.cfg.n_codes:
        raise CheckpointError(
            f"{vq_ckpt.path} has {vqvae.cfg.n_codes} codes but {ckpt.path} reads {model.cfg.n_codes}; pass its own VQ-VAE."
        )
    return model, ckpt, vqvae, vq_ckpt


def eval_arc_world_model(
    path: Path | str, data: Sequence[Path | str], vqvae_path: Path | str | None = None
) -> dict[str, float]:
    """Seed 001's metrics of a world-model checkpoint on the held-out episodes under `data`."""
    from trainers.atari_eval import held_out

    model, ckpt, vqvae, vq_ckpt = load_arc_agent_models(path, vqvae_path)
    refs = held_out(find_arc(data)[0], ckpt.meta.get("data", {}))
    episodes = token_episodes(refs, model.vocab, vqvae, vq_ckpt)
    picks = windows(episodes, model.cfg.context, model.cfg.context)
    if not picks:
        raise DataError("The held-out ARC episodes are empty; record some more.")
    return {"episodes": float(len(refs)), **evaluate(model, episodes, picks, "cpu")}
