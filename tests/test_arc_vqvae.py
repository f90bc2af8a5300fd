"""ARC VQ-VAE: shapes, size, EMA codebook and dead-code reset, and a short training on built-in game frames."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from atari_support import one_thread  # noqa: F401 - fixture

from aria_desktop.games.catalog import open_game
from models.arc_vqvae import ArcVQVAE, ArcVQVAEConfig, EMAQuantizer, pixel_accuracy

pytestmark = pytest.mark.usefixtures("one_thread")


def test_shapes_and_presets() -> None:
    for cfg in (ArcVQVAEConfig.tiny(), ArcVQVAEConfig.seed()):
        model = ArcVQVAE(cfg).eval()
        grid = torch.randint(0, 16, (2, 64, 64))
        logits, tokens, losses = model(grid)
        assert logits.shape == (2, 16, 64, 64)
        assert tokens.shape == (2, 8, 8) and int(tokens.max()) < cfg.n_codes
        assert set(losses) == {"loss", "recon", "commitment"}
        assert torch.equal(model.encode(grid), tokens)
        decoded = model.decode(tokens)
        assert decoded.shape == (2, 64, 64) and decoded.dtype == torch.uint8
    assert ArcVQVAEConfig.seed().n_codes == 512 and ArcVQVAEConfig.seed().code_dim == 128


def test_parameter_counts() -> None:
    seed = sum(p.numel() for p in ArcVQVAE(ArcVQVAEConfig.seed()).parameters())
    tiny = sum(p.numel() for p in ArcVQVAE(ArcVQVAEConfig.tiny()).parameters())
    assert 1.6e6 < seed < 1.9e6  # seed 001's 1.3M, and two residual blocks in the decoder
    seed_decoder = sum(p.numel() for p in ArcVQVAE(replace(ArcVQVAEConfig.seed(), decoder_res_blocks=0)).parameters())
    assert 1.0e6 < seed_decoder < 1.5e6  # the seed's own decoder (checkpoints written before the blocks load as it)
    assert tiny < 4e5  # a quarter of the seed


def test_rejects_wrong_shapes_and_presets() -> None:
    model = ArcVQVAE(ArcVQVAEConfig.tiny())
    with pytest.raises(ValueError, match="64, 64"):
        model.encode(torch.zeros(1, 32, 32, dtype=torch.long))
    with pytest.raises(ValueError, match="preset"):
        ArcVQVAEConfig.preset("huge")


def test_ema_moves_used_codes_and_resets_dead_ones() -> None:
    cfg = ArcVQVAEConfig(code_dim=2, n_codes=3, ema_decay=0.9, dead_code_threshold=0.05)
    q = EMAQuantizer(cfg).train()
    q.initialized.fill_(True)
    q.codebook.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0], [-50.0, -50.0]]))
    q.ema_sum.copy_(q.codebook)
    data = torch.tensor([[1.0, 1.0], [9.0, 9.0]]).t().reshape(1, 2, 2, 1)  # (B, D, h, w): two 2-d vectors
    _, idx, _ = q(data)
    assert sorted(idx.flatten().tolist()) == [0, 1]
    assert 0 < float(q.codebook[0, 0]) < 1 and 9 < float(q.codebook[1, 0]) < 10  # pulled towards their vectors
    for _ in range(40):  # code 2 is never chosen: its EMA use decays under the threshold and it is reset
        q(data)
    assert float(q.codebook[2].abs().max()) < 11  # now sits on one of the data vectors, not at -50
    before = q.codebook.clone()
    q.eval()(data)
    assert torch.equal(q.codebook, before)  # evaluation never changes the codebook


def _builtin_frames() -> torch.Tensor:
    rng = np.random.default_rng(0)
    frames: list[np.ndarray] = []
    for game_id in ("maze", "lamp", "push"):
        game = open_game(game_id)
        frames.append(game.reset(seed=0))
        actions = [a for a in game.actions if not a.resets]
        for _ in range(25):
            a = actions[rng.integers(len(actions))]
            xy = (int(rng.integers(64)), int(rng.integers(64))) if a.needs_xy else None
            frames.extend(game.step(a.index, xy).frames)
    unique = {f.tobytes(): f for f in frames}
    return torch.tensor(np.stack(list(unique.values()))).long()


def test_short_training_reconstructs_builtin_frames() -> None:
    torch.manual_seed(0)
    frames = _builtin_frames()
    model = ArcVQVAE(ArcVQVAEConfig.tiny())
    before, _ = pixel_accuracy(model.eval(), frames)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(120):
        _, _, losses = model(frames[torch.randint(len(frames), (8,))])
        opt.zero_grad()
        losses["loss"].backward()
        opt.step()
    after, tokens = pixel_accuracy(model.eval(), frames)
    assert after > 0.9 and after > before + 0.3
    assert tokens.unique().numel() > 8  # the codebook is in use, not collapsed onto a few codes


def test_rare_colours_weigh_more_in_the_reconstruction_loss() -> None:
    from models.arc_vqvae import reconstruction_loss

    grid = torch.zeros(1, 64, 64, dtype=torch.long)
    grid[0, :2, :2] = 9  # four pixels of a rare colour on a background
    logits = torch.zeros(1, 16, 64, 64)
    logits[:, 0] = 5.0  # every pixel predicted background: only the rare pixels are wrong
    plain, weighted = reconstruction_loss(logits, grid), reconstruction_loss(logits, grid, 0.5)
    wrong = float(torch.nn.functional.cross_entropy(logits[:, :, 0, 0], torch.tensor([9])))
    right = float(torch.nn.functional.cross_entropy(logits[:, :, 0, 1 + 2], torch.tensor([0])))
    share = 4 / 4096
    expected = (4 * wrong * share**-0.5 + 4092 * right * (1 - share) ** -0.5) / (4 * share**-0.5 + 4092 * (1 - share) ** -0.5)
    assert abs(float(weighted) - expected) < 1e-4 and float(weighted) > 2 * float(plain)
    assert abs(float(plain) - (4 * wrong + 4092 * right) / 4096) < 1e-4
