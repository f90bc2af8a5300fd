"""`aria bench dream`: frames per second of the dream engine beside the naive full recompute, in one run.

Random weights at the preset's sizes (trained weights do not change the speed). Conditions run frame by frame
in turn, so machine noise hits them alike:
- int8: the engine with the cached-layout world model (one 337-token pass per frame over a ring KV cache), Linear layers
  int8, then sampling and the VQ-VAE decoder;
- int8 rows±1: the same with `past_rows=1` (earlier frames attended only in nearby grid rows);
- int8 rows±2 all: `past_rows=2, band_own_frame=True` (the frame's own grid, too, only in nearby rows);
- fp32: the first without quantization;
- naive seed: the seed's layout, its whole 4×336 + 1 + 336 token sequence recomputed per frame (fp32),
  then the same sampling and decoder.
Every frame is decoded (the engine's reuse of an unchanged frame's image is off), so the figures are the
worst case. Besides wall-clock stages, each condition's CPU time per frame (all threads) and its inverse,
frames per CPU-second ("FPS/core"), are shown: on a shared machine, with one torch thread, that is about the
frame rate on a free core (contention for caches still inflates it a little).
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from time import perf_counter, process_time

import torch

from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from models.dream_engine import DreamEngine, DreamEngineConfig, sample, to_image

STAGES = ("world_model", "sampling", "decode", "total")
NAIVE = "naive seed"


@dataclass
class Condition:
    name: str
    ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in (*STAGES, "cpu")})

    def median(self, stage: str) -> float:
        return statistics.median(self.ms[stage])

    @property
    def fps(self) -> float:
        return 1e3 / self.median("total")


class NaiveRecompute:
    """The seed's per-frame recompute: the whole history sequence through the seed-layout model, every frame."""

    def __init__(self, model: AtariWorldModel, vqvae: AtariVQVAE, history: torch.Tensor):
        self.model, self.vqvae = model.eval(), vqvae.eval()
        self.history = history.clone()[None]  # (1, H, 336)

    @torch.no_grad()
    def step(self, action: int) -> dict[str, float]:
        t0 = perf_counter()
        logits = self.model.predict_next(self.history, torch.tensor([action]))[0]
        t1 = perf_counter()
        tokens = sample(logits, 0.0)
        t2 = perf_counter()
        to_image(self.vqvae.decode(tokens.view(1, 21, 16))[0])
        t3 = perf_counter()
        self.history = torch.cat((self.history[:, 1:], tokens[None, None]), dim=1)
        return {"world_model": (t1 - t0) * 1e3, "sampling": (t2 - t1) * 1e3, "decode": (t3 - t2) * 1e3,
                "total": (t3 - t0) * 1e3}


def bench_dream(preset: str = "seed", frames: int = 40, warmup: int = 3, threads: int | None = None) -> list[Condition]:
    """Print the per-stage medians and FPS of each condition and the engine's speed-up; returns the figures."""
    from rich.console import Console

    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        console = Console()
        return _bench(preset, frames, warmup, console if console.is_terminal else Console(width=110))  # logs: 1 row
    finally:
        torch.set_num_threads(previous_threads)


def _bench(preset: str, frames: int, warmup: int, console) -> list[Condition]:
    from rich.progress import track
    from rich.table import Table

    torch.manual_seed(0)
    vq_cfg = getattr(AtariVQVAEConfig, preset)()

    def world_model(**overrides) -> AtariWorldModel:
        return AtariWorldModel(getattr(AtariWorldModelConfig, preset)(n_vocab=vq_cfg.n_embeddings, **overrides))

    cached, seed = world_model(), world_model(layout="seed")
    banded, local = world_model(past_rows=1), world_model(past_rows=2, band_own_frame=True)
    wm_cfg = cached.cfg
    vqvae = AtariVQVAE(vq_cfg).eval()
    g = torch.Generator().manual_seed(0)
    history = torch.randint(0, wm_cfg.n_vocab, (wm_cfg.history, wm_cfg.n_tokens), generator=g)
    actions = torch.randint(0, wm_cfg.n_actions, (warmup + frames,), generator=g).tolist()

    def engine(model: AtariWorldModel, quantize: bool) -> DreamEngine:
        e = DreamEngine(model, vqvae, DreamEngineConfig(quantize=quantize, skip_unchanged_decode=False))
        e.reset(history, torch.zeros(wm_cfg.history, dtype=torch.long))
        return e

    runners = {"int8": engine(cached, True), "int8 rows±1": engine(banded, True),
               "int8 rows±2 all": engine(local, True), "fp32": engine(cached, False), NAIVE: NaiveRecompute(seed, vqvae, history)}
    conditions = {name: Condition(name) for name in runners}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    console.print(f"dream bench, preset {preset}: world model {cached.n_params() / 1e6:.2f}M parameters (seed layout "
                  f"{seed.n_params() / 1e6:.2f}M), VQ-VAE decoder {sum(p.numel() for p in vqvae.decoder.parameters()) / 1e6:.2f}M; "
                  f"{frames} frames after {warmup} warm-up; torch threads {torch.get_num_threads()}, CPUs usable "
                  f"{affinity}, load average {os.getloadavg()[0]:.1f} (others' work makes these figures noisy)")
    for i in track(range(warmup + frames), description="dreaming", console=console, transient=True):
        for name, runner in runners.items():
            cpu = process_time()
            ms = runner.step(actions[i]) if isinstance(runner, NaiveRecompute) else runner.step(actions[i]).ms
            ms = {**ms, "cpu": (process_time() - cpu) * 1e3}
            if i >= warmup:
                for stage in conditions[name].ms:
                    conditions[name].ms[stage].append(ms[stage])

    naive = conditions[NAIVE]
    table = Table(title=f"aria bench dream --preset {preset} (median ms per frame, wall clock; CPU ms = all threads)")
    for column in ("engine", "model", "sample", "decode", "total", "FPS", "vs naive", "CPU ms", "FPS/core"):
        table.add_column(column, justify="left" if column == "engine" else "right", no_wrap=column == "engine")
    for c in conditions.values():
        table.add_row(c.name, *(f"{c.median(s):.1f}" for s in STAGES), f"{c.fps:.1f}",
                      f"{naive.median('total') / c.median('total'):.2f}x", f"{c.median('cpu'):.1f}",
                      f"{1e3 / c.median('cpu'):.1f}")
    console.print(table)
    for name in ("int8", "int8 rows±1", "int8 rows±2 all"):
        c = conditions[name]
        console.print(f"{name}: {c.fps:.1f} FPS end to end ({'meets' if c.fps >= 15 else 'BELOW'} the 15 FPS bar), "
                      f"{naive.median('total') / c.median('total'):.1f}x the naive recompute's {naive.fps:.1f} FPS; "
                      f"{1e3 / c.median('cpu'):.1f} frames per CPU-second")
    return list(conditions.values())
