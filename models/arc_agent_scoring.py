"""The game transformer as an agent's three signals (seed 001): surprise, goal inference and the learned policy.

`ContextScorer` keeps one game's token context and its cached keys/values. `extend(tokens)` appends what was
observed (a frame, a level completion, the chosen action) and returns the log-probability of each appended
token, so a frame's surprise (mean negative log-likelihood of its VQ codes) costs nothing beyond the pass that
reads it. With the context ending in <ACT>, `score(candidates)` reads every candidate action's tokens (`a`, or
`6 x y` for a click) in ONE pass over the context's cache: the candidates' tokens side by side in one row, each
attending to the context and to its own earlier tokens only (a tree-shaped attention mask, positions continuing
the context), so the cache is read once rather than copied per candidate. It returns per candidate:
- level: P(<LEVEL_COMPLETE> | context, candidate), against the other answer (the next <FRAME>);
- policy: P(a) · P(x | a) · P(y | a, x), renormalised over the candidates.
`score(..., batched=False)` runs the candidates one at a time over the same cache: the same numbers, slower
(`aria bench agent` times both). `SurpriseTracker` keeps the running average the surprise is judged against.
`inference_threads` is how many CPU threads a model's passes should use: one for a small model, whose matrices
are too small to share, and which on a busy CPU runs several times slower when its threads wait on each other.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from transformers import DynamicCache

from models.arc_game_transformer import CLICK, ArcGameTransformer


@dataclass(frozen=True)
class Candidate:
    """An action to score: an ARC action index, with (x, y) for a click."""

    action: int
    xy: tuple[int, int] | None = None


@dataclass
class CandidateScores:
    level: torch.Tensor  # (N,) probability that the candidate completes the level
    policy: torch.Tensor  # (N,) the learned policy's probability, renormalised over the candidates
    policy_log: torch.Tensor  # (N,) log P(candidate's tokens | context), not renormalised


class ContextScorer:
    """One game's token context and its key/value cache, for scoring an agent's candidate actions.

    The context holds at most `context` tokens (default: the model's training window); when it would overflow,
    the oldest steps are dropped so half a window remains, starting at a <FRAME>, and the cache is rebuilt."""

    def __init__(self, model: ArcGameTransformer, context: int | None = None) -> None:
        self.model = model.eval()
        self.vocab = model.vocab
        self.context = context or model.cfg.context
        self.reset()

    def reset(self) -> None:
        self.tokens: list[int] = []
        self._past: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # per layer (keys, values), batch 1
        self._last: torch.Tensor | None = None  # log-probabilities of the token after the context (V,)

    def fork(self) -> ContextScorer:
        """A scorer on the same context that extends independently (the cached tensors are shared, never
        written in place)."""
        other = copy.copy(self)
        other.tokens = list(self.tokens)
        return other

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _cache(self) -> DynamicCache | None:
        """A cache over the context (the stored tensors; a pass appends to new ones, never to these)."""
        if self._past is None:
            return None
        return DynamicCache(ddp_cache_data=self._past)

    @torch.no_grad()
    def extend(self, tokens: list[int]) -> torch.Tensor:
        """Append `tokens` to the context; their log-probabilities under the model given what came before
        (NaN for the very first token of an empty context)."""
        if not tokens:
            return torch.zeros(0)
        if len(self.tokens) + len(tokens) > self.context:
            return self._restart(tokens)
        ids = torch.tensor([tokens], device=self.device)
        out = self.model.lm(input_ids=ids, past_key_values=self._cache(), use_cache=True)
        logp = out.logits[0].float().log_softmax(-1)
        first = self._last[tokens[0]].reshape(1) if self._last is not None else torch.full((1,), float("nan"))
        picked = torch.cat((first.to(logp.device), logp[:-1].gather(1, ids[0, 1:, None])[:, 0]))
        self.tokens += tokens
        self._past = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
        self._last = logp[-1]
        return picked.cpu()

    def _restart(self, tokens: list[int]) -> torch.Tensor:
        """Drop the oldest steps so half a window (plus `tokens`) remains, then read it afresh."""
        everything = self.tokens + tokens
        keep = max(self.context // 2, len(tokens))
        start = len(everything) - keep
        frames = [i for i in range(start, len(everything) - len(tokens) + 1) if everything[i] == self.vocab.frame]
        start = frames[0] if frames else start  # begin at a step boundary when there is one
        known = len(everything) - len(tokens) - start  # tokens of the old context that are kept
        previous_last = self._last
        self.reset()
        picked = self.extend(everything[start:])
        if known == 0 and previous_last is not None:  # the first new token was predicted by the old context
            picked[0] = previous_last[tokens[0]].cpu()
        return picked[known:]

    def _suffixes(self, candidates: list[Candidate]) -> list[list[int]]:
        v = self.vocab
        out = []
        for c in candidates:
            seq = [v.action0 + int(c.action)]
            if int(c.action) == CLICK and c.xy is not None:
                seq += [v.x0 + int(c.xy[0]), v.y0 + int(c.xy[1])]
            out.append(seq)
        return out

    @torch.no_grad()
    def _read(self, suffixes: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over the suffixes side by side in one row after the context's cache, each seeing the context
        and its own earlier tokens: (level probability, log P(suffix)) per suffix."""
        v, device, n = self.vocab, self.device, len(self.tokens)
        owner = torch.tensor([i for i, s in enumerate(suffixes) for _ in s], device=device)
        offset = torch.tensor([j for s in suffixes for j in range(len(s))], device=device)
        ids = torch.tensor([t for s in suffixes for t in s], device=device)
        own = (owner[:, None] == owner[None]) & (offset[None] <= offset[:, None])  # causal within a suffix
        mask = torch.cat((own.new_ones(len(ids), n), own), 1)[None, None]
        logits = self.model.lm(input_ids=ids[None], position_ids=(n + offset)[None], attention_mask=mask,
                               past_key_values=self._cache(), use_cache=True).logits[0]
        logp = logits.float().log_softmax(-1)
        lengths = torch.tensor([len(s) for s in suffixes], device=device)
        end = logp[lengths.cumsum(0) - 1]  # what follows each whole suffix
        level = torch.sigmoid(end[:, v.level_complete] - end[:, v.frame])  # LC against the next <FRAME>
        # Each token's log-probability: the first from the context, the others from the token before it in the row.
        picked = torch.where(offset == 0, self._last.to(device)[ids],
                             logp[(torch.arange(len(ids), device=device) - 1).clamp(min=0), ids])
        total = torch.zeros(len(suffixes), device=device).index_add_(0, owner, picked)
        return level.cpu(), total.cpu()

    def score(self, candidates: list[Candidate], batched: bool = True) -> CandidateScores:
        """Score candidates after a context ending in <ACT>; batched=False runs them one at a time (a pass each
        over the context's cache)."""
        if self._last is None or not self.tokens or self.tokens[-1] != self.vocab.act:
            raise ValueError("score() needs a context that ends with <ACT>; extend the context first.")
        if not candidates:
            return CandidateScores(torch.zeros(0), torch.zeros(0), torch.zeros(0))
        suffixes = self._suffixes(candidates)
        if batched:
            level, logp = self._read(suffixes)
        else:
            parts = [self._read([s]) for s in suffixes]
            level, logp = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        return CandidateScores(level, torch.softmax(logp, 0), logp)


@dataclass
class SurpriseTracker:
    """A frame's surprise (mean NLL of its codes) against the running average of earlier frames' (seed 001:
    no absolute thresholds). `ratio` is surprise / average; 1.0 until there is an average."""

    decay: float = 0.9
    average: float | None = None
    last: float | None = None
    ratio: float = 1.0

    def update(self, nll: float) -> float:
        self.last = nll
        self.ratio = nll / self.average if self.average and self.average > 1e-8 else 1.0
        self.average = nll if self.average is None else self.decay * self.average + (1 - self.decay) * nll
        return self.ratio

    def reset(self) -> None:
        self.average, self.last, self.ratio = None, None, 1.0


def inference_threads(model: torch.nn.Module, cores: int | None = None, small: int = 30_000_000) -> int:
    """CPU threads for a model's inference passes: 1 below `small` parameters, else `cores` (default: the calling
    thread's torch threads)."""
    return 1 if sum(p.numel() for p in model.parameters()) < small else cores or torch.get_num_threads()


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with `n` intra-op threads, then restore the previous number."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
