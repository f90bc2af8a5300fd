"""Atari VQ-VAE v2.3 (seed 002): 84×64 RGB in [-1, 1] -> 21×16 tokens over a small codebook, and back.

Encoder: conv 3×3, two stride-2 convs (84×64 -> 42×32 -> 21×16) with GroupNorm + GELU, residual blocks,
1×1 to the latent. Quantizer: nearest codebook entry; the codebook follows the encoder by exponential
moving averages (no codebook gradient) and codes that fall out of use are reset to encoder outputs.
Decoder: 1×1, residual blocks, two nearest-upsample + conv 3×3 stages (no checkerboard), conv 3×3, tanh.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class AtariVQVAEConfig:
    in_channels: int = 3
    hidden_channels: int = 64  # the first conv's width; the middle stage has twice as many
    latent_channels: int = 256  # codebook embedding dimension
    n_embeddings: int = 32  # codebook size = the world model's token vocabulary
    n_residual: int = 2
    groups: int = 8  # GroupNorm groups
    commitment: float = 0.25  # weight of ||z - sg(q)||^2
    ema_decay: float = 0.99
    ema_update_every: int = 10  # batches whose assignments are pooled into one EMA update
    dead_threshold: float = 0.01  # a code is dead when used less than this fraction of the average code's use
    dead_check_every: int = 500  # batches between dead-code checks
    input_h: int = 84
    input_w: int = 64

    @classmethod
    def tiny(cls) -> AtariVQVAEConfig:
        """Trains on a 2-core CPU in minutes."""
        return cls(hidden_channels=16, latent_channels=64, n_residual=1, ema_update_every=1, dead_check_every=100)

    @classmethod
    def seed(cls) -> AtariVQVAEConfig:
        """Seed 002's v2.3: about 6.0M parameters."""
        return cls()

    @classmethod
    def preset(cls, name: str) -> AtariVQVAEConfig:
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
        return getattr(cls, name)()

    @property
    def token_h(self) -> int:
        return self.input_h // 4

    @property
    def token_w(self) -> int:
        return self.input_w // 4

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS = ("tiny", "seed")


