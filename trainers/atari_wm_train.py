"""Train the Breakout world model v2.1 on VQ-VAE tokens of recordings (`aria train atari-wm`).

Each step is, with probability `rollout_ratio`, a K-step open-loop rollout (the model's argmax fed back,
the ground truth instead with probability `teacher_forcing`, step k's loss discounted by step_discount^k,
normalised by the discounts' sum), else a teacher-forced pass over a window. Token losses are weighted by
the seed's hybrid importance weights (motion in codebook-embedding space, motion onsets, sustained motion),
capped so the 95th percentile is at most `max_ratio` times the median.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from trainers.atari_data import episode_actions, episode_tokens, find_breakout, load_episode
from trainers.atari_eval import TokenEpisode, evaluate_world_model, gold_windows
from trainers.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from trainers.data import DataError, EpisodeRef, TokenCache, describe_data, split_episodes
from trainers.loop import RunOptions, Trainer

KIND = "atari-wm"
# --arch: the world model's layout and, for the cached one, what it attends to in the earlier frames
ARCHS = {"cached": {"layout": "cached", "temporal": "cell"}, "cached-window": {"layout": "cached", "temporal": "window"},
         "seed": {"layout": "seed"}}


@dataclass
class WMTrainConfig:
    """The seed's world-model training hyperparameters (tiny: fewer steps, for the CPU)."""

    steps: int = 2000
    batch_size: int = 4
    lr: float = 5e-4
    rollout_steps: int = 5  # K
    rollout_ratio: float = 0.5
    teacher_forcing: float = 0.1
    step_discount: float = 0.7
    motion_scale: float = 2.0
    eventness_scale: float = 2.0
    persistence_scale: float = 1.0
    max_ratio: float = 6.0
    checkpoint_every: int = 500
    eval_every: int = 500
    eval_windows: int = 8  # windows of the quick eval during training (the full suite is `aria eval atari-wm`)

    @classmethod
    def preset(cls, name: str) -> WMTrainConfig:
        return {"tiny": cls(), "seed": cls(batch_size=8, steps=100_000, checkpoint_every=2000, eval_every=2000, eval_windows=256)}[name]


@dataclass(kw_only=True)
class WMRun(RunOptions):
    vqvae: Path  # the VQ-VAE checkpoint (or run) whose tokens the model learns
    arch: str = "cached"  # one of ARCHS: cached (the dream engine's), cached-window, or seed


def load_vqvae(path: Path | str) -> tuple[AtariVQVAE, Checkpoint]:
    ckpt = load_checkpoint(path, "atari-vqvae")
    try:
        model = AtariVQVAE(AtariVQVAEConfig(**ckpt.config))
        model.load_state_dict(ckpt.model_state)
    except (TypeError, RuntimeError) as e:
        raise CheckpointError(
            f"{ckpt.path} does not fit this ARIA's Atari VQ-VAE ({str(e).splitlines()[0][:100]}); retrain it."
        ) from None
    return model.eval(), ckpt


def run_folder(ckpt: Checkpoint) -> Path:
    """The run a checkpoint belongs to (<run>/checkpoints/step-N), or its own folder when it stands alone."""
    return ckpt.path.parent.parent if ckpt.path.parent.name == "checkpoints" else ckpt.path


def token_episodes(
    refs: Sequence[EpisodeRef], vqvae: AtariVQVAE, vq_ckpt: Checkpoint, with_frames: bool = False
) -> list[TokenEpisode]:
    """Episodes as tokens, encoded once per VQ-VAE into its run's token-cache folder."""
    cache = TokenCache(run_folder(vq_ckpt) / "token-cache", vq_ckpt.id)
    out = []
    for ref in refs:
        tokens, loaded = episode_tokens(vqvae, cache, ref)
        if with_frames:
            loaded = loaded or load_episode(ref)
        actions, weights = episode_actions(ref)
        out.append(TokenEpisode(ref.path.name, tokens, actions, loaded.frames if with_frames else None, weights))
    return out


def importance_weights(tokens: torch.Tensor, codebook: torch.Tensor, hp: WMTrainConfig) -> torch.Tensor:
    """tokens long (B, W, S) -> weights (B, W-1, S) for the targets frames 1..W-1 (the seed's hybrid weighting)."""
    emb = codebook[tokens]  # (B, W, S, D)
    scale = torch.cdist(codebook, codebook).max().clamp(min=1e-6)
    motion = (emb[:, 1:] - emb[:, :-1]).norm(dim=-1) / scale  # in [0, 1]: how far each token moved
    before = F.pad(motion[:, :-1], (0, 0, 1, 0))  # the same position's motion one transition earlier
    eventness = (motion - before).clamp(min=0)  # motion that starts suddenly (a hit, a launch)
    persistence = torch.minimum(motion, before)  # motion that goes on (the ball)
    w = 1.0 + hp.motion_scale * motion + hp.eventness_scale * eventness + hp.persistence_scale * persistence
    median = w.median()
    if torch.quantile(w.flatten().float(), 0.95) > hp.max_ratio * median:
        w = w.clamp(max=hp.max_ratio * median)
    return w


