"""Temporal world model v2.1 for Breakout (seed 002): predicts the next frame's 21×16 VQ tokens.

Two layouts of the same weights-shape family, chosen by `AtariWorldModelConfig.layout`:

- "cached" (default): one block of 337 tokens per frame (its 336 tokens + the action taken on it).
  Attention is block-causal over frames with a sliding window of `history` frames (a frame sees its own
  block and the `history - 1` blocks before it), and temporal positions are rotary over the frame index,
  so attention scores depend only on frame distances and cached keys stay valid when the window moves.
  The outputs at frame t's token positions are the logits of frame t+1. Training runs all T frames in one
  pass; the dream engine runs one 337-token pass per frame with the earlier frames' keys/values cached:
  both go through `embed_frames`, the same blocks and `logits`, so they are the same function.
  As with any stacked sliding-window attention, frames older than the window still reach the output
  indirectly, through the cached representations of the frames inside it.
  `temporal` says what a frame's tokens see of the earlier frames in the window: "window" = all their tokens;
  "cell" (the default) = only the same grid cell and the action tokens, as in the space-time factorised
  transformers of video world models (Genie): the frame's own block carries the spatial mixing, layer by layer,
  so a cell still learns where the ball came from, and a dream frame attends to 337 + 2·3 keys instead of 1348.
  Training applies it as a mask; the cached pass computes exactly that attention (the tests compare them).
- "seed": the seed's sequence, rebuilt for every predicted frame: 4 history frames × 336 tokens with
  learned temporal embeddings 0..3, the action token, and 336 query tokens (temporal embedding 4, action
  spatial bias, FiLM); full attention over the 1681 tokens; logits from the queries. Frames before the
  first one are filled with copies of it. Kept to train side by side with "cached" on the same data.

Both layouts share token, action and 2-D spatial embeddings, the per-action spatial bias, FiLM,
10 pre-LN blocks (d=256, 8 heads, FF 1024, GELU) and a LayerNorm + Linear head.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Layout = Literal["cached", "seed"]
Temporal = Literal["window", "cell"]


@dataclass
class AtariWorldModelConfig:
    n_vocab: int = 32  # the VQ-VAE's codebook size
    n_actions: int = 4  # NOOP, FIRE, RIGHT, LEFT (ALE minimal action indices, as recorded)
    token_h: int = 21
    token_w: int = 16
    history: int = 4  # frames a prediction attends to directly (the current one included)
    d_model: int = 256
    n_heads: int = 8
    n_layers: int = 10
    d_ff: int = 1024
    dropout: float = 0.1
    film_scale: float = 0.2  # FiLM: x * (1 + film_scale * tanh(film[action]))
    layout: Layout = "cached"
    rope_base: float = 100.0  # rotary frequencies over frame distances ("cached"); frames are few, so a small base
    temporal: Temporal = "cell"  # "cached" only: what a frame sees of the earlier frames (see the module docstring)

    @classmethod
    def tiny(cls, **overrides) -> AtariWorldModelConfig:
        return cls(**{"d_model": 64, "n_heads": 4, "n_layers": 3, "d_ff": 256, "dropout": 0.0, **overrides})

    @classmethod
    def seed(cls, **overrides) -> AtariWorldModelConfig:
        return cls(**overrides)

    def __post_init__(self) -> None:
        if self.layout not in ("cached", "seed"):
            raise ValueError(f"unknown world-model layout {self.layout!r}: use 'cached' or 'seed'")
        if self.temporal not in ("window", "cell"):
            raise ValueError(f"unknown temporal attention {self.temporal!r}: use 'window' or 'cell'")
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2 or self.d_model % 2:
            raise ValueError("d_model must split into an even head size over n_heads")

    @property
    def n_tokens(self) -> int:
        return self.token_h * self.token_w

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AtariWorldModelConfig:
        """A saved config. Those written before `temporal` existed attended to the whole window; the banded-rows
        experiment (`past_rows`) is gone."""
        d = dict(d)
        if d.pop("past_rows", None) is not None or d.pop("band_own_frame", False):
            raise ValueError("its attention over nearby rows (past_rows) is no longer supported")
        if d.get("layout", "cached") == "cached":
            d.setdefault("temporal", "window")
        return cls(**d)


def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotary position on the last dim of x (…, N, hd) with per-token cos/sin of shape (N, hd)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


def rotation(cos: Tensor, sin: Tensor) -> Tensor:
    """The (hd, hd) matrix R with x @ R == rotate(x, cos, sin) for one position's cos/sin (1, hd)."""
    c, s = cos[0], sin[0]
    half = c.shape[0] // 2
    r = torch.diag(c)
    idx = torch.arange(half, device=c.device)
    r[idx + half, idx] = -s[:half]
    r[idx, idx + half] = s[half:]
    return r


