"""ARC recordings (built-in games, ARC-AGI-3 games, imported toolkit JSONL) as arrays for the ARC trainers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.arc_vqvae import ArcVQVAE, ArcVQVAEConfig
from recorder import open_episode
from trainers.atari_wm_train import run_folder  # where a VQ-VAE run keeps its token cache: one rule for both
from trainers.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from trainers.data import DataError, EpisodeRef, TokenCache, find_episodes, step_weights

WANTED = "ARC recordings (64×64 colour grids)"
HINT = (
    "`aria record maze --headless --agent scripted --episodes 5 --out DIR`, or `aria recordings import-arc` makes some"
)
GRID = 64


@dataclass
class ArcEpisode:
    name: str
    game: str
    frames: np.ndarray  # uint8 [T+1, 64, 64]: the reset frame, then the last frame of each step
    actions: np.ndarray  # int64 [T]
    xy: np.ndarray  # int16 [T, 2], (-1, -1) unless a click
    level_up: np.ndarray  # bool [T]: the step completed a level (levels_completed rose)
    weights: np.ndarray  # float [T]: human steps 5×
    animation: np.ndarray  # uint8 [N, 64, 64]: the other animation frames (for the VQ-VAE only)


def find_arc(folders: Sequence[Path | str], min_steps: int = 1) -> tuple[list[EpisodeRef], list[str]]:
    return find_episodes(folders, lambda s: s.frame_kind == "grid", WANTED, HINT, min_steps)


def load_arc_episode(ref: EpisodeRef) -> ArcEpisode:
    with open_episode(ref.path) as ep:
        frames = np.asarray(ep.observations[:], dtype=np.uint8)
        if frames.shape[1:] != (GRID, GRID):
            raise DataError(
                f"{ref.path} has {frames.shape[1:]} frames, not 64×64 ARC grids; it cannot train an ARC model."
            )
        infos = ep.infos
        if "levels_completed" in infos:
            level_up = np.diff(np.asarray(infos["levels_completed"], dtype=np.int64)) > 0
        else:  # the reward is the increase of levels_completed (FORMAT.md)
            level_up = ep.rewards > 0
        has_animation = int(ep.step_frame_offsets[-1]) > 0
        animation = [f for t in range(ep.steps) for f in ep.step_frames(t)[:-1]] if has_animation else []
        return ArcEpisode(
            ref.path.name, ep.game, frames, ep.actions.astype(np.int64), ep.action_xy.astype(np.int16),
            level_up.astype(bool), step_weights(ep.controllers),
            np.asarray(animation, np.uint8).reshape(-1, GRID, GRID),
        )  # fmt: skip


def load_arc_episodes(refs: Sequence[EpisodeRef]) -> list[ArcEpisode]:
    return [load_arc_episode(r) for r in refs]


def unique_frames(episodes: Sequence[ArcEpisode], animation: bool = True) -> np.ndarray:
    """Every distinct frame of some episodes (ARC games repeat frames a lot), animation frames included."""
    seen: dict[bytes, np.ndarray] = {}
    for e in episodes:
        for f in (*e.frames, *(e.animation if animation else ())):
            seen.setdefault(f.tobytes(), f)
    return np.stack(list(seen.values())) if seen else np.zeros((0, GRID, GRID), np.uint8)


def load_arc_vqvae(path: Path | str) -> tuple[ArcVQVAE, Checkpoint]:
    ckpt = load_checkpoint(path, "arc-vqvae")
    try:
        model = ArcVQVAE(ArcVQVAEConfig(**ckpt.config))
        model.load_state_dict(ckpt.model_state)
    except (TypeError, RuntimeError) as e:
        raise CheckpointError(
            f"{ckpt.path} does not fit this ARIA's ARC VQ-VAE ({str(e).splitlines()[0][:100]}); retrain it."
        ) from None
    return model.eval(), ckpt


@torch.no_grad()
def encode_grids(vqvae: ArcVQVAE, frames: np.ndarray, batch: int = 256) -> np.ndarray:
    """uint8 [N, 64, 64] -> int16 [N, 8, 8] codes."""
    vqvae.eval()
    out = [
        vqvae.encode(torch.from_numpy(frames[i : i + batch]).long()).to(torch.int16)
        for i in range(0, len(frames), batch)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, vqvae.cfg.token_grid, vqvae.cfg.token_grid), np.int16)


def episode_codes(
    vqvae: ArcVQVAE, vq_ckpt: Checkpoint, episodes: Sequence[tuple[EpisodeRef, ArcEpisode]]
) -> list[np.ndarray]:
    """Each episode's observations as VQ codes, encoded once per VQ-VAE into its run's token cache."""
    cache = TokenCache(run_folder(vq_ckpt) / "token-cache", vq_ckpt.id)
    return [cache.get(ref.path, lambda e=ep: encode_grids(vqvae, e.frames)) for ref, ep in episodes]
