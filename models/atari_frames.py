"""The one Atari frame preprocessing that training, evaluation and the dream share.

An ALE step with frameskip 4 shows only its last emulator frame; Breakout draws some objects on alternate
frames, so the frame a model sees is the pixel-wise max of the step's last two emulator frames, resized
(aspect preserved: 210/160 = 84/64) to 84×64 RGB.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

FRAME_H, FRAME_W = 84, 64


def preprocess(frame: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """uint8 [..., 210, 160, 3] (+ the emulator frame before it, or None) -> uint8 [..., 84, 64, 3].

    Works on one frame or a batch; `previous` None means no earlier emulator frame is known (the reset frame,
    or recordings made before the previous frame was stored): the frame is used alone.
    """
    frame = np.asarray(frame, dtype=np.uint8)
    pooled = frame if previous is None else np.maximum(frame, np.asarray(previous, dtype=np.uint8))
    x = torch.from_numpy(np.ascontiguousarray(pooled))
    single = x.ndim == 3
    x = x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2).float()
    y = F.interpolate(x, size=(FRAME_H, FRAME_W), mode="bilinear", antialias=True, align_corners=False)
    out = y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out[0] if single else out.reshape(*frame.shape[:-3], FRAME_H, FRAME_W, 3)


def to_model(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [..., 84, 64, 3] -> float [..., 3, 84, 64] in [-1, 1]."""
    t = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x)
    return t.movedim(-1, -3).float().div(127.5).sub(1.0)


def from_model(x: torch.Tensor) -> np.ndarray:
    """float [..., 3, 84, 64] in [-1, 1] -> uint8 [..., 84, 64, 3]."""
    y = x.detach().float().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    return y.movedim(-3, -1).cpu().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images (or batches), over all their pixels."""
    mse = float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)
