"""The Breakout world model's gold suite (seed 002) on held-out episodes, with frozen windows.

For each window: `history` real frames of context, then the model predicts open loop (greedy, its own
predictions fed back, the recorded actions) up to 10 frames ahead. Reported:
- acc_1, acc_5, acc_10: token accuracy of the predicted frame 1, 5 and 10 steps ahead (acc_1 is the seed's
  val_acc, acc_5 / acc_10 its rollout_acc_h5 / h10);
- changed_acc_1/5/10: the same, only over the tokens that differ from the last real context frame;
- copy_acc_1/5/10: the "copy the last frame" baseline on all tokens (on changed tokens it scores 0 by definition,
  so changed_acc is the model's gain where it matters), and changed_frac_* how many tokens change;
- action_sensitivity: mean per-token KL(p(next | LEFT) || p(next | RIGHT)) of the 1-step prediction;
- psnr_1 / psnr_5: PSNR of the decoded predicted frames against the real 84×64 frames, beside
  psnr_vqvae, the PSNR of the decoded real tokens (the ceiling the VQ-VAE sets).
The windows are drawn with a fixed seed from the validation episodes' names and lengths, so every
checkpoint trained on the same data is scored on the same windows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.atari_frames import from_model, psnr

HORIZONS = (1, 5, 10)
LEFT, RIGHT = 3, 2  # ALE minimal action indices of Breakout
EVAL_SEED = 20240  # fixed: the gold windows never change for the same episodes


@dataclass
class TokenEpisode:
    name: str
    tokens: np.ndarray  # uint8 [T+1, 21, 16]
    actions: np.ndarray  # int64 [T]
    frames: np.ndarray | None = None  # uint8 [T+1, 84, 64, 3], for PSNR
    weights: np.ndarray | None = None  # per step sampling weight


def gold_windows(episodes: Sequence[TokenEpisode], n: int, length: int) -> list[tuple[int, int]]:
    """(episode index, first frame) of up to n windows of `length` frames, chosen by a fixed seed."""
    names = "|".join(f"{e.name}:{len(e.tokens)}" for e in episodes)
    rng = np.random.default_rng([EVAL_SEED, int(hashlib.sha1(names.encode()).hexdigest()[:8], 16)])
    starts = [(i, s) for i, e in enumerate(episodes) for s in range(len(e.tokens) - length + 1)]
    if not starts:
        return []
    pick = rng.choice(len(starts), size=min(n, len(starts)), replace=False)
    return sorted(starts[int(p)] for p in pick)


def _batch(episodes: Sequence[TokenEpisode], windows: Sequence[tuple[int, int]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens = np.stack([episodes[i].tokens[s : s + length] for i, s in windows])
    actions = np.stack([np.pad(episodes[i].actions[s : s + length - 1], (0, 1)) for i, s in windows])
    return torch.from_numpy(tokens.astype(np.int64)).flatten(2), torch.from_numpy(actions)


@torch.no_grad()
def rollout(model: torch.nn.Module, context: torch.Tensor, actions: torch.Tensor, steps: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Greedy open-loop prediction: context (B, H, 336), actions (B, H + steps - 1) -> `steps` predicted frames
    (B, 336) each, and the logits of the first one. Each prediction sees the last H frames, as in training."""
    seq, preds, first, history = context, [], None, context.shape[1]
    for _ in range(steps):
        start = seq.shape[1] - history
        logits = model(seq[:, start:], actions[:, start : seq.shape[1]])[:, -1]
        first = logits if first is None else first
        preds.append(logits.argmax(-1))
        seq = torch.cat((seq, preds[-1][:, None]), dim=1)
    return preds, first


