"""`aria bench ...`: speed figures measured side by side in one run (never timed tests)."""

from __future__ import annotations

from typing import Annotated

import typer

from aria_desktop.bench.record import DEFAULT_ARC_GAME
from aria_desktop.errors import friendly_errors

bench_app = typer.Typer(help="Benchmarks: print speed figures measured side by side in one run.", no_args_is_help=True)


@bench_app.command("record")
@friendly_errors
def bench_record_command(
    steps: Annotated[int, typer.Option(min=100, help="Steps timed in each condition.")] = 2000,
    game: Annotated[str, typer.Option(help="The ARC-style game measured beside Breakout.")] = DEFAULT_ARC_GAME,
) -> None:
    """Per-step cost of play with recording on and off (Breakout and an ARC-style game), side by side."""
    from aria_desktop.bench.record import bench_record
    from aria_desktop.games.catalog import require_known

    require_known(game)  # an unknown game is an error, not a skipped benchmark

    bench_record(steps, game)


@bench_app.command("app")
def bench_app_command(
    frames: Annotated[int, typer.Option(min=50, help="Frames to render in each condition.")] = 600,
    training: Annotated[bool, typer.Option(help="Also measure while a tiny training run goes in its own process.")] = True,
) -> None:
    """The app's render-loop frame time idle, with recording on, and while a training run goes, side by side."""
    from aria_desktop.bench.app import bench_app as run_bench_app

    run_bench_app(frames, training=training)


@bench_app.command("dream")
@friendly_errors
def bench_dream_command(
    preset: Annotated[str, typer.Option(help="Model sizes: seed (seed 002's) or tiny.")] = "seed",
    frames: Annotated[int, typer.Option(min=5, help="Frames timed in each condition.")] = 40,
    threads: Annotated[int, typer.Option(min=0, help="torch threads (0 = torch's default).")] = 0,
    checkpoint: Annotated[
        str | None, typer.Option(help="A trained dream (atari-wm checkpoint or run folder) instead of random weights.")
    ] = None,
    window: Annotated[float, typer.Option(min=0, help="Then play the same models this many seconds in the app's Dream mode (its worker thread, the window drawing, recording on) and print it beside the engine alone (0 = off).")] = 0.0,
) -> None:
    """Dream-engine FPS and per-stage milliseconds beside the naive full recompute (random weights at the preset's
    sizes, or a trained dream); with --window, also the dream as the window shows it."""
    from aria_desktop.bench.dream import bench_dream
    from aria_desktop.cli.train import trainer_errors

    if preset not in ("seed", "tiny"):
        raise typer.BadParameter(f"unknown preset {preset!r}; use seed or tiny", param_hint="--preset")
    with trainer_errors():
        bench_dream(preset, frames, threads=threads or None, checkpoint=checkpoint, window=window)


@bench_app.command("agent")
def bench_agent_command(
    preset: Annotated[str, typer.Option(help="Base model: seed (SmolLM2-135M, the packaged GGUF) or tiny.")] = "seed",
    decisions: Annotated[int, typer.Option(min=1, help="Decisions timed in each condition.")] = 10,
    clicks: Annotated[int, typer.Option(min=0, help="Click candidates besides the four moves.")] = 32,
    threads: Annotated[int, typer.Option(min=0, help="torch threads (0 = the agent's rule: 1 for a small model, "
                                                     "else torch's default).")] = 0,
) -> None:
    """World-model agent: seconds per decision with candidates scored in one batched pass vs one at a time."""
    from aria_desktop.bench.agent import BASES, bench_agent

    if preset not in BASES:
        raise typer.BadParameter(f"unknown preset {preset!r}; use seed or tiny", param_hint="--preset")
    bench_agent(preset, decisions, clicks, threads=threads or None)