class Block(nn.Module):
    """Pre-LN transformer layer (the seed's TransformerEncoderLayer, norm_first=True, GELU) on SDPA."""

    def __init__(self, cfg: AtariWorldModelConfig):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.dropout = cfg.dropout
        self.temporal = cfg.temporal
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, cfg.d_ff)
        self.ff2 = nn.Linear(cfg.d_ff, d)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, x: Tensor, mask: Tensor | None = None, rope: tuple[Tensor, Tensor] | Tensor | None = None,
        cache: list[Tensor] | None = None, slots: CacheSlots | None = None,
    ) -> Tensor:
        """x (B, N, d); `rope` = cos/sin (N, head_dim) of x's tokens, or the (head_dim, head_dim) rotation of one
        position for all of them (`rotation`). For cached inference x is one frame's
        block and `cache` this layer's buffers in a `FrameCache` (which `slots` describes)."""
        B, N, d = x.shape
        q, k, v = qkv = self.qkv(self.ln1(x)).view(B, N, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        if isinstance(rope, Tensor):  # one frame position for all tokens: the rotation as one matrix
            q, k = qkv[:2] @ rope
        elif rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                               dropout_p=self.dropout if self.training else 0.0)
        elif self.temporal == "window":
            y = window_attention(q, k, v, cache, slots)
        else:
            y = cell_attention(q, k, v, cache, slots)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(B, N, d)))
        return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))


@dataclass
class CacheSlots:
    """Where one cached pass stands in the ring: the current frame's slot and the earlier frames' slots in the
    window."""

    at: int
    past: list[int]
    past_mask: Tensor  # (history,): 0 for the earlier frames' slots, -inf for the current and empty ones


