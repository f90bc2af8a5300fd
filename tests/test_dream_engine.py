"""The dream engine: cached inference equals the full recompute, the ring cache slides, sampling is deterministic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)

from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig, FrameCache
from models.dream_engine import DreamEngine, DreamEngineConfig, DreamError, sample


class StandInDecoder(nn.Module):
    """A decoder with the VQ-VAE's interface: tokens (B, 21, 16) -> image (B, 3, 84, 64) in [-1, 1]."""

    def __init__(self, n_vocab: int = 32):
        super().__init__()
        self.colours = nn.Embedding(n_vocab, 3)

    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.colours(tokens).permute(0, 3, 1, 2)
        return torch.tanh(nn.functional.interpolate(x, scale_factor=4))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The nearest colour of each 4×4 block's mean."""
        mean = nn.functional.avg_pool2d(x, 4).permute(0, 2, 3, 1)  # (B, 21, 16, 3)
        return torch.cdist(mean.reshape(-1, 3), torch.tanh(self.colours.weight)).argmin(-1).view(x.shape[0], 21, 16)


def tiny_model(**overrides) -> AtariWorldModel:
    torch.manual_seed(0)
    return AtariWorldModel(AtariWorldModelConfig.tiny(**{"n_layers": 2, **overrides})).eval()


def episode(T: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 32, (T, 336), generator=g), torch.randint(0, 4, (T,), generator=g)


