"""Atari VQ-VAE v2.3: shapes, the seed's size, EMA codebook, dead-code reset, and that the tiny preset learns."""

from __future__ import annotations

import pytest
import torch
from atari_support import one_thread  # noqa: F401 - the fixture, used by pytestmark

from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def test_shapes_and_token_round_trip() -> None:
    torch.manual_seed(0)
    model = AtariVQVAE(AtariVQVAEConfig.tiny()).eval()
    x = torch.rand(2, 3, 84, 64) * 2 - 1
    recon, tokens, losses = model(x)
    assert recon.shape == (2, 3, 84, 64) and tokens.shape == (2, 21, 16) and tokens.dtype == torch.long
    assert float(recon.detach().abs().max()) <= 1.0 and {"recon", "commit", "loss"} <= set(losses)
    assert torch.equal(model.encode(x), tokens)
    assert torch.allclose(model.decode(tokens), recon, atol=1e-5)
    assert int(tokens.max()) < model.cfg.n_embeddings


def test_seed_preset_is_the_seeds_size() -> None:
    cfg = AtariVQVAEConfig.seed()
    assert (cfg.n_embeddings, cfg.latent_channels, cfg.hidden_channels, cfg.n_residual) == (32, 256, 64, 2)
    model = AtariVQVAE(cfg)
    n = sum(p.numel() for p in model.parameters())
    assert 5.5e6 < n < 6.5e6  # seed 002: ~6.0M
    decoder = sum(p.numel() for p in model.decoder.parameters())
    assert 2.6e6 < decoder < 3.0e6  # PERF.md measured a 2.8M decoder
    with torch.no_grad():
        assert model.encode(torch.zeros(1, 3, 84, 64)).shape == (1, 21, 16)


def test_codebook_follows_the_encoder_by_ema_not_gradients() -> None:
    torch.manual_seed(0)
    model = AtariVQVAE(AtariVQVAEConfig.tiny())
    assert not any("embed" in name for name, _ in model.named_parameters())  # the codebook is a buffer
    x = torch.rand(4, 3, 84, 64) * 2 - 1
    model(x)  # initialises the codebook from encoder outputs
    before = model.quantizer.embed.clone()
    model(x)
    assert not torch.equal(before, model.quantizer.embed)
    model.eval()
    frozen = model.quantizer.embed.clone()
    model(x)
    assert torch.equal(frozen, model.quantizer.embed)  # evaluation never moves the codebook


def test_dead_codes_are_reset_to_encoder_outputs() -> None:
    torch.manual_seed(0)
    cfg = AtariVQVAEConfig.tiny()
    cfg.dead_check_every = 2
    model = AtariVQVAE(cfg)
    x = torch.rand(2, 3, 84, 64) * 2 - 1
    model(x)
    q = model.quantizer
    q.embed[5] = 1e3  # a code nothing is near: it is never used
    model(x)  # second batch: the check runs and resets it
    assert float(q.embed[5].abs().max()) < 1e2
    assert float(q.usage.sum()) == 0  # the usage window restarts after a check


def test_tiny_preset_learns_a_frame() -> None:
    torch.manual_seed(0)
    model = AtariVQVAE(AtariVQVAEConfig.tiny())
    x = torch.full((2, 3, 84, 64), -1.0)
    x[:, :, 20:30, :] = 0.6  # a row of bricks
    x[:, 0, 70:73, 20:36] = 0.9  # the paddle
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for _ in range(15):
        _, _, losses = model(x)
        opt.zero_grad()
        losses["loss"].backward()
        opt.step()
        first = first if first is not None else float(losses["recon"])
    assert float(losses["recon"]) < 0.5 * first