def weighted_ce(logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), target.reshape(-1), reduction="none")
    w = weights.reshape(-1)
    return (ce * w).sum() / w.sum()


def teacher_forced_loss(model: torch.nn.Module, tokens: torch.Tensor, actions: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    logits = model(tokens[:, :-1], actions[:, :-1])
    return weighted_ce(logits, tokens[:, 1:], weights)


def rollout_loss(
    model: torch.nn.Module, tokens: torch.Tensor, actions: torch.Tensor, weights: torch.Tensor, history: int,
    hp: WMTrainConfig, gen: torch.Generator,
) -> torch.Tensor:
    """K steps open loop from `history` real frames. Each step gives the model the last `history` frames (what
    the seed layout attends to, and the cached layout's window), so a step costs one `history`-frame pass."""
    seq, total, norm = tokens[:, :history], 0.0, 0.0
    for k in range(1, hp.rollout_steps + 1):
        first = seq.shape[1] - history
        logits = model(seq[:, first:], actions[:, first : seq.shape[1]])[:, -1]
        target = tokens[:, history - 1 + k]
        d = hp.step_discount**k
        total = total + d * weighted_ce(logits, target, weights[:, history - 2 + k])
        norm += d
        truth = torch.rand(target.shape[0], 1, generator=gen).to(target.device) < hp.teacher_forcing
        nxt = torch.where(truth, target, logits.argmax(-1))
        seq = torch.cat((seq, nxt[:, None]), dim=1)
    return total / norm


def train_atari_wm(run: WMRun) -> Checkpoint | None:
    if run.arch not in ARCHS:
        raise DataError(f"Unknown --arch '{run.arch}'; use one of {', '.join(ARCHS)}.")
    hp = WMTrainConfig.preset(run.preset)
    vqvae, vq_ckpt = load_vqvae(run.vqvae)
    base = AtariWorldModelConfig.tiny if run.preset == "tiny" else AtariWorldModelConfig.seed
    cfg = base(n_vocab=vqvae.cfg.n_embeddings, token_h=vqvae.cfg.token_h, token_w=vqvae.cfg.token_w, **ARCHS[run.arch])
    H, K = cfg.history, hp.rollout_steps
    window = H + K
    eval_len = H + 10
    refs, _ = find_breakout(run.data, min_steps=window)
    train_refs, val_refs = split_episodes(refs)
    train = token_episodes(train_refs, vqvae, vq_ckpt)
    val = token_episodes(val_refs, vqvae, vq_ckpt) if val_refs else train
    windows = gold_windows(val, hp.eval_windows, eval_len) or gold_windows(val, hp.eval_windows, window)
    starts = np.array([(i, s) for i, e in enumerate(train) for s in range(len(e.tokens) - window + 1)])
    p = np.array([train[i].weights[s + H - 1] for i, s in starts], dtype=np.float64)
    p /= p.sum()
    spec = run.spec(KIND, hp.steps, hp.lr, hp.checkpoint_every, hp.eval_every)
    parents = {"vqvae": {"id": vq_ckpt.id, "path": str(vq_ckpt.path.resolve()), "kind": vq_ckpt.kind}}
    torch.manual_seed(0)  # the same initial weights for the same preset
    trainer = Trainer(spec, AtariWorldModel(cfg), cfg.to_dict(), describe_data(run.data, train_refs, val_refs), parents)
    codebook = vqvae.quantizer.embed.to(trainer.device)
    gen = torch.Generator().manual_seed(int(trainer.rng.integers(1 << 31)))
    batch_size = run.batch_size or hp.batch_size

    def step_fn(model: torch.nn.Module, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        pick = starts[trainer.rng.choice(len(starts), size=batch_size, p=p)]
        tok = np.stack([train[i].tokens[s : s + window] for i, s in pick]).astype(np.int64)
        act = np.stack([train[i].actions[s : s + window] if s + window <= len(train[i].actions)
                        else np.pad(train[i].actions[s:], (0, s + window - len(train[i].actions))) for i, s in pick])
        tokens = torch.from_numpy(tok).flatten(2).to(trainer.device)
        actions = torch.from_numpy(act).to(trainer.device)
        weights = importance_weights(tokens, codebook, hp)
        if trainer.rng.random() < hp.rollout_ratio:
            loss = rollout_loss(model, tokens, actions, weights, H, hp, gen)
            return loss, {"rollout": float(loss.detach())}
        # teacher forcing over the window's first history + 1 frames: `history` predictions in one pass
        loss = teacher_forced_loss(model, tokens[:, : H + 1], actions[:, : H + 1], weights[:, :H])
        return loss, {"one_step": float(loss.detach())}

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        m = evaluate_world_model(model, val, windows, H, device=trainer.device, horizons=(1, 5))
        return {k: v for k, v in m.items() if not k.startswith("changed_frac")}

    return trainer.fit(step_fn, evaluate)