@pytest.mark.parametrize("temporal", ["window", "cell"])
def test_cached_frames_equal_the_full_recompute_past_the_window(temporal):
    # 6 frames with history 4: the ring cache overwrites its oldest slots twice; two layers carry evicted
    # frames' influence through the cached keys/values, so a wrong slot, position or cell would show
    model = tiny_model(temporal=temporal)
    tokens, actions = episode(T=6)
    cache = FrameCache(model.cfg)
    with torch.no_grad():
        full = model(tokens[None], actions[None])[0]
        cached = [model.forward_frame(tokens[t][None], actions[t][None], cache)[0] for t in range(6)]
    for t in range(6):
        torch.testing.assert_close(cached[t], full[t], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("temporal", ["window", "cell"])
def test_greedy_dream_equals_the_recompute_of_its_own_frames(temporal):
    model = tiny_model(temporal=temporal)
    engine = DreamEngine(model, StandInDecoder(), DreamEngineConfig(quantize=False))
    tokens, actions = episode(T=3)
    engine.reset(tokens, actions)
    moves = [1, 2, 3, 0]
    dreamed = [engine.step(a).tokens.reshape(336) for a in moves]
    frames = torch.cat((tokens, torch.stack(dreamed[:-1])))
    acts = torch.cat((actions[:2], torch.tensor(moves)))
    with torch.no_grad():
        expected = model(frames[None], acts[None])[0, 2:].argmax(-1)
    assert torch.equal(torch.stack(dreamed), expected)


def test_step_returns_tokens_image_and_stage_times():
    engine = DreamEngine(tiny_model(), StandInDecoder(), DreamEngineConfig(quantize=False))
    engine.reset(*episode(T=2))
    frame = engine.step(1)
    assert frame.tokens.shape == (21, 16) and frame.tokens.dtype == torch.long
    assert frame.image.shape == (84, 64, 3) and frame.image.dtype == np.uint8
    assert set(frame.ms) == {"world_model", "sampling", "decode", "total"}
    assert frame.ms["total"] >= frame.ms["world_model"] > 0


def test_reset_from_frames_goes_through_the_encoder():
    decoder = StandInDecoder()
    engine = DreamEngine(tiny_model(), decoder, DreamEngineConfig(quantize=False))
    tokens, actions = episode(T=3)
    with torch.no_grad():
        frames = decoder.decode(tokens.view(3, 21, 16))
        image = engine.reset_frames(frames, actions)
        expected = engine.reset(decoder.encode(frames), actions)
    assert np.array_equal(image, expected)
    assert torch.equal(engine.current, decoder.encode(frames)[-1].reshape(336))


def test_greedy_is_deterministic_and_sampling_follows_the_seed():
    engine = DreamEngine(tiny_model(), StandInDecoder(), DreamEngineConfig(quantize=False, seed=3))
    tokens, actions = episode(T=2)

    def dream(temperature: float) -> list[torch.Tensor]:
        engine.reset(tokens, actions)
        return [engine.step(a, temperature).tokens for a in (1, 3, 2)]

    for a, b in zip(dream(0.0), dream(0.0), strict=True):
        assert torch.equal(a, b)
    hot1, hot2 = dream(5.0), dream(5.0)
    for a, b in zip(hot1, hot2, strict=True):
        assert torch.equal(a, b)
    assert any(not torch.equal(a, b) for a, b in zip(hot1, dream(0.0), strict=True))


def test_int8_engine_stays_close_to_fp32():
    model = tiny_model()
    tokens, actions = episode(T=4)
    fp32 = DreamEngine(model, StandInDecoder(), DreamEngineConfig(quantize=False))
    int8 = DreamEngine(model, StandInDecoder(), DreamEngineConfig(quantize=True))
    fp32.reset(tokens[:3], actions[:3])
    int8.reset(tokens[:3], actions[:3])
    with torch.no_grad():
        a = fp32.model.forward_frame(tokens[3][None], actions[3][None], fp32.cache)
        b = int8.model.forward_frame(tokens[3][None], actions[3][None], int8.cache)
    assert (a - b).abs().mean() < 0.1 * a.std()
    assert torch.corrcoef(torch.stack((a.flatten(), b.flatten())))[0, 1] > 0.95


def test_sample_greedy_and_temperature():
    logits = torch.tensor([[0.0, 5.0, 1.0], [3.0, 0.0, 0.0]])
    assert sample(logits, 0.0).tolist() == [1, 0]
    draws = torch.stack([sample(logits, 1e-3, torch.Generator().manual_seed(s)) for s in range(5)])
    assert (draws == torch.tensor([1, 0])).all()


def test_bad_use_is_one_clear_error():
    with pytest.raises(DreamError, match="cached"):
        DreamEngine(tiny_model(layout="seed"), StandInDecoder())
    engine = DreamEngine(tiny_model(), StandInDecoder(), DreamEngineConfig(quantize=False))
    with pytest.raises(DreamError, match="reset"):
        engine.step(0)
    with pytest.raises(DreamError, match="at least one frame"):
        engine.reset(torch.zeros(3, 336, dtype=torch.long), torch.zeros(1, dtype=torch.long))
    with pytest.raises(DreamError, match="vocabulary"):
        engine.reset(torch.full((1, 336), 40))
    engine.reset(torch.zeros(1, 21, 16, dtype=torch.long))
    with pytest.raises(DreamError, match="action 7"):
        engine.step(7)


def test_tiny_bench_prints_its_table(capsys):
    from aria_desktop.bench.dream import NAIVE, bench_dream

    threads = torch.get_num_threads()
    conditions = bench_dream("tiny", frames=3, warmup=1, threads=1)
    assert torch.get_num_threads() == threads  # the bench puts torch's thread count back
    out = capsys.readouterr().out
    assert "aria bench dream --preset tiny" in out and "FPS end to end" in out
    names = [c.name for c in conditions]
    assert names == ["int8", "int8 window", "fp32", NAIVE]
    assert all(name in out for name in names)
    for c in conditions:
        assert len(c.ms["total"]) == 3 and c.median("total") >= c.median("world_model") > 0


def test_bench_plays_the_same_models_in_the_windows_dream_mode(capsys, monkeypatch):
    import re

    from aria_desktop.bench import dream_window
    from aria_desktop.bench.dream import bench_dream

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setattr(dream_window, "WARMUP_SECONDS", 0.5)
    bench_dream("tiny", frames=3, warmup=1, threads=1, window=1.5)
    out = capsys.readouterr().out
    shown = re.search(r"in the window \(1.5 s, (\d+) steps\): ([\d.]+) dream FPS shown", out)
    assert shown, out
    steps, fps = int(shown[1]), float(shown[2])
    assert steps > 0 and abs(fps - steps / 1.5) < 0.2 * fps + 0.1 and fps <= 16  # the dream keeps Breakout's pace
    assert re.search(r"engine ms inside the app: world_model [\d.]+, decode [\d.]+, total [\d.]+ vs [\d.]+ alone", out)


def test_bench_runs_a_trained_dream_from_a_real_start(tmp_path, capsys):
    from dream_support import write_dream

    from aria_desktop.bench.dream import bench_dream

    run = write_dream(tmp_path)
    conditions = bench_dream(frames=3, warmup=1, threads=1, checkpoint=str(run))
    out = capsys.readouterr().out
    assert "aria bench dream --checkpoint wm step 1" in out
    assert len(conditions) == 4 and all(len(c.ms["total"]) == 3 for c in conditions)