class FrameCache:
    """Per-layer key/value buffers of the last `history` frames of a cached-layout model, a ring of frame slots
    (B, h, history, 337, hd); keys are stored rotated, so they carry their frame positions and the slots' order
    does not matter. `frames` counts the frames passed so far."""

    def __init__(self, cfg: AtariWorldModelConfig, batch: int = 1, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32):
        shape = (batch, cfg.n_heads, cfg.history, cfg.n_tokens + 1, cfg.d_model // cfg.n_heads)
        self.layers = [[torch.zeros(shape, device=device, dtype=dtype) for _ in range(2)]
                       for _ in range(cfg.n_layers)]
        self.frames = 0


def frame_block_mask(n_frames: int, block: int, history: int, temporal: Temporal = "window",
                     device: torch.device | None = None) -> Tensor:
    """Boolean (n_frames*block)² mask, True = may attend: a token of frame t sees every token of its own frame,
    nothing later, and of frames t-history+1 .. t-1 every token ("window") or, with "cell", only the token at
    its own place in the block (a grid token its cell, the action token the action) and the action tokens."""
    f = torch.arange(n_frames, device=device).repeat_interleave(block)
    gap = f[:, None] - f[None, :]
    allowed = (gap >= 0) & (gap < history)
    if temporal == "window":
        return allowed
    within = torch.arange(block, device=device).repeat(n_frames)
    return allowed & ((gap == 0) | (within[:, None] == within[None, :]) | (within[None, :] == block - 1))


def window_attention(q: Tensor, k: Tensor, v: Tensor, cache: list[Tensor], slots: CacheSlots) -> Tensor:
    """Full attention of one frame's block over itself and the earlier frames of the window."""
    keys, values = cache
    keys[:, :, slots.at], values[:, :, slots.at] = k, v
    n = len(slots.past) + 1  # the ring fills slots in order, so the window's slots come first
    B, h, _, N, hd = keys.shape
    return F.scaled_dot_product_attention(q, keys[:, :, :n].reshape(B, h, n * N, hd),
                                          values[:, :, :n].reshape(B, h, n * N, hd))


def attention_lse(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Softmax attention and the log-sum-exp of its scores (to add more keys afterwards). On the CPU, torch's
    fused flash kernel gives both; elsewhere the plain computation."""
    if q.device.type == "cpu":
        y, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v)[:2]
        return y, lse
    scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    return torch.softmax(scores, -1) @ v, torch.logsumexp(scores, -1)


def cell_attention(q: Tensor, k: Tensor, v: Tensor, cache: list[Tensor], slots: CacheSlots) -> Tensor:
    """`frame_block_mask(..., temporal="cell")` attention of one frame (q, k, v: B, h, 337, hd): one fused pass over
    its own block and the earlier frames' action tokens (every token sees those), then each grid token's keys at
    its own cell in the earlier frames folded in through the log-sum-exp — a few multiply-adds per token instead
    of a thousand keys."""
    keys, values = cache
    keys[:, :, slots.at], values[:, :, slots.at] = k, v
    if not slots.past:
        return attention_lse(q, k, v)[0]
    S = q.shape[2] - 1
    y, lse = attention_lse(q, torch.cat((k, keys[:, :, slots.past, S]), 2), torch.cat((v, values[:, :, slots.past, S]), 2))
    # the grid's scores against every slot at its cell, the current and empty slots masked out (cheaper than a gather)
    cell = (q[:, :, None, :S] * keys[:, :, :, :S]).sum(-1) * q.shape[-1] ** -0.5 + slots.past_mask[:, None]
    top = torch.maximum(lse[:, :, :S], cell.amax(2))
    own, cells = (lse[:, :, :S] - top).exp(), (cell - top[:, :, None]).exp()  # (B, h, S), (B, h, W, S)
    grid = (y[:, :, :S] * own[..., None] + (cells[..., None] * values[:, :, :, :S]).sum(2)) / (own + cells.sum(2))[..., None]
    return torch.cat((grid, y[:, :, S:]), 2)


class AtariWorldModel(nn.Module):
    def __init__(self, cfg: AtariWorldModelConfig):
        super().__init__()
        self.cfg = cfg
        d, S = cfg.d_model, cfg.n_tokens
        self.tok_emb = nn.Embedding(cfg.n_vocab, d)
        self.action_emb = nn.Embedding(cfg.n_actions, d)
        self.action_scale = nn.Parameter(torch.ones(1))  # the seed's learnable scale on the action token
        self.row_emb = nn.Embedding(cfg.token_h, d // 2)
        self.col_emb = nn.Embedding(cfg.token_w, d // 2)
        self.action_bias = nn.Parameter(torch.zeros(cfg.n_actions, S, d))  # per-action spatial bias
        self.film = nn.Embedding(cfg.n_actions, d)
        if cfg.layout == "seed":
            self.time_emb = nn.Embedding(cfg.history + 1, d)  # 0..history-1 = history frames, history = target
            self.query = nn.Parameter(torch.zeros(d))
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.n_vocab)
        self.apply(self._init)
        nn.init.normal_(self.action_bias, std=0.02)
        if cfg.layout == "seed":
            nn.init.normal_(self.query, std=0.02)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # --- shared pieces ---

    def spatial(self) -> Tensor:
        """(336, d): row embedding ‖ column embedding for each grid position, row-major."""
        h, w = self.cfg.token_h, self.cfg.token_w
        rows = self.row_emb.weight[:, None, :].expand(h, w, -1)
        cols = self.col_emb.weight[None, :, :].expand(h, w, -1)
        return torch.cat((rows, cols), dim=-1).reshape(h * w, -1)

    def condition(self, x: Tensor, actions: Tensor) -> Tensor:
        """Action conditioning of a frame's positions x (..., 336, d) by actions (...): spatial bias, then FiLM."""
        x = x + self.action_bias[actions]
        return x * (1 + self.cfg.film_scale * torch.tanh(self.film(actions)))[..., None, :]

    def action_token(self, actions: Tensor) -> Tensor:
        return (self.action_emb(actions) * self.action_scale)[..., None, :]

    def logits(self, x: Tensor) -> Tensor:
        return self.head(self.ln_f(x))

    def _check(self, tokens: Tensor, actions: Tensor) -> None:
        S = self.cfg.n_tokens
        if tokens.dim() != 3 or tokens.shape[-1] != S or actions.shape != tokens.shape[:2]:
            raise ValueError(f"expected tokens (B, T, {S}) and actions (B, T); got {tuple(tokens.shape)} and "
                             f"{tuple(actions.shape)}")

    def forward(self, tokens: Tensor, actions: Tensor) -> Tensor:
        """tokens long (B, T, 336), actions long (B, T) -> logits (B, T, 336, n_vocab); logits[:, t] predict
        frame t+1 from frames up to t (directly from the last `history`) and actions[:, t]."""
        self._check(tokens, actions)
        if self.cfg.layout == "seed":
            return self._forward_seed(tokens, actions)
        return self._forward_cached(tokens, actions)

    # --- "cached" layout ---

    def embed_frames(self, tokens: Tensor, actions: Tensor) -> Tensor:
        """tokens (..., 336), actions (...) -> (..., 337, d): the frame's conditioned tokens, then its action."""
        x = self.condition(self.tok_emb(tokens) + self.spatial(), actions)
        return self.drop(torch.cat((x, self.action_token(actions)), dim=-2))

    def rope(self, positions: Tensor) -> tuple[Tensor, Tensor]:
        """cos/sin (N, head_dim) for per-token frame positions (N,). Angles in float64 on the CPU, so a dream
        thousands of frames long rotates as exactly as frame 0 (scores depend on differences only)."""
        hd = self.cfg.d_model // self.cfg.n_heads
        inv = self.cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angles = positions.cpu().double()[:, None] * inv[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos().float().to(positions.device), angles.sin().float().to(positions.device)

    def _forward_cached(self, tokens: Tensor, actions: Tensor) -> Tensor:
        B, T, S = tokens.shape
        block = S + 1
        x = self.embed_frames(tokens, actions).reshape(B, T * block, -1)
        allowed = frame_block_mask(T, block, self.cfg.history, self.cfg.temporal, tokens.device)
        mask = torch.zeros(allowed.shape, device=tokens.device).masked_fill(~allowed, float("-inf"))  # SDPA: faster
        rope = self.rope(torch.arange(T, device=tokens.device).repeat_interleave(block))
        for blk in self.blocks:
            x = blk(x, mask, rope)
        return self.logits(x.view(B, T, block, -1)[:, :, :S])

    def forward_frame(self, tokens: Tensor, actions: Tensor, cache: FrameCache) -> Tensor:
        """One frame's pass for cached inference: tokens (B, 336), actions (B) -> logits of the next frame
        (B, 336, n_vocab). Writes the frame's keys/values into `cache` (its oldest frame's slot once full)."""
        slots = self.cache_slots(cache.frames, tokens.device)
        x = self.embed_frames(tokens, actions)
        rope = rotation(*self.rope(torch.tensor([cache.frames], device=tokens.device)))  # one position for the block
        for blk, layer in zip(self.blocks, cache.layers, strict=True):
            x = blk(x, None, rope, layer, slots)
        cache.frames += 1
        return self.logits(x[:, :self.cfg.n_tokens])

    def cache_slots(self, frame: int, device: torch.device) -> CacheSlots:
        W = self.cfg.history
        past = [(frame - d) % W for d in range(1, min(frame, W - 1) + 1)]
        mask = torch.full((W,), float("-inf"), device=device)
        mask[past] = 0.0
        return CacheSlots(frame % W, past, mask)

    # --- "seed" layout ---

    def seed_sequence(self, history: Tensor, actions: Tensor) -> Tensor:
        """history (N, H, 336), actions (N,) -> the seed's (N, H*336 + 1 + 336, d) input sequence."""
        N, H, S = history.shape
        pos = self.spatial()
        hist = self.tok_emb(history) + pos + self.time_emb.weight[:H, None, :]
        query = self.query + pos + self.time_emb.weight[H]
        query = self.condition(query.expand(N, S, -1), actions)
        return self.drop(torch.cat((hist.reshape(N, H * S, -1), self.action_token(actions), query), dim=1))

    def predict_next(self, history: Tensor, actions: Tensor) -> Tensor:
        """The seed's one prediction: history (B, history, 336), actions (B) -> logits (B, 336, n_vocab)."""
        if self.cfg.layout != "seed":
            raise ValueError("predict_next is the seed layout's per-frame recompute; cached models use forward_frame")
        x = self.seed_sequence(history, actions)
        for blk in self.blocks:
            x = blk(x)
        return self.logits(x[:, -self.cfg.n_tokens:])

    def _forward_seed(self, tokens: Tensor, actions: Tensor) -> Tensor:
        B, T, S = tokens.shape
        H = self.cfg.history
        # window t holds frames t-H+1..t, frames before 0 clamped to frame 0
        idx = (torch.arange(T, device=tokens.device)[:, None] + torch.arange(-H + 1, 1, device=tokens.device)).clamp(min=0)
        return self.predict_next(tokens[:, idx].reshape(B * T, H, S), actions.reshape(B * T)).view(B, T, S, -1)
