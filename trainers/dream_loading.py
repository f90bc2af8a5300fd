"""Load a dream: a world-model checkpoint (cached layout) and the VQ-VAE checkpoint its tokens came from.

`find_dream(folder)` finds the newest complete atari-wm checkpoint under a folder of runs whose VQ-VAE is still
there; `load_dream(path, vqvae=None)` loads one (the VQ-VAE named in the world model's checkpoint unless given),
refusing with a CheckpointError sentence anything that cannot dream: a missing or damaged checkpoint, the wrong
kind, the seed layout (the dream engine runs the cached one), a VQ-VAE from another run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.atari_vqvae import AtariVQVAE
from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from trainers.atari_wm_train import load_vqvae
from trainers.checkpoint import META_FILE, Checkpoint, CheckpointError, check_parent, latest_checkpoint, load_checkpoint

WM_KIND = "atari-wm"


@dataclass
class Dream:
    world_model: AtariWorldModel
    vqvae: AtariVQVAE
    wm_checkpoint: Checkpoint
    vqvae_checkpoint: Checkpoint

    @property
    def name(self) -> str:
        """How the header and recordings name it: the run folder and the step."""
        path = self.wm_checkpoint.path
        run = path.parent.parent if path.parent.name == "checkpoints" else path
        return f"{run.name} step {self.wm_checkpoint.step}"


def load_dream(path: Path | str, vqvae: Path | str | None = None) -> Dream:
    """The world model at `path` (checkpoint or run folder) and its VQ-VAE, ready for the dream engine."""
    ckpt = load_checkpoint(path, WM_KIND)
    parent = ckpt.parent("vqvae")
    if vqvae is None:
        if parent is None or not parent.get("path"):
            raise CheckpointError(f"{ckpt.path} does not name the VQ-VAE it was trained on; pass that VQ-VAE too.")
        vqvae = parent["path"]
        if not Path(vqvae).exists():
            raise CheckpointError(
                f"The VQ-VAE {vqvae} that {ckpt.path} was trained on is gone; restore it or retrain the world model."
            )
    vq_model, vq_ckpt = load_vqvae(vqvae)
    check_parent(ckpt, "vqvae", vq_ckpt)
    try:
        cfg = AtariWorldModelConfig.from_dict(ckpt.config)
        model = AtariWorldModel(cfg)
        model.load_state_dict(ckpt.model_state)
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(
            f"{ckpt.path} does not fit this ARIA's world model ({str(e).splitlines()[0][:100]}); retrain it."
        ) from None
    if cfg.layout != "cached":
        raise CheckpointError(
            f"{ckpt.path} has the seed layout, but the dream runs the cached one; train it with `--arch cached`."
        )
    if cfg.n_vocab != vq_model.cfg.n_embeddings:
        raise CheckpointError(f"{ckpt.path} predicts {cfg.n_vocab} codes but its VQ-VAE has "
                              f"{vq_model.cfg.n_embeddings}; pass the VQ-VAE it was trained on.")
    return Dream(model.eval(), vq_model, ckpt, vq_ckpt)


def find_dream(folder: Path | str) -> Path | None:
    """The newest complete world-model checkpoint (cached layout) under `folder` whose VQ-VAE is present, or None.
    Looks at `folder` itself and at run folders up to two levels below it."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return None
    runs = [folder, *folder.glob("*"), *folder.glob("*/*")]
    found: list[tuple[str, Path]] = []
    for run in runs:
        latest = latest_checkpoint(run) if run.is_dir() else None
        if latest is None:
            continue
        try:
            ckpt = load_checkpoint(latest, WM_KIND, tensors=False)
        except CheckpointError:
            continue
        parent = ckpt.parent("vqvae") or {}
        if ckpt.config.get("layout", "cached") != "cached" or not parent.get("path"):
            continue
        if not (Path(parent["path"]) / META_FILE).exists() and latest_checkpoint(Path(parent["path"])) is None:
            continue
        found.append((str(ckpt.meta.get("created", "")), latest))
    return max(found)[1] if found else None
