"""Train the ARC VQ-VAE on ARC recordings (`aria train arc-vqvae`) and score it (`aria eval arc-vqvae`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.arc_vqvae import ArcVQVAE, ArcVQVAEConfig
from trainers.arc_data import ArcEpisode, find_arc, load_arc_episodes, load_arc_vqvae, unique_frames
from trainers.checkpoint import Checkpoint
from trainers.data import DataError, describe_data, split_episodes
from trainers.loop import RunSpec, Trainer

KIND = "arc-vqvae"
BAR = 0.9985  # seed 001's pixel accuracy


@dataclass
class ArcVQVAETrainConfig:
    steps: int = 2500  # tiny: 99.86 % held-out pixel accuracy on built-in games (arc-setup); 99.41 % on six real games when trained with them
    batch_size: int = 32
    lr: float = 3e-3
    checkpoint_every: int = 250
    eval_every: int = 250
    warmup_steps: int = 50
    final_lr_share: float = 0.05  # the learning rate falls on a cosine to this share of lr by the last step
    # This share of the draws picks a game first, then one of its frames; the rest pick among all distinct frames.
    # Uniform draws alone never learn a game with one distinct frame (vc33: 99.3 %); game-first draws alone starve
    # the games with many frames (bp35 fell from 99.5 to 98.7 %). Half and half: see the README's VQ-VAE table.
    game_first_share: float = 0.0

    def lr_at(self, step: int, total: int) -> float:
        """Linear warm-up, then a cosine decay: the last, small steps settle the few pixels still wrong."""
        warm = min(1.0, (step + 1) / max(self.warmup_steps, 1))
        cosine = 0.5 * (1 + math.cos(math.pi * min(step / max(total, 1), 1.0)))
        return self.lr * warm * (self.final_lr_share + (1 - self.final_lr_share) * cosine)

    @classmethod
    def preset(cls, name: str) -> ArcVQVAETrainConfig:
        return {
            "tiny": cls(),
            "seed": cls(steps=5000, game_first_share=0.5),  # measured on built-in + real ARC-AGI-3 frames (README)
        }[name]


@dataclass
class ArcVQVAERun:
    data: Sequence[Path]
    out: Path
    preset: str = "tiny"
    device: str = "auto"
    steps: int | None = None
    resume: bool = False
    batch_size: int | None = None
    show_progress: bool = True
    args: dict = field(default_factory=dict)


@torch.no_grad()
def score_arc_vqvae(
    model: ArcVQVAE,
    frames: np.ndarray,
    device: torch.device | str = "cpu",
    batch: int = 256,
    seen_patches: set[bytes] | None = None,
) -> dict[str, float]:
    """Pixel accuracy through the tokens, share of frames reconstructed exactly, and codebook use; with the training
    frames' 8×8 patches (`token_patches`), also the share of patches training never showed and the accuracy on them
    and on the rest: whether more data or more training would help."""
    model.eval()
    right, exact, counts = 0, 0, torch.zeros(model.cfg.n_codes, dtype=torch.long)
    new_patches, new_right = 0, 0  # held-out 8×8 patches training never showed, and their pixels reconstructed right
    for i in range(0, len(frames), batch):
        grid = torch.from_numpy(frames[i : i + batch]).long().to(device)
        tokens = model.encode(grid)
        same = model.decode(tokens).long() == grid
        right += int(same.sum())
        exact += int(same.flatten(1).all(1).sum())
        counts += torch.bincount(tokens.flatten().cpu(), minlength=model.cfg.n_codes)
        if seen_patches is not None:
            new = np.array([p.tobytes() not in seen_patches for p in patches_of(frames[i : i + batch])])
            new_patches += int(new.sum())
            new_right += int(patches_of(same.cpu().numpy())[new].sum())
    n = max(len(frames), 1)
    pixels = n * frames.shape[1] * frames.shape[2]
    out = {
        "pixel_accuracy": right / pixels if len(frames) else float("nan"),
        "frames_exact": exact / n,
        "codes_used": float((counts > 0).sum()),
        "codebook_usage": float((counts > 0).double().mean()),
    }
    if seen_patches is not None and len(frames):
        new_pixels = new_patches * 64
        out["unseen_patch_share"] = new_patches / (pixels / 64)
        out["accuracy_on_unseen_patches"] = new_right / new_pixels if new_pixels else float("nan")
        out["accuracy_on_seen_patches"] = (right - new_right) / max(pixels - new_pixels, 1)
    return out


def patches_of(frames: np.ndarray) -> np.ndarray:
    """(N, 64, 64) -> (N·64, 64): the 8×8 blocks of pixels that the tokens stand for, one row each."""
    n, h, w = frames.shape
    return frames.reshape(n, h // 8, 8, w // 8, 8).transpose(0, 1, 3, 2, 4).reshape(-1, 64)


def token_patches(frames: np.ndarray) -> set[bytes]:
    """Every distinct 8×8 block of some frames (uint8 colour indices)."""
    return {p.tobytes() for p in patches_of(frames.astype(np.uint8))}


@dataclass
class FrameSampler:
    """Draws training frames: a share of them a game first and then one of its frames, the rest among all frames."""

    n_frames: int
    games: list[np.ndarray]  # indices into the distinct frames, one array per game
    game_first_share: float

    @classmethod
    def of(cls, episodes: Sequence[ArcEpisode], frames: np.ndarray, game_first_share: float) -> FrameSampler:
        index = {f.tobytes(): i for i, f in enumerate(frames)}
        by_game: dict[str, set[int]] = {}
        for e in episodes:
            by_game.setdefault(e.game, set()).update(index[f.tobytes()] for f in (*e.frames, *e.animation))
        games = [np.fromiter(sorted(ids), dtype=np.int64) for ids in by_game.values()]
        return cls(len(frames), games, game_first_share)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        idx = rng.integers(self.n_frames, size=n)
        for i in np.flatnonzero(rng.random(n) < self.game_first_share):
            game = self.games[rng.integers(len(self.games))]
            idx[i] = game[rng.integers(len(game))]
        return idx


def train_arc_vqvae(run: ArcVQVAERun) -> Checkpoint | None:
    hp = ArcVQVAETrainConfig.preset(run.preset)
    cfg = ArcVQVAEConfig.preset(run.preset)
    refs, _problems = find_arc(run.data)
    train_refs, val_refs = split_episodes(refs)
    episodes = load_arc_episodes(train_refs)
    frames = unique_frames(episodes)
    sampler = FrameSampler.of(episodes, frames, hp.game_first_share)
    val_frames = unique_frames(load_arc_episodes(val_refs)) if val_refs else frames
    spec = RunSpec(
        kind=KIND, preset=run.preset, out=run.out, total_steps=run.steps or hp.steps, lr=hp.lr, device=run.device,
        resume=run.resume, checkpoint_every=hp.checkpoint_every, eval_every=hp.eval_every, weight_decay=0.0,
        show_progress=run.show_progress, args=run.args,
    )  # fmt: skip
    data = {**describe_data(run.data, train_refs, val_refs), "train_frames": len(frames)}
    trainer = Trainer(spec, ArcVQVAE(cfg), asdict(cfg), data)
    batch_size = run.batch_size or hp.batch_size

    def step_fn(model: torch.nn.Module, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        for group in trainer.optimizer.param_groups:  # a function of the step alone, so a resumed run follows it
            group["lr"] = hp.lr_at(step, spec.total_steps)
        idx = sampler.draw(trainer.rng, batch_size)
        _, _, losses = model(torch.from_numpy(frames[idx]).long().to(trainer.device))
        return losses["loss"], {
            "recon": float(losses["recon"].detach()),
            "commit": float(losses["commitment"].detach()),
        }

    return trainer.fit(step_fn, lambda m: score_arc_vqvae(m, val_frames, trainer.device))


def eval_arc_vqvae(path: Path | str, data: Sequence[Path | str]) -> dict[str, float]:
    """Pixel accuracy and codebook usage of an ARC VQ-VAE checkpoint on the held-out episodes under `data`; while the
    episodes it trained on are still where it found them, also how much of the held-out frames it never saw."""
    from trainers.atari_eval import held_out

    vqvae, ckpt = load_arc_vqvae(path)
    refs = held_out(find_arc(data)[0], ckpt.meta.get("data", {}))
    frames = unique_frames(load_arc_episodes(refs))
    if not len(frames):
        raise DataError("The held-out ARC episodes hold no frames; record some more.")
    trained = _training_frames(ckpt.meta.get("data", {}))
    seen = token_patches(trained) if len(trained) else None
    return {"episodes": float(len(refs)), "frames": float(len(frames)), **score_arc_vqvae(vqvae, frames, seen_patches=seen)}


def _training_frames(data: dict) -> np.ndarray:
    """The distinct frames of the episodes a checkpoint trained on, found again in the folders it recorded (empty when
    they have moved or some are missing: a partial set would call seen patches unseen)."""
    names = set(data.get("train_episodes", []))
    folders = [f for f in data.get("folders", []) if Path(f).is_dir()]
    try:
        refs = [r for r in find_arc(folders)[0] if r.path.name in names] if names and folders else []
    except DataError:  # the folders no longer hold ARC recordings
        refs = []
    if not names or len({r.path.name for r in refs}) < len(names):
        return np.zeros((0, 64, 64), np.uint8)
    return unique_frames(load_arc_episodes(refs))