@torch.no_grad()
def evaluate_world_model(
    model: torch.nn.Module,
    episodes: Sequence[TokenEpisode],
    windows: Sequence[tuple[int, int]],
    history: int,
    vqvae: torch.nn.Module | None = None,
    device: torch.device | str = "cpu",
    batch: int = 16,
    horizons: Sequence[int] = HORIZONS,
) -> dict[str, float]:
    """The metrics described above, averaged over the windows."""
    model.eval()
    steps = max(horizons)
    length = history + steps
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}

    def add(key: str, value: float, n: float = 1.0) -> None:
        sums[key] = sums.get(key, 0.0) + value
        counts[key] = counts.get(key, 0.0) + n

    for b in range(0, len(windows), batch):
        win = windows[b : b + batch]
        tokens, actions = _batch(episodes, win, length)
        tokens, actions = tokens.to(device), actions.to(device)
        context, last = tokens[:, :history], tokens[:, history - 1]
        preds, _ = rollout(model, context, actions, steps)
        for h in horizons:
            target, pred = tokens[:, history - 1 + h], preds[h - 1]
            changed = target != last
            add(f"acc_{h}", float((pred == target).float().sum()), target.numel())
            add(f"copy_acc_{h}", float((last == target).float().sum()), target.numel())
            add(f"changed_acc_{h}", float(((pred == target) & changed).float().sum()), float(changed.sum()))
            add(f"changed_frac_{h}", float(changed.float().sum()), target.numel())
        # action sensitivity: the same context, the last action replaced by LEFT or by RIGHT
        acts = actions[:, :history].clone()
        acts[:, -1] = LEFT
        p_left = F.log_softmax(model(context, acts)[:, -1].float(), -1)
        acts[:, -1] = RIGHT
        p_right = F.log_softmax(model(context, acts)[:, -1].float(), -1)
        kl = (p_left.exp() * (p_left - p_right)).sum(-1)
        add("action_sensitivity", float(kl.sum()), kl.numel())
        if vqvae is not None and all(episodes[i].frames is not None for i, _ in win):
            shape = (-1, *episodes[0].tokens.shape[1:])
            for h in (1, 5):
                if h > steps:
                    continue
                real = np.stack([episodes[i].frames[s + history - 1 + h] for i, s in win])
                decoded = from_model(vqvae.decode(preds[h - 1].view(shape)))
                add(f"psnr_{h}", psnr(decoded, real) * len(win), len(win))
                if h == 1:
                    ceiling = from_model(vqvae.decode(tokens[:, history].view(shape)))
                    add("psnr_vqvae", psnr(ceiling, real) * len(win), len(win))
    return {k: sums[k] / counts[k] if counts[k] else float("nan") for k in sums}


def held_out(refs: Sequence, ckpt_data: dict) -> list:
    """The episodes a checkpoint never trained on (by file name); DataError when all of them were trained on."""
    from trainers.data import DataError

    trained = set(ckpt_data.get("train_episodes", []))
    out = [r for r in refs if r.path.name not in trained]
    if not out:
        raise DataError(
            "Every episode in the --data folders was used to train this checkpoint; evaluate on held-out "
            "recordings (record new ones, or pass the folder the checkpoint's validation episodes are in)."
        )
    return out


def eval_atari_vqvae(path, data: Sequence, max_frames: int = 2048) -> dict[str, float]:
    """PSNR and codebook usage of a VQ-VAE checkpoint on the held-out episodes under `data`."""
    from trainers.atari_data import find_breakout, load_episodes
    from trainers.atari_vqvae_train import eval_subset, score_vqvae, stack_frames
    from trainers.atari_wm_train import load_vqvae

    vqvae, ckpt = load_vqvae(path)
    refs = held_out(find_breakout(data)[0], ckpt.meta.get("data", {}))
    frames = eval_subset(stack_frames(load_episodes(refs))[0], max_frames)
    return {"episodes": float(len(refs)), "frames": float(len(frames)), **score_vqvae(vqvae, frames)}


def eval_atari_wm(path, data: Sequence, vqvae_path=None, windows: int = 256) -> dict[str, float]:
    """The gold suite of a world-model checkpoint on the held-out episodes under `data`."""
    from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
    from trainers.atari_data import find_breakout
    from trainers.atari_wm_train import load_vqvae, token_episodes
    from trainers.checkpoint import CheckpointError, check_parent, load_checkpoint
    from trainers.data import DataError

    ckpt = load_checkpoint(path, "atari-wm")
    parent = ckpt.parent("vqvae")
    if vqvae_path is None and parent is None:
        raise CheckpointError(f"{ckpt.path} does not name its VQ-VAE; pass it with --vqvae.")
    vqvae, vq_ckpt = load_vqvae(vqvae_path or parent["path"])
    check_parent(ckpt, "vqvae", vq_ckpt)
    try:
        model = AtariWorldModel(AtariWorldModelConfig.from_dict(ckpt.config))
        model.load_state_dict(ckpt.model_state)
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{ckpt.path} does not fit this ARIA's world model ({str(e).splitlines()[0][:100]}); retrain it.") from None
    history = model.cfg.history
    refs = held_out(find_breakout(data, min_steps=history + max(HORIZONS))[0], ckpt.meta.get("data", {}))
    episodes = token_episodes(refs, vqvae, vq_ckpt, with_frames=True)
    chosen = gold_windows(episodes, windows, history + max(HORIZONS))
    if not chosen:
        raise DataError(f"The held-out episodes are shorter than {history + max(HORIZONS)} frames; record longer ones.")
    metrics = evaluate_world_model(model, episodes, chosen, history, vqvae)
    return {"episodes": float(len(refs)), "windows": float(len(chosen)), **metrics}
