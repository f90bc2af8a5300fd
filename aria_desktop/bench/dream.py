"""`aria bench dream`: frames per second of the dream engine beside the naive full recompute, in one run.

Random weights at the preset's sizes (trained weights do not change the speed), or with `--checkpoint` a
trained dream's world model and VQ-VAE started from a real Breakout reset. Conditions take turns in short blocks
of frames, so machine noise hits them alike, and within a block the first frame is not timed (the one before it
belonged to another condition, whose weights pushed this one's out of the CPU caches; in the app the engine
runs alone):
- int8: the engine as the app runs it: the cached-layout world model with "cell" temporal attention (one
  337-token pass per frame over a ring KV cache of the earlier frames), Linear layers int8, then sampling and
  the VQ-VAE decoder;
- int8 window: the same with "window" temporal attention (every token of the earlier frames: 1348 keys);
- fp32: the first without quantization;
- naive seed: the seed's layout, its whole 4×336 + 1 + 336 token sequence recomputed per frame (fp32),
  then the same sampling and decoder.
`--window SECONDS` then plays the same models in the app's Dream mode (bench/dream_window.py) and prints it beside
the engine alone. In the engine conditions every frame is decoded (the engine's reuse of an unchanged frame's image
is off), so the figures are the worst case. Besides wall-clock stages, each condition's CPU time per frame (all
threads) and its inverse, frames per CPU-second ("FPS/core"), are shown: on a shared machine, with one torch
thread, that is about the frame rate on a free core (contention for caches still inflates it a little).
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, process_time

import torch

from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from models.dream_engine import DreamEngine, DreamEngineConfig, sample, to_image

STAGES = ("world_model", "sampling", "decode", "total")
BLOCK = 5  # frames a condition runs in a row
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
        to_image(self.vqvae.decode(tokens.view(1, self.model.cfg.token_h, self.model.cfg.token_w))[0])
        t3 = perf_counter()
        self.history = torch.cat((self.history[:, 1:], tokens[None, None]), dim=1)
        return {"world_model": (t1 - t0) * 1e3, "sampling": (t2 - t1) * 1e3, "decode": (t3 - t2) * 1e3,
                "total": (t3 - t0) * 1e3}


def bench_dream(preset: str = "seed", frames: int = 40, warmup: int = 3, threads: int | None = None,
                checkpoint: str | None = None, window: float = 0.0) -> list[Condition]:
    """Print the per-stage medians and FPS of each condition and the engine's speed-up; returns the figures.
    window > 0: then play the same models that many seconds in the app's Dream mode and print it beside the engine."""
    from rich.console import Console

    from aria_desktop.session.model_worker import keep_window_thread_light, model_worker

    previous_threads = torch.get_num_threads()
    # the engine runs on a model worker as in the app, so the window's figures compare with it (model_worker.py)
    keep_window_thread_light(threads)
    worker = model_worker("aria-bench-dream")
    try:
        console = Console()
        console = console if console.is_terminal else Console(width=110)  # logs: one row per table line

        def engine_alone() -> tuple[dict[str, AtariWorldModel], AtariVQVAE, list[Condition]]:
            title, models, vqvae, start = _models(preset, checkpoint)
            return models, vqvae, _bench(title, models, vqvae, start, frames, warmup, console)

        models, vqvae, conditions = worker.submit(engine_alone).result()
        if window > 0:
            _bench_window(checkpoint, models["int8"], vqvae, window, conditions[0], console)
        return conditions
    finally:
        worker.shutdown()
        torch.set_num_threads(previous_threads)


def _models(preset: str, checkpoint: str | None) -> tuple[str, dict[str, AtariWorldModel], AtariVQVAE, torch.Tensor]:
    """The title, the world models by condition (fp32; the engine quantizes), the VQ-VAE and the start frames."""
    torch.manual_seed(0)
    if checkpoint is None:
        vqvae = AtariVQVAE(getattr(AtariVQVAEConfig, preset)()).eval()

        def world_model(**overrides) -> AtariWorldModel:
            cfg = getattr(AtariWorldModelConfig, preset)(n_vocab=vqvae.cfg.n_embeddings, **overrides)
            return AtariWorldModel(cfg)

        title = f"--preset {preset}"
        cell = world_model(temporal="cell")
        g = torch.Generator().manual_seed(0)
        start = torch.randint(0, cell.cfg.n_vocab, (cell.cfg.history, cell.cfg.n_tokens), generator=g)
    else:
        from aria_desktop.games.dream import DreamConfig, DreamGame
        from models.atari_frames import to_model
        from trainers.dream_loading import load_dream

        dream = load_dream(checkpoint)
        vqvae, cell = dream.vqvae.eval(), dream.world_model
        game = DreamGame(dream, DreamConfig())  # a real Breakout's first frames, as the Dream starts
        try:
            game.reset(0)
            with torch.no_grad():
                start = vqvae.encode(to_model(game.real_history()[0])).reshape(cell.cfg.history, -1)
        finally:
            game.close()
        title = f"--checkpoint {dream.name}"

        def world_model(**overrides) -> AtariWorldModel:
            return AtariWorldModel(AtariWorldModelConfig.from_dict({**cell.cfg.to_dict(), **overrides}))
    models = {"int8": cell, "int8 window": world_model(temporal="window"), "fp32": cell, NAIVE: world_model(layout="seed")}
    return title, models, vqvae, start


