"""ARC game transformer (seeds 000/001): a pretrained causal LM + LoRA reading games as token sequences.

    <GAME_START> <FRAME> v1..v64 <ACT> a [x y] [<LEVEL_COMPLETE>] <FRAME> v1..v64 <ACT> a ...

v = VQ-VAE codes of the step's last frame; a = the recorded action (0 RESET, 1-5, 6 click, 7 undo); a click
(ACTION6) is followed by its x and y tokens; <LEVEL_COMPLETE> follows the action that completed a level, so
P(<LEVEL_COMPLETE> | context, action) is the goal signal. The game tokens are new rows appended to the base
model's vocabulary (initialised from the old rows' mean and covariance); only those rows and LoRA adapters
on q, k, v, o train. The loss is next-token cross-entropy in float32, weighted by the type of the target.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from torch import nn

from models.base_models import BaseModel, load_base_model

CLICK = 6  # ARC GameAction.ACTION6: a click at (x, y)
# Token types (what a target token is), used for the loss weights and the metrics.
CODE, ACTION, LEVEL, MARKER, DECISION, IGNORED = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class GameVocab:
    """The game tokens, appended after the base model's `base_vocab` text tokens."""

    base_vocab: int
    n_codes: int = 512
    n_actions: int = 8
    n_xy: int = 64

    @property
    def code0(self) -> int:
        return self.base_vocab

    @property
    def action0(self) -> int:
        return self.code0 + self.n_codes

    @property
    def x0(self) -> int:
        return self.action0 + self.n_actions

    @property
    def y0(self) -> int:
        return self.x0 + self.n_xy

    @property
    def frame(self) -> int:
        return self.y0 + self.n_xy

    @property
    def act(self) -> int:
        return self.frame + 1

    @property
    def level_complete(self) -> int:
        return self.frame + 2

    @property
    def game_start(self) -> int:
        return self.frame + 3

    @property
    def size(self) -> int:
        """Number of new tokens."""
        return self.n_codes + self.n_actions + 2 * self.n_xy + 4

    @property
    def total(self) -> int:
        return self.base_vocab + self.size

    def new_ids(self) -> list[int]:
        return list(range(self.base_vocab, self.total))

    def step(self, codes: np.ndarray, action: int, xy: tuple[int, int] | None, level_up: bool) -> list[int]:
        """One step: <FRAME> codes <ACT> a [x y] [<LEVEL_COMPLETE>]."""
        out = [self.frame, *(self.code0 + np.asarray(codes).ravel()).tolist(), self.act, self.action0 + int(action)]
        if int(action) == CLICK and xy is not None and min(xy) >= 0:
            out += [self.x0 + int(xy[0]), self.y0 + int(xy[1])]
        if level_up:
            out.append(self.level_complete)
        return out

    def frame_tokens(self, codes: np.ndarray) -> list[int]:
        return [self.frame, *(self.code0 + np.asarray(codes).ravel()).tolist()]

    def episode(self, codes: np.ndarray, actions: np.ndarray, xy: np.ndarray, level_up: np.ndarray) -> np.ndarray:
        """A whole episode: codes (T+1, h, w) for observations 0..T, actions (T,), xy (T, 2), level_up (T,) bool."""
        out = [self.game_start]
        for t in range(len(actions)):
            out += self.step(codes[t], int(actions[t]), tuple(xy[t]), bool(level_up[t]))
        out += self.frame_tokens(codes[len(actions)])
        return np.asarray(out, dtype=np.int64)

    def types(self, targets: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """The type of each target token; a <FRAME> right after an action is the "no level completed" answer."""
        t = torch.full_like(targets, MARKER)
        t[(targets >= self.code0) & (targets < self.action0)] = CODE
        t[(targets >= self.action0) & (targets < self.frame)] = ACTION
        t[targets == self.level_complete] = LEVEL
        after_action = (inputs >= self.action0) & (inputs < self.frame) & ~((inputs >= self.x0) & (inputs < self.y0))
        is_click = inputs == self.action0 + CLICK
        t[(targets == self.frame) & after_action & ~is_click] = DECISION
        return t


@dataclass
class TokenWeights:
    """Loss weight per target type (seed 001: frame 1, action 2, level-complete 5, markers 0)."""

    frame: float = 1.0
    action: float = 2.0
    level_complete: float = 5.0
    marker: float = 0.0
    # The <FRAME> that follows an action says "no level completed"; with weight 0 nothing would teach the model
    # that <LEVEL_COMPLETE> is rare, so this one marker is weighted like a frame token.
    decision: float = 1.0

    def table(self) -> torch.Tensor:
        return torch.tensor([self.frame, self.action, self.level_complete, self.marker, self.decision])


@dataclass
class ArcGameTransformerConfig:
    base_model: str = "tiny"  # tiny | smollm2-135m | a Hugging Face id in the local cache | a local folder / .gguf
    n_codes: int = 512  # the VQ-VAE's codebook size
    n_actions: int = 8
    n_xy: int = 64  # click positions 0..63 on each axis
    context: int = 2048  # tokens per training window (seed: 2048 ≈ 30 steps)
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    weights: TokenWeights = field(default_factory=TokenWeights)
    base_vocab: int = 0  # filled in from the loaded base model; a checkpoint must load onto the same vocabulary

    @classmethod
    def tiny(cls, n_codes: int = 512) -> ArcGameTransformerConfig:
        return cls(base_model="tiny", n_codes=n_codes, context=536)  # 8 steps of 67 tokens

    @classmethod
    def seed(cls, n_codes: int = 512) -> ArcGameTransformerConfig:
        return cls(base_model="HuggingFaceTB/SmolLM2-360M", n_codes=n_codes, context=2048)

    @classmethod
    def preset(cls, name: str, n_codes: int) -> ArcGameTransformerConfig:
        presets = {"tiny": cls.tiny, "seed": cls.seed}
        if name not in presets:
            raise ValueError(f"Unknown game transformer preset {name!r}; use one of {', '.join(presets)}.")
        return presets[name](n_codes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["lora_targets"] = list(self.lora_targets)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ArcGameTransformerConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["weights"] = TokenWeights(**d.get("weights", {}))
        d["lora_targets"] = tuple(d.get("lora_targets", cls.lora_targets))
        return cls(**d)


class ArcGameTransformer(nn.Module):
    """Base LM + new game-token rows + LoRA. `state_dict()` holds only what trains (adapters and new rows)."""

    def __init__(self, cfg: ArcGameTransformerConfig, base: BaseModel | None = None) -> None:
        super().__init__()
        base = base or load_base_model(cfg.base_model)
        base_vocab = base.vocab_size
        if cfg.base_vocab and cfg.base_vocab != base_vocab:
            raise ValueError(
                f"The base model '{cfg.base_model}' has {base_vocab} tokens, but this game transformer was built on "
                f"{cfg.base_vocab}; load it with the base model it was trained on."
            )
        cfg.base_vocab = base_vocab
        self.cfg = cfg
        self.base_reference = base.reference
        self.tokenizer = base.tokenizer
        self.vocab = GameVocab(base_vocab, cfg.n_codes, cfg.n_actions, cfg.n_xy)
        lm = base.model
        lm.resize_token_embeddings(self.vocab.total, mean_resizing=True)  # new rows ~ N(mean, cov) of the old ones
        lora = LoraConfig(
            r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
            target_modules=list(cfg.lora_targets), trainable_token_indices={"embed_tokens": self.vocab.new_ids()},
        )  # fmt: skip
        self.lm = get_peft_model(lm, lora)
        self.register_buffer("_weights", cfg.weights.table(), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs) -> torch.Tensor:
        """Logits (B, T, vocab) in float32."""
        return self.lm(input_ids=input_ids, attention_mask=attention_mask, **kwargs).logits.float()

    def loss(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Type-weighted next-token loss over a batch of windows; also per-type mean losses and accuracies."""
        logits = self(input_ids)[:, :-1]
        return weighted_loss(logits, input_ids, self.vocab, self._weights)

    # -- checkpoints: only the trained parts ------------------------------------------------------------------
    def state_dict(self, *args, **kwargs) -> dict[str, torch.Tensor]:  # type: ignore[override]
        return {k: v for k, v in get_peft_model_state_dict(self.lm).items()}

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True, assign: bool = False):  # type: ignore[override]
        expected = set(self.state_dict())
        if strict and set(state) != expected:
            raise ValueError(
                "The checkpoint's adapters do not fit this game transformer (another base model, LoRA rank or "
                "vocabulary); load it with the configuration it was trained with."
            )
        for k, v in state.items():
            mine = self.state_dict()[k]
            if strict and mine.shape != v.shape:
                raise ValueError(
                    f"The checkpoint's {k} has shape {tuple(v.shape)}, this model's {tuple(mine.shape)}: another "
                    "vocabulary or LoRA rank; load it with the configuration it was trained with."
                )
        return set_peft_model_state_dict(self.lm, state)

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]


def weighted_loss(
    logits: torch.Tensor,
    input_ids: torch.Tensor,
    vocab: GameVocab,
    weights: torch.Tensor,
    valid: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """logits (B, T-1, V) predicting input_ids[:, 1:]; valid (B, T-1) masks padding out. Returns the weighted
    mean loss and per-type counts, loss sums and correct predictions."""
    targets, inputs = input_ids[:, 1:], input_ids[:, :-1]
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    ce = ce.view_as(targets)
    types = vocab.types(targets, inputs)
    if valid is not None:
        types = torch.where(valid, types, torch.full_like(types, IGNORED))
    w = torch.cat((weights.to(ce.device), weights.new_zeros(1).to(ce.device)))[types]
    loss = (ce * w).sum() / w.sum().clamp_min(1e-8)
    correct = logits.argmax(-1) == targets
    parts: dict[str, torch.Tensor] = {}
    for name, kind in (("frame", CODE), ("action", ACTION), ("level", LEVEL), ("decision", DECISION)):
        mask = types == kind
        parts[f"{name}_n"] = mask.sum()
        parts[f"{name}_loss_sum"] = ce[mask].sum().detach()
        parts[f"{name}_correct"] = correct[mask].sum()
    return loss, parts
