"""Train the Atari VQ-VAE v2.3 on Breakout recordings (`aria train atari-vqvae`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.atari_frames import from_model, psnr, to_model
from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from trainers.atari_data import find_breakout, load_episodes
from trainers.checkpoint import Checkpoint
from trainers.data import describe_data, split_episodes
from trainers.loop import RunOptions, Trainer

KIND = "atari-vqvae"


@dataclass
class VQVAETrainConfig:
    """Training hyperparameters per preset (the model's own config is AtariVQVAEConfig)."""

    steps: int = 3000
    batch_size: int = 32
    lr: float = 1e-3
    checkpoint_every: int = 500
    eval_every: int = 500
    eval_frames: int = 512  # validation frames scored at each eval (a fixed, evenly spaced subset)

    @classmethod
    def preset(cls, name: str) -> VQVAETrainConfig:
        return {"tiny": cls(batch_size=16), "seed": cls(steps=50_000, batch_size=64, lr=3e-4, checkpoint_every=2000, eval_every=2000)}[name]


class VQVAERun(RunOptions):
    """`aria train atari-vqvae`'s options (all shared with the other trainers)."""


def stack_frames(episodes: list) -> tuple[np.ndarray, np.ndarray]:
    """All frames of some episodes and a sampling weight per frame (a frame weighs what the step leading to it does)."""
    frames = np.concatenate([e.frames for e in episodes])
    weights = np.concatenate([np.concatenate([e.weights[:1], e.weights]) if len(e.weights) else np.ones(1) for e in episodes])
    return frames, weights / weights.sum()


def eval_subset(frames: np.ndarray, n: int) -> np.ndarray:
    idx = np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int)
    return frames[np.unique(idx)]


@torch.no_grad()
def score_vqvae(model: AtariVQVAE, frames: np.ndarray, device: torch.device | str = "cpu", batch: int = 128) -> dict[str, float]:
    """PSNR (dB, on uint8 84×64 frames) of the reconstructions, and how much of the codebook is in use."""
    model.eval()
    recon, tokens = [], []
    for i in range(0, len(frames), batch):
        x = to_model(frames[i : i + batch]).to(device)
        t = model.encode(x)
        tokens.append(t.cpu())
        recon.append(from_model(model.decode(t)))
    out = np.concatenate(recon)
    counts = torch.bincount(torch.cat(tokens).flatten(), minlength=model.cfg.n_embeddings).double()
    p = counts / counts.sum()
    perplexity = float(torch.exp(-(p[p > 0] * p[p > 0].log()).sum()))
    per_frame = [psnr(a, b) for a, b in zip(out, frames)]
    return {
        "psnr": psnr(out, frames),
        "psnr_frame_min": float(np.min(per_frame)),
        "codes_used": float((counts > 0).sum()),
        "codebook_usage": float((counts > 0).double().mean()),
        "perplexity": perplexity,
    }


def train_atari_vqvae(run: VQVAERun) -> Checkpoint | None:
    hp = VQVAETrainConfig.preset(run.preset)
    cfg = AtariVQVAEConfig.preset(run.preset)
    refs, _problems = find_breakout(run.data)
    train_refs, val_refs = split_episodes(refs)
    train = load_episodes(train_refs)
    frames, weights = stack_frames(train)
    val_frames = eval_subset(stack_frames(load_episodes(val_refs))[0] if val_refs else frames, hp.eval_frames)
    spec = run.spec(KIND, hp.steps, hp.lr, hp.checkpoint_every, hp.eval_every)
    torch.manual_seed(0)  # the same initial weights for the same preset
    trainer = Trainer(spec, AtariVQVAE(cfg), cfg.to_dict(), describe_data(run.data, train_refs, val_refs))
    batch_size = run.batch_size or hp.batch_size

    def step_fn(model: torch.nn.Module, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        idx = trainer.rng.choice(len(frames), size=batch_size, p=weights)
        x = to_model(frames[idx]).to(trainer.device)
        _, _, losses = model(x)
        return losses["loss"], {"recon": float(losses["recon"].detach()), "commit": float(losses["commit"].detach())}

    return trainer.fit(step_fn, lambda m: score_vqvae(m, val_frames, trainer.device))