def _bench(title: str, models: dict[str, AtariWorldModel], vqvae: AtariVQVAE, start: torch.Tensor, frames: int,
           warmup: int, console) -> list[Condition]:
    from rich.progress import track
    from rich.table import Table

    cell, seed = models["int8"], models[NAIVE]
    wm_cfg = cell.cfg
    g = torch.Generator().manual_seed(0)
    actions = torch.randint(0, wm_cfg.n_actions, (warmup + frames,), generator=g).tolist()

    def engine(model: AtariWorldModel, quantize: bool) -> DreamEngine:
        e = DreamEngine(model, vqvae, DreamEngineConfig(quantize=quantize, skip_unchanged_decode=False))
        e.reset(start, torch.zeros(wm_cfg.history, dtype=torch.long))
        return e

    runners = {name: NaiveRecompute(model, vqvae, start) if name == NAIVE else engine(model, name != "fp32")
               for name, model in models.items()}
    conditions = {name: Condition(name) for name in runners}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    console.print(f"dream bench {title}: world model {cell.n_params() / 1e6:.2f}M parameters (seed layout "
                  f"{seed.n_params() / 1e6:.2f}M), VQ-VAE decoder {sum(p.numel() for p in vqvae.decoder.parameters()) / 1e6:.2f}M; "
                  f"{frames} frames after {warmup} warm-up; torch threads {torch.get_num_threads()}, CPUs usable "
                  f"{affinity}, load average {os.getloadavg()[0]:.1f} (others' work makes these figures noisy)")
    blocks = [range(i, min(i + BLOCK, warmup + frames)) for i in range(0, warmup + frames, BLOCK)]
    for block in track(blocks, description="dreaming", console=console, transient=True):
        for name, runner in runners.items():
            for n, i in enumerate((block.start, *block)):  # an untimed frame first, to warm the caches
                cpu = process_time()
                ms = runner.step(actions[i]) if isinstance(runner, NaiveRecompute) else runner.step(actions[i]).ms
                ms = {**ms, "cpu": (process_time() - cpu) * 1e3}
                if n and i >= warmup:
                    for stage in conditions[name].ms:
                        conditions[name].ms[stage].append(ms[stage])

    naive = conditions[NAIVE]
    table = Table(title=f"aria bench dream {title} (median ms per frame, wall clock; CPU ms = all threads)")
    for column in ("engine", "model", "sample", "decode", "total", "FPS", "vs naive", "CPU ms", "FPS/core"):
        table.add_column(column, justify="left" if column == "engine" else "right", no_wrap=column == "engine")
    for c in conditions.values():
        table.add_row(c.name, *(f"{c.median(s):.1f}" for s in STAGES), f"{c.fps:.1f}",
                      f"{naive.median('total') / c.median('total'):.2f}x", f"{c.median('cpu'):.1f}",
                      f"{1e3 / c.median('cpu'):.1f}")
    console.print(table)
    for name in ("int8", "int8 window"):
        c = conditions[name]
        console.print(f"{name}: {c.fps:.1f} FPS end to end ({'meets' if c.fps >= 15 else 'BELOW'} the 15 FPS bar), "
                      f"{naive.median('total') / c.median('total'):.1f}x the naive recompute's {naive.fps:.1f} FPS; "
                      f"{1e3 / c.median('cpu'):.1f} frames per CPU-second")
    return list(conditions.values())


def _bench_window(checkpoint: str | None, world_model: AtariWorldModel, vqvae: AtariVQVAE, seconds: float,
                  engine: Condition, console) -> None:
    """The same models in the app's Dream mode (worker thread, window drawing, real game beside, recording on)."""
    import tempfile

    from aria_desktop.bench.dream_window import dream_in_window, write_random_dream

    with tempfile.TemporaryDirectory(prefix="aria-bench-dream-") as tmp:
        figures = dream_in_window(checkpoint or write_random_dream(world_model, vqvae, Path(tmp)), seconds)
    if not figures.steps:
        console.print(f"in the window: no dream step was shown in {seconds:g} s (the model is slower than that)")
        return
    stages = ", ".join(f"{s} {figures.ms[s]:.1f}" for s in ("world_model", "decode", "total") if s in figures.ms)
    # the window paces the dream at Breakout's 15 steps a second, so keeping pace shows as a little under 15
    verdict = "meets" if figures.steps_per_second >= 15 * 0.97 else "BELOW"
    console.print(
        f"in the window ({seconds:g} s, {figures.steps} steps): {figures.steps_per_second:.1f} dream FPS shown (the "
        f"dream runs at most 15, Breakout's pace; {verdict} the 15 FPS bar); engine ms inside the app: {stages} vs "
        f"{engine.median('total'):.1f} alone ({figures.ms.get('total', 0.0) / engine.median('total'):.2f}x)",
        soft_wrap=True)