class ResidualBlock(nn.Module):
    def __init__(self, ch: int, groups: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.GroupNorm(groups, ch), nn.GELU(), nn.Conv2d(ch, ch, 3, padding=1),
            nn.GroupNorm(groups, ch), nn.GELU(), nn.Conv2d(ch, ch, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def _down(cin: int, cout: int, groups: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.GroupNorm(groups, cout), nn.GELU())


def nearest_up_conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """`conv` (3×3, padding 1) of the nearest 2× upsample of x, computed on x itself: in each of the four output
    phases the upsampled pixels repeat, so the 3×3 taps fold into a 2×2 kernel — 16 instead of 36 multiply-adds
    per input pixel and channel pair, the same result."""
    w = conv.weight
    # kernel rows for even / odd output rows: input rows (i-1, i) and (i, i+1)
    rows = ((w[:, :, 0], w[:, :, 1] + w[:, :, 2]), (w[:, :, 0] + w[:, :, 1], w[:, :, 2]))
    xp = F.pad(x, (1, 1, 1, 1))
    B, _, H, W = x.shape
    out = x.new_empty(B, w.shape[0], 2 * H, 2 * W)
    for a, (top, bottom) in enumerate(rows):
        k = torch.stack((top, bottom), dim=2)  # (cout, cin, 2, 3)
        for b, (left, right) in enumerate(((k[..., 0], k[..., 1] + k[..., 2]), (k[..., 0] + k[..., 1], k[..., 2]))):
            out[:, :, a::2, b::2] = F.conv2d(xp[:, :, a:a + H + 1, b:b + W + 1], torch.stack((left, right), -1),
                                             conv.bias)
    return out


class Up(nn.Sequential):
    """Nearest 2× upsample, conv 3×3 (no checkerboard), GroupNorm, GELU. Outside training the upsample and conv
    run as `nearest_up_conv` (the dream decodes every frame)."""

    def __init__(self, cin: int, cout: int, groups: int) -> None:
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, padding=1),
                         nn.GroupNorm(groups, cout), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return super().forward(x)
        _, conv, norm, act = self
        return act(norm(nearest_up_conv(x, conv)))


class EMAQuantizer(nn.Module):
    """Nearest-code quantizer whose codebook is an EMA of the encoder outputs assigned to each code."""

    def __init__(self, cfg: AtariVQVAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        k, d = cfg.n_embeddings, cfg.latent_channels
        self.register_buffer("embed", torch.randn(k, d) * 0.1)
        self.register_buffer("ema_size", torch.zeros(k))
        self.register_buffer("ema_sum", torch.zeros(k, d))
        self.register_buffer("pending_size", torch.zeros(k))  # assignments pooled until the next EMA update
        self.register_buffer("pending_sum", torch.zeros(k, d))
        self.register_buffer("usage", torch.zeros(k))  # assignments since the last dead-code check
        self.register_buffer("batches", torch.zeros((), dtype=torch.long))
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """z [B, D, H, W] -> indices [B, H, W] of the nearest codebook entries."""
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t() + self.embed.pow(2).sum(1)[None]
        return dist.argmin(1).view(z.shape[0], z.shape[2], z.shape[3])

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        """indices [B, H, W] -> latents [B, D, H, W]."""
        return F.embedding(idx, self.embed).permute(0, 3, 1, 2).contiguous()

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (straight-through quantized z, indices, commitment loss)."""
        if self.training and not bool(self.initialised):
            self._init_from(z)
        idx = self.codes(z)
        q = self.lookup(idx)
        if self.training:
            self._update(z.detach(), idx)
        commit = F.mse_loss(z, q.detach())
        return z + (q - z).detach(), idx, commit

    @torch.no_grad()
    def _init_from(self, z: torch.Tensor) -> None:
        flat = z.detach().permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        pick = torch.randint(0, flat.shape[0], (self.cfg.n_embeddings,), device=z.device)
        self.embed.copy_(flat[pick])
        self.ema_sum.copy_(self.embed)
        self.ema_size.fill_(1.0)
        self.initialised.fill_(True)

    @torch.no_grad()
    def _update(self, z: torch.Tensor, idx: torch.Tensor) -> None:
        cfg = self.cfg
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        onehot = F.one_hot(idx.reshape(-1), cfg.n_embeddings).type_as(flat)
        counts = onehot.sum(0)
        self.pending_size += counts
        self.pending_sum += onehot.t() @ flat
        self.usage += counts
        self.batches += 1
        if int(self.batches) % cfg.ema_update_every == 0:
            d = cfg.ema_decay
            self.ema_size.mul_(d).add_(self.pending_size, alpha=1 - d)
            self.ema_sum.mul_(d).add_(self.pending_sum, alpha=1 - d)
            n = self.ema_size.sum()
            size = (self.ema_size + 1e-5) / (n + cfg.n_embeddings * 1e-5) * n  # Laplace smoothing
            self.embed.copy_(self.ema_sum / size[:, None])
            self.pending_size.zero_()
            self.pending_sum.zero_()
        if int(self.batches) % cfg.dead_check_every == 0:
            self._reset_dead(flat)

    @torch.no_grad()
    def _reset_dead(self, flat: torch.Tensor) -> None:
        dead = self.usage < self.cfg.dead_threshold * self.usage.mean()
        n = int(dead.sum())
        if n:
            pick = torch.randint(0, flat.shape[0], (n,), device=flat.device)
            self.embed[dead] = flat[pick]
            self.ema_sum[dead] = flat[pick] * self.ema_size.mean()
            self.ema_size[dead] = self.ema_size.mean()
        self.usage.zero_()


class AtariVQVAE(nn.Module):
    def __init__(self, cfg: AtariVQVAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h, h2, d, g = cfg.hidden_channels, cfg.hidden_channels * 2, cfg.latent_channels, cfg.groups
        self.encoder = nn.Sequential(
            nn.Conv2d(cfg.in_channels, h, 3, padding=1),
            _down(h, h2, g),
            _down(h2, d, g),
            *[ResidualBlock(d, g) for _ in range(cfg.n_residual)],
            nn.Conv2d(d, d, 1),
        )
        self.quantizer = EMAQuantizer(cfg)
        self.decoder = nn.Sequential(
            nn.Conv2d(d, d, 1),
            *[ResidualBlock(d, g) for _ in range(cfg.n_residual)],
            Up(d, h2, g),
            Up(h2, h, g),
            nn.Conv2d(h, cfg.in_channels, 3, padding=1),
            nn.Tanh(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """float [B, 3, 84, 64] in [-1, 1] -> long [B, 21, 16]."""
        return self.quantizer.codes(self.encoder(x))

    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        """long [B, 21, 16] -> float [B, 3, 84, 64] in [-1, 1]."""
        return self.decoder(self.quantizer.lookup(tokens))

    def decode_latents(self, z: torch.Tensor) -> torch.Tensor:
        """Codebook latents [B, D, 21, 16] -> images (for callers that look codes up themselves)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        q, tokens, commit = self.quantizer(self.encoder(x))
        recon = self.decoder(q)
        mse = F.mse_loss(recon, x)
        losses = {"recon": mse, "commit": commit, "loss": mse + self.cfg.commitment * commit}
        return recon, tokens, losses
