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
  Optional locality (`past_rows`, `band_own_frame`): grid tokens see other frames' (and optionally their own
  frame's) grid only in nearby rows. Training applies it as a mask; the cached pass skips the masked work
  with fused attention over the own block, a strided band of the cache and the action tokens, merged by
  log-sum-exp — the same function again (the tests compare them).
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
    # "cached" only: None = a frame's tokens attend to every token of the frames in the window; R = a grid token
    # attends to the earlier frames' grid tokens only in rows within R of its own (and to all their action
    # tokens): fewer keys per dream frame (337 + 3*(16*(2R+1)+1) instead of 1348)
    past_rows: int | None = None
    band_own_frame: bool = False  # with past_rows R: a grid token sees its own frame's grid only within R rows too

    @classmethod
    def tiny(cls, **overrides) -> AtariWorldModelConfig:
        return cls(**{"d_model": 64, "n_heads": 4, "n_layers": 3, "d_ff": 256, "dropout": 0.0, **overrides})

    @classmethod
    def seed(cls, **overrides) -> AtariWorldModelConfig:
        return cls(**overrides)

    def __post_init__(self) -> None:
        if self.layout not in ("cached", "seed"):
            raise ValueError(f"unknown world-model layout {self.layout!r}: use 'cached' or 'seed'")
        if self.layout == "seed" and (self.past_rows is not None or self.band_own_frame):
            raise ValueError("past_rows and band_own_frame belong to the 'cached' layout")
        if self.band_own_frame and self.past_rows is None:
            raise ValueError("band_own_frame needs past_rows (the band's half-height in rows)")
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2 or self.d_model % 2:
            raise ValueError("d_model must split into an even head size over n_heads")

    @property
    def n_tokens(self) -> int:
        return self.token_h * self.token_w

    def to_dict(self) -> dict:
        return asdict(self)


def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotary position on the last dim of x (…, N, hd) with per-token cos/sin of shape (N, hd)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(nn.Module):
    """Pre-LN transformer layer (the seed's TransformerEncoderLayer, norm_first=True, GELU) on SDPA."""

    def __init__(self, cfg: AtariWorldModelConfig):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.dropout = cfg.dropout
        self.past_rows = cfg.past_rows
        self.band_own_frame = cfg.band_own_frame
        self.token_w = cfg.token_w
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, cfg.d_ff)
        self.ff2 = nn.Linear(cfg.d_ff, d)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, x: Tensor, mask: Tensor | None = None, rope: tuple[Tensor, Tensor] | None = None,
        cache: list[Tensor] | None = None, slots: CacheSlots | None = None,
    ) -> Tensor:
        """x (B, N, d); `rope` = cos/sin (N or 1, head_dim) of x's tokens. For cached inference x is one frame's
        block and `cache` this layer's buffers in a `FrameCache` (which `slots` describes)."""
        B, N, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, N, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                               dropout_p=self.dropout if self.training else 0.0)
        elif self.past_rows is None:
            y = ring_attention(q, k, v, cache, slots)
        else:
            y = banded_attention(q, k, v, cache, slots, self.token_w, self.band_own_frame)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(B, N, d)))
        return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))


@dataclass
class CacheSlots:
    """Where one cached pass stands in the ring: the current frame's slot, the earlier frames' slots in the window,
    and (banded layout) the additive masks of the band and of the action-token keys."""

    at: int
    past: list[int]
    band_mask: Tensor | None = None  # (token_h, (2R+1) * history * token_w)
    past_mask: Tensor | None = None  # (history,): the earlier frames' slots
    window_mask: Tensor | None = None  # (history,): those and the current frame's


class FrameCache:
    """Per-layer key/value buffers of the last `history` frames of a cached-layout model, a ring of frame slots
    (keys stored rotated: they carry their frame positions). `frames` counts the frames passed so far.
    Full attention: keys and values (B, h, history*337, hd). Banded (`past_rows` R): grid keys and values laid out
    (B, h, token_h + 2R, history, token_w, hd) — row-major over frames, with R empty rows above and below — so the
    earlier frames' rows near a grid row are one strided view; action keys and values (B, h, history, hd)."""

    def __init__(self, cfg: AtariWorldModelConfig, batch: int = 1, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32):
        h, hd, W = cfg.n_heads, cfg.d_model // cfg.n_heads, cfg.history
        if cfg.past_rows is None:
            shapes = [(batch, h, W * (cfg.n_tokens + 1), hd)] * 2
        else:
            grid = (batch, h, cfg.token_h + 2 * cfg.past_rows, W, cfg.token_w, hd)
            shapes = [grid, grid, (batch, h, W, hd), (batch, h, W, hd)]
        self.layers = [[torch.zeros(s, device=device, dtype=dtype) for s in shapes] for _ in range(cfg.n_layers)]
        self.frames = 0


def frame_block_mask(n_frames: int, block: int, history: int, device: torch.device | None = None,
                     past_rows: int | None = None, token_w: int = 16, band_own_frame: bool = False) -> Tensor:
    """Boolean (n_frames*block)² mask, True = may attend: a token of frame t sees every token of frames
    t-history+1 .. t (its own block in full, nothing later). With `past_rows` R, an earlier frame's grid tokens
    are seen only by grid tokens at most R rows away (blocks are the grid row-major, then the action token), and
    with `band_own_frame` the frame's own grid tokens too; action tokens are seen by all, and see their own frame."""
    f = torch.arange(n_frames, device=device).repeat_interleave(block)
    gap = f[:, None] - f[None, :]
    allowed = (gap >= 0) & (gap < history)
    if past_rows is None:
        return allowed
    within = torch.arange(block, device=device).repeat(n_frames)
    grid = within < block - 1
    row = within // token_w
    near = grid[:, None] & grid[None, :] & ((row[:, None] - row[None, :]).abs() <= past_rows)
    whole_own_frame = (gap == 0) & (~grid[:, None] if band_own_frame else True)
    return allowed & (whole_own_frame | ~grid[None, :] | near)


