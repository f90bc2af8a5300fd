"""`aria bench agent`: seconds per world-model-agent decision with the candidates scored in one batched pass
over the context's cached keys/values, beside the same candidates scored one at a time, in one run. Threads: the
agent's own rule (`inference_threads`: one for a small model) unless `threads` is given.

A decision reads the new frame (<FRAME>, its 64 codes and <ACT>) into a full context window, then scores every
candidate (the four moves and `clicks` click positions): P(level complete) and the policy's probability. The
two conditions alternate decision by decision over the same contexts, so machine noise hits them alike; the
scores of both are compared too. Weights: the base model's own (`seed`: SmolLM2-135M from the packaged GGUF;
`tiny`: random), new game-token rows and LoRA adapters random (they do not change the speed).
"""

from __future__ import annotations

import os
import statistics
from time import perf_counter

import numpy as np
import torch

from models.arc_agent_scoring import Candidate, ContextScorer, inference_threads
from models.arc_game_transformer import CLICK, ArcGameTransformer, ArcGameTransformerConfig
from models.base_models import SMOLLM2_135M

BASES = {"seed": SMOLLM2_135M, "tiny": "tiny"}  # the seed-size base that runs here offline, and tiny


def bench_agent(preset: str = "seed", decisions: int = 10, clicks: int = 32, threads: int | None = None,
                warmup: int = 2) -> dict[str, float]:
    """Print seconds per decision, batched and one at a time, and their ratio; returns the figures."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console = console if console.is_terminal else Console(width=120)  # logs and pipes: one row per table line
    previous = torch.get_num_threads()
    try:
        torch.manual_seed(0)
        cfg = ArcGameTransformerConfig.tiny() if preset == "tiny" else ArcGameTransformerConfig.seed()
        cfg.base_model = BASES[preset]
        with console.status(f"loading the {cfg.base_model} base model"):
            model = ArcGameTransformer(cfg).eval()
            with torch.no_grad():  # distinct new rows and adapters, so the two conditions' scores are worth comparing
                for p in model.trainable_parameters():
                    p.normal_(0.0, 0.3)
        torch.set_num_threads(threads or inference_threads(model))
        v = model.vocab
        rng = np.random.default_rng(0)
        step = len(v.step(np.zeros(64, int), 1, None, False))
        history = [v.game_start]
        while len(history) + 2 * step < cfg.context:  # a full window, with room for the decision's frame
            history += v.step(rng.integers(0, v.n_codes, 64), int(rng.integers(1, 5)), None, False)
        context = ContextScorer(model, cfg.context)
        with console.status(f"reading a {len(history)}-token context"):
            context.extend(history)
        candidates = [Candidate(a) for a in range(1, 5)]
        candidates += [Candidate(CLICK, (int(x), int(y))) for x, y in rng.integers(0, v.n_xy, (clicks, 2))]
        frames = [v.frame_tokens(rng.integers(0, v.n_codes, 64)) + [v.act] for _ in range(warmup + decisions)]
        read: dict[bool, list[float]] = {True: [], False: []}  # reading the decision's frame into the context
        scoring: dict[bool, list[float]] = {True: [], False: []}
        worst = 0.0
        for i, frame in enumerate(frames):
            scores = {}
            for batched in (True, False):
                t0 = perf_counter()
                scorer = context.fork()  # the same context each time: this frame is the decision's news
                scorer.extend(frame)
                t1 = perf_counter()
                scores[batched] = scorer.score(candidates, batched=batched)
                if i >= warmup:
                    read[batched].append(t1 - t0)
                    scoring[batched].append(perf_counter() - t1)
            worst = max(worst, float((scores[True].level - scores[False].level).abs().max()),
                        float((scores[True].policy - scores[False].policy).abs().max()))
        used_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)
    console.print(f"agent bench, {preset}: base {cfg.base_model}, {model.lm.num_parameters() / 1e6:.1f}M parameters; "
                  f"context {len(history)} tokens, {len(candidates)} candidates (4 moves, {clicks} clicks); "
                  f"{decisions} decisions after {warmup} warm-up; torch threads {used_threads}, load "
                  f"average {os.getloadavg()[0]:.1f} (others' work makes these figures noisy)")
    table = Table(title=f"aria bench agent --preset {preset}: median seconds, wall clock; batched = all candidates in "
                        "one pass over the context's cached keys/values, one at a time = a pass each over that cache")
    for column in ("candidates scored", "read frame", "score candidates", "s / decision", "decisions / s"):
        table.add_column(column, justify="left" if column == "candidates scored" else "right", no_wrap=True)
    figures = {}
    for batched, name in ((True, "batched"), (False, "one at a time")):
        total = statistics.median([a + b for a, b in zip(read[batched], scoring[batched], strict=True)])
        figures[batched] = (statistics.median(scoring[batched]), total)
        table.add_row(name, f"{statistics.median(read[batched]):.4f}", f"{figures[batched][0]:.4f}", f"{total:.4f}",
                      f"{1 / total:.1f}")
    console.print(table)
    ratio = figures[False][1] / figures[True][1]
    console.print(f"batched is {ratio:.1f}x faster than one at a time per decision ({'meets' if ratio >= 3 else 'BELOW'} "
                  f"the 3x aim), {figures[False][0] / figures[True][0]:.1f}x on the candidate scoring alone; largest "
                  f"difference between their scores {worst:.1e}")
    return {"batched_s": figures[True][1], "one_at_a_time_s": figures[False][1], "ratio": ratio,
            "scoring_ratio": figures[False][0] / figures[True][0], "max_difference": worst}
