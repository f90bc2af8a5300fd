"""The Breakout world model: shapes, parameter counts, block-causal frames, action conditioning."""

from __future__ import annotations

import pytest
import torch
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)

from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig, frame_block_mask

LAYOUTS = ["cached", "seed"]


def tiny_model(layout: str, **overrides) -> AtariWorldModel:
    torch.manual_seed(0)
    return AtariWorldModel(AtariWorldModelConfig.tiny(layout=layout, **{"n_layers": 2, **overrides})).eval()


def episode(T: int = 5, B: int = 1, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 32, (B, T, 336), generator=g), torch.randint(0, 4, (B, T), generator=g)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_forward_shape(layout):
    model = tiny_model(layout)
    tokens, actions = episode(T=3, B=2)
    assert model(tokens, actions).shape == (2, 3, 336, 32)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_seed_preset_has_about_8_3m_parameters(layout):
    cfg = AtariWorldModelConfig.seed(layout=layout)
    assert (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.history) == (10, 256, 8, 1024, 4)
    assert 8.1e6 < AtariWorldModel(cfg).n_params() < 8.5e6


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tiny_preset_is_small(layout):
    assert AtariWorldModel(AtariWorldModelConfig.tiny(layout=layout)).n_params() < 400_000


@pytest.mark.parametrize("layout", LAYOUTS)
def test_future_frames_and_actions_do_not_change_earlier_logits(layout):
    model = tiny_model(layout)
    tokens, actions = episode(T=4)
    with torch.no_grad():
        before = model(tokens, actions)
        tokens2, actions2 = tokens.clone(), actions.clone()
        tokens2[:, 2:] = (tokens2[:, 2:] + 1) % 32
        actions2[:, 2:] = (actions2[:, 2:] + 1) % 4
        after = model(tokens2, actions2)
    torch.testing.assert_close(after[:, :2], before[:, :2])
    assert (after[:, 2:] - before[:, 2:]).abs().max() > 1e-3


@pytest.mark.parametrize("layout", LAYOUTS)
def test_action_changes_the_prediction(layout):
    model = tiny_model(layout)
    tokens, actions = episode(T=3)
    with torch.no_grad():
        logits = [model(tokens, torch.full_like(actions, a))[:, -1] for a in range(4)]
    for a in range(1, 4):
        assert (logits[a] - logits[0]).abs().max() > 1e-3


@pytest.mark.parametrize(("layout", "layers", "T", "frame"), [("cached", 1, 7, 2), ("seed", 2, 5, 0)])
def test_a_frame_reaches_only_the_windows_it_is_in(layout, layers, T, frame):
    # the seed layout sees exactly `history` frames; the cached one too with a single layer (deeper layers carry
    # older frames on through the cached representations, like any stacked sliding-window attention)
    model = tiny_model(layout, n_layers=layers)
    tokens, actions = episode(T=T)
    with torch.no_grad():
        before = model(tokens, actions)
        tokens2 = tokens.clone()
        tokens2[:, frame] = (tokens2[:, frame] + 1) % 32  # in the windows of frames frame..frame+3 only
        after = model(tokens2, actions)
    torch.testing.assert_close(after[:, frame + 4], before[:, frame + 4])
    assert (after[:, frame + 3] - before[:, frame + 3]).abs().max() > 1e-3


def test_frame_block_mask():
    mask = frame_block_mask(n_frames=4, block=2, history=2)
    frame = torch.arange(8) // 2
    for i in range(8):
        for j in range(8):
            assert bool(mask[i, j]) == (0 <= frame[i] - frame[j] < 2)


def test_cell_mask_limits_earlier_frames_to_the_same_cell_and_the_actions():
    # 3 frames of 2 grid tokens + an action token, history 2
    mask = frame_block_mask(n_frames=3, block=3, history=2, temporal="cell")
    frame, within = torch.arange(9) // 3, torch.arange(9) % 3
    for i in range(9):
        for j in range(9):
            gap = frame[i] - frame[j]
            expected = gap == 0 or (gap == 1 and (within[i] == within[j] or within[j] == 2))
            assert bool(mask[i, j]) == expected, (i, j)


def test_configs_saved_before_temporal_attended_to_the_window():
    saved = AtariWorldModelConfig.tiny().to_dict()
    del saved["temporal"]
    assert AtariWorldModelConfig.from_dict(saved).temporal == "window"
    assert AtariWorldModelConfig.from_dict(AtariWorldModelConfig.tiny(temporal="cell").to_dict()).temporal == "cell"
    with pytest.raises(ValueError, match="past_rows"):
        AtariWorldModelConfig.from_dict({**saved, "past_rows": 1})


def test_bad_layout_and_shapes_are_rejected():
    with pytest.raises(ValueError, match="layout"):
        AtariWorldModelConfig.tiny(layout="diagonal")
    with pytest.raises(ValueError, match="temporal"):
        AtariWorldModelConfig.tiny(temporal="diagonal")
    model = tiny_model("cached")
    with pytest.raises(ValueError, match="expected tokens"):
        model(torch.zeros(2, 3, 100, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))


def test_training_step_reduces_loss():
    # the forward is trainable end to end: a few steps on one batch lower its cross-entropy
    model = tiny_model("cached").train()
    tokens, actions = episode(T=3)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(6):
        logits = model(tokens[:, :-1], actions[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 32), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.1