def ring_attention(q: Tensor, k: Tensor, v: Tensor, cache: list[Tensor], slots: CacheSlots) -> Tensor:
    """Full attention of one frame's block over itself and the earlier frames of the window. The frame's keys go
    into its slot first; with no mask and positions carried by the keys, the slots' order does not matter."""
    keys, values = cache
    N = q.shape[2]
    keys[:, :, slots.at * N:(slots.at + 1) * N] = k
    values[:, :, slots.at * N:(slots.at + 1) * N] = v
    n = (len(slots.past) + 1) * N  # the ring fills slots in order, so the window's slots come first
    return F.scaled_dot_product_attention(q, keys[:, :, :n], values[:, :, :n])


def attention_lse(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Softmax attention and the log-sum-exp of its scores (to merge attention over disjoint key sets). On the
    CPU, torch's fused flash kernel gives both; elsewhere the plain computation."""
    if q.device.type == "cpu":
        return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, attn_mask=mask)
    scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = scores + mask
    return torch.softmax(scores, -1) @ v, torch.logsumexp(scores, -1)


def merge(*parts: tuple[Tensor, Tensor]) -> Tensor:
    """Attention over the union of disjoint key sets from the (output, log-sum-exp) of each."""
    total = torch.logsumexp(torch.stack([lse for _, lse in parts]), dim=0)
    return sum(y * (lse - total).exp()[..., None] for y, lse in parts)


def banded_attention(q: Tensor, k: Tensor, v: Tensor, cache: list[Tensor], slots: CacheSlots, token_w: int,
                     own_banded: bool) -> Tensor:
    """`frame_block_mask(..., past_rows=R, band_own_frame=own_banded)` attention of one frame (q, k, v: B, h, 337,
    hd) without the masked-out work: fused passes over the frame's own block, the window's action tokens, and per
    grid row the window's rows within R (a strided view of the cache), merged by log-sum-exp."""
    grid_k, grid_v, act_k, act_v = cache
    B, h, N, hd = q.shape
    S = N - 1
    H = S // token_w
    rows = (grid_k.shape[2] - H) // 2
    # the frame joins the cache first: a banded own frame is read through the band like the earlier ones
    grid_k[:, :, rows:rows + H, slots.at] = k[:, :, :S].reshape(B, h, H, token_w, hd)
    grid_v[:, :, rows:rows + H, slots.at] = v[:, :, :S].reshape(B, h, H, token_w, hd)
    act_k[:, :, slots.at] = k[:, :, S]
    act_v[:, :, slots.at] = v[:, :, S]
    q_grid, q_action = q[:, :, :S], q[:, :, S:]
    action = [attention_lse(q_action, k, v)]  # the action token sees its whole frame
    grid = [] if own_banded else [attention_lse(q_grid, k, v)]
    if slots.past:
        action.append(attention_lse(q_action, act_k, act_v, slots.past_mask[None]))
    if slots.past or own_banded:
        st = grid_k.stride()
        band = (B * h, H, (grid_k.shape[2] - H + 1) * grid_k.shape[3] * token_w, hd)
        y, lse = attention_lse(q_grid.reshape(B * h, H, token_w, hd), grid_k.as_strided(band, (st[1], st[2], hd, 1)),
                               grid_v.as_strided(band, (st[1], st[2], hd, 1)), slots.band_mask[None, :, None])
        grid.append((y.reshape(B, h, S, hd), lse.reshape(B, h, S)))
        grid.append(attention_lse(q_grid, act_k, act_v, (slots.window_mask if own_banded else slots.past_mask)[None]))
    return torch.cat((merge(*grid), merge(*action)), dim=2)


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
        allowed = frame_block_mask(T, block, self.cfg.history, tokens.device, self.cfg.past_rows, self.cfg.token_w,
                                   self.cfg.band_own_frame)
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
        rope = self.rope(torch.tensor([cache.frames], device=tokens.device))  # (1, hd): one position for the block
        for blk, layer in zip(self.blocks, cache.layers, strict=True):
            x = blk(x, None, rope, layer, slots)
        cache.frames += 1
        return self.logits(x[:, :self.cfg.n_tokens])

    def cache_slots(self, frame: int, device: torch.device) -> CacheSlots:
        W, R = self.cfg.history, self.cfg.past_rows
        slots = CacheSlots(frame % W, [(frame - d) % W for d in range(1, min(frame, W - 1) + 1)])
        if R is not None:
            past = torch.zeros(W, dtype=torch.bool, device=device)
            past[slots.past] = True
            window = past.clone()
            window[slots.at] = True

            def additive(ok: Tensor) -> Tensor:
                return torch.zeros(ok.shape, device=device).masked_fill(~ok, float("-inf"))

            slots.past_mask, slots.window_mask = additive(past), additive(window)
            H = self.cfg.token_h
            padded_row = torch.arange(H, device=device)[:, None] + torch.arange(-R, R + 1, device=device)
            inside = (padded_row >= 0) & (padded_row < H)  # (H, 2R+1)
            band_slots = window if self.cfg.band_own_frame else past
            ok = inside[:, :, None, None] & band_slots[None, None, :, None]
            slots.band_mask = additive(ok.expand(H, 2 * R + 1, W, self.cfg.token_w).reshape(H, -1))
        return slots

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
