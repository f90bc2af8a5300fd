"""The dream engine: play Breakout inside the world model, one frame per `step(action)`.

Per frame: one pass of the current frame's 336 tokens + the action through a "cached"-layout world model
(the earlier frames' keys/values sit in a ring cache of `history` frames), sampling of the next frame's
tokens (greedy or with a temperature), and the VQ-VAE decoder to pixels. The world model's Linear layers
can be int8 (dynamic quantization), which is what makes the seed size fast on a laptop CPU.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import Tensor, nn

from models.atari_world_model import AtariWorldModel, FrameCache


class DreamError(Exception):
    """The engine cannot dream with what it was given; the message says what and what to do."""


class Decoder(Protocol):
    def decode(self, tokens: Tensor) -> Tensor: ...  # long (B, 21, 16) -> float (B, 3, 84, 64) in [-1, 1]
    # and, for reset_frames, encode: float (B, 3, 84, 64) in [-1, 1] -> long (B, 21, 16)


@dataclass
class DreamEngineConfig:
    quantize: bool = True  # int8 dynamic quantization of the world model's Linear layers
    seed: int = 0  # for temperature sampling
    skip_unchanged_decode: bool = True  # reuse the last image when the sampled tokens equal the last frame's


@dataclass
class DreamFrame:
    tokens: Tensor  # long (21, 16)
    image: np.ndarray  # uint8 (84, 64, 3)
    ms: dict[str, float] = field(default_factory=dict)  # "world_model", "sampling", "decode", "total"


def quantize_linears(model: nn.Module) -> nn.Module:
    """A copy of `model` whose Linear layers run int8 weights with dynamically quantized activations."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao; it still works
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)


def to_image(x: Tensor) -> np.ndarray:
    """float (3, H, W) in [-1, 1] -> uint8 (H, W, 3)."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def sample(logits: Tensor, temperature: float, generator: torch.Generator | None = None) -> Tensor:
    """logits (..., V) -> token ids (...): argmax at temperature 0, else a draw from softmax(logits / T)."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).view(probs.shape[:-1])


class DreamEngine:
    def __init__(self, world_model: AtariWorldModel, vqvae: Decoder, cfg: DreamEngineConfig | None = None):
        self.cfg = cfg or DreamEngineConfig()
        wcfg = world_model.cfg
        if wcfg.layout != "cached":
            raise DreamError(f"the dream engine needs a world model with the 'cached' layout, not {wcfg.layout!r}; "
                             "train one with the cached architecture")
        self.wm_cfg = wcfg
        model = world_model.eval()
        self.model = quantize_linears(model) if self.cfg.quantize else model
        self.vqvae = vqvae.eval() if isinstance(vqvae, nn.Module) else vqvae
        self.generator = torch.Generator().manual_seed(self.cfg.seed)
        self.cache: FrameCache | None = None
        self.current: Tensor | None = None  # long (336,): the frame the next step acts on
        self.image: np.ndarray | None = None

    @torch.no_grad()
    def reset(self, history_tokens: Tensor, history_actions: Tensor | None = None) -> np.ndarray:
        """Start from real frames: history_tokens long (H, 21, 16) or (H, 336), oldest first; history_actions
        long (H,) or (H-1,), the action taken on each frame. The last frame is the one the next `step` acts
        on with its action, so history_actions[H-1], when given, is not used. Returns the last frame's image."""
        S = self.wm_cfg.n_tokens
        tokens = history_tokens.reshape(-1, S).long()
        H = tokens.shape[0]
        actions = torch.zeros(0, dtype=torch.long) if history_actions is None else history_actions.reshape(-1).long()
        if H == 0 or actions.shape[0] < H - 1:
            raise DreamError(f"a dream starts from at least one frame and the action taken on each frame before the "
                             f"last; got {H} frames and {actions.shape[0]} actions")
        self.generator.manual_seed(self.cfg.seed)
        self.cache = FrameCache(self.wm_cfg)
        # every frame goes through the cache, so the dream continues exactly as the model's forward would
        for t in range(H - 1):
            self.model.forward_frame(tokens[t][None], actions[t][None], self.cache)
        self.current = tokens[-1]
        self.image = self._decode(self.current)
        return self.image

    @torch.no_grad()
    def reset_frames(self, frames: Tensor, history_actions: Tensor | None = None) -> np.ndarray:
        """`reset` from preprocessed frames, float (H, 3, 84, 64) in [-1, 1] (`atari_frames.to_model`), through the
        VQ-VAE's encoder."""
        return self.reset(self.vqvae.encode(frames), history_actions)

    @torch.no_grad()
    def step(self, action: int, temperature: float = 0.0) -> DreamFrame:
        """Dream the frame that `action` on the current frame leads to."""
        if self.cache is None or self.current is None:
            raise DreamError("the dream has not started: call reset() with real frames first")
        if not 0 <= action < self.wm_cfg.n_actions:
            raise DreamError(f"action {action} is not one of the world model's {self.wm_cfg.n_actions} actions")
        t0 = time.perf_counter()
        logits = self.model.forward_frame(self.current[None], torch.tensor([action]), self.cache)[0]
        t1 = time.perf_counter()
        tokens = sample(logits, temperature, self.generator)
        t2 = time.perf_counter()
        if not (self.cfg.skip_unchanged_decode and torch.equal(tokens, self.current)):
            self.image = self._decode(tokens)
        t3 = time.perf_counter()
        self.current = tokens
        ms = {"world_model": t1 - t0, "sampling": t2 - t1, "decode": t3 - t2, "total": t3 - t0}
        grid = tokens.view(self.wm_cfg.token_h, self.wm_cfg.token_w)
        return DreamFrame(grid, self.image, {k: v * 1e3 for k, v in ms.items()})

    def _decode(self, tokens: Tensor) -> np.ndarray:
        grid = tokens.view(1, self.wm_cfg.token_h, self.wm_cfg.token_w)
        return to_image(self.vqvae.decode(grid)[0])
