"""Breakout recordings as model-ready arrays: 84×64 frames, actions, step weights, and cached tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.atari_frames import preprocess, to_model
from recorder import open_episode
from trainers.data import EpisodeRef, TokenCache, find_episodes, step_weights

GAME = "breakout"
WANTED = "Breakout recordings"
HINT = "`aria record breakout --headless --agent scripted --episodes 20 --out DIR` makes some"


@dataclass
class AtariEpisode:
    name: str
    frames: np.ndarray  # uint8 [T+1, 84, 64, 3]
    actions: np.ndarray  # int64 [T]
    weights: np.ndarray  # float [T], human steps 5×


def find_breakout(folders: Sequence[Path | str], min_steps: int = 1) -> tuple[list[EpisodeRef], list[str]]:
    return find_episodes(folders, lambda s: s.game == GAME and s.frame_kind == "rgb", WANTED, HINT, min_steps)


def load_episode(ref: EpisodeRef) -> AtariEpisode:
    """Frames preprocessed with the step's previous emulator frame when the file has it (see FORMAT.md)."""
    with open_episode(ref.path) as ep:
        obs = np.asarray(ep.observations[:])
        offsets = ep.step_frame_offsets
        frames = np.empty((obs.shape[0], 84, 64, 3), np.uint8)
        frames[0] = preprocess(obs[0])
        # Steps recorded with their previous emulator frame have it as their last animation frame.
        has_previous = np.diff(offsets) > 0
        if not has_previous.any():
            frames[1:] = preprocess(obs[1:])
        else:
            for t in range(ep.steps):
                previous = ep.step_frames(t)[-2] if has_previous[t] else None
                frames[t + 1] = preprocess(obs[t + 1], previous)
        return AtariEpisode(ref.path.name, frames, ep.actions.astype(np.int64), step_weights(ep.controllers))


def load_episodes(refs: Sequence[EpisodeRef]) -> list[AtariEpisode]:
    return [load_episode(r) for r in refs]


@torch.no_grad()
def encode_frames(vqvae: torch.nn.Module, frames: np.ndarray, device: torch.device | str = "cpu", batch: int = 256) -> np.ndarray:
    """uint8 [N, 84, 64, 3] -> uint8 [N, 21, 16] tokens (the codebook has at most 256 codes)."""
    vqvae.eval()
    out = [vqvae.encode(to_model(frames[i : i + batch]).to(device)).to(torch.uint8).cpu() for i in range(0, len(frames), batch)]
    return torch.cat(out).numpy()


def episode_tokens(vqvae: torch.nn.Module, cache: TokenCache, ref: EpisodeRef, device: torch.device | str = "cpu") -> tuple[np.ndarray, AtariEpisode | None]:
    """Tokens of one episode, encoded once per VQ-VAE and then read from the cache (the episode is loaded only if needed)."""
    loaded: list[AtariEpisode] = []

    def encode() -> np.ndarray:
        loaded.append(load_episode(ref))
        return encode_frames(vqvae, loaded[0].frames, device)

    tokens = cache.get(ref.path, encode)
    return tokens, (loaded[0] if loaded else None)


def episode_actions(ref: EpisodeRef) -> tuple[np.ndarray, np.ndarray]:
    """Actions and step weights of an episode, without reading its frames."""
    with open_episode(ref.path) as ep:
        return ep.actions.astype(np.int64), step_weights(ep.controllers)
