"""A tiny, untrained dream for the dream tests: a VQ-VAE and a world-model checkpoint written through
trainers/checkpoint.py exactly as the trainers write them (the world model names its VQ-VAE as parent)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from trainers.checkpoint import save_checkpoint, step_folder


def write_dream(root: Path, layout: str = "cached") -> Path:
    """Runs root/vqvae and root/wm, each with one checkpoint; returns the world model's run folder."""
    torch.manual_seed(0)
    vq_cfg = AtariVQVAEConfig.tiny()
    vq = save_checkpoint(step_folder(root / "vqvae", 1), "atari-vqvae", "tiny", vq_cfg.to_dict(),
                         AtariVQVAE(vq_cfg).state_dict(), 1)
    wm_cfg = AtariWorldModelConfig.tiny(n_vocab=vq_cfg.n_embeddings, n_layers=1, layout=layout)
    parents = {"vqvae": {"id": vq.id, "path": str(vq.path.resolve()), "kind": vq.kind}}
    save_checkpoint(step_folder(root / "wm", 1), "atari-wm", "tiny", wm_cfg.to_dict(),
                    AtariWorldModel(wm_cfg).state_dict(), 1, parents=parents)
    return root / "wm"


@pytest.fixture(scope="session")
def dream_run(tmp_path_factory) -> Path:
    return write_dream(tmp_path_factory.mktemp("dream"))
