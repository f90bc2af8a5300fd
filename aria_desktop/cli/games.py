"""`aria games` and `aria run`: list the playable games, play one headless with an agent."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aria_desktop.cli.options import EnvDir
from aria_desktop.errors import friendly_errors


@friendly_errors
def games_command(env_dir: EnvDir = None) -> None:
    """List every playable game: Breakout, the built-in games and ARC-AGI-3 games in the environments folder."""
    from aria_desktop.games.catalog import list_games

    table = Table(title="Playable games")
    for column in ("id", "kind", "title", "version", "levels", "actions"):
        table.add_column(column)
    problems = []
    for entry in list_games(env_dir):
        if entry.error:
            problems.append(entry.error)
            continue
        levels = "-" if entry.levels is None else str(entry.levels)
        table.add_row(entry.id, entry.kind.value, entry.title, entry.version, levels, " ".join(entry.actions))
    console = Console()
    console.print(table)
    for problem in problems:
        console.print(f"[yellow]Skipped:[/yellow] {problem}")


@friendly_errors
def run_command(
    game: Annotated[str, typer.Argument(help="Game id, as listed by `aria games`.")],
    agent: Annotated[str, typer.Option(help="random, explorer (ARC-style games, from frames alone), or scripted (Breakout tracker / built-in solver).")] = "random",
    steps: Annotated[int, typer.Option(min=1, help="Steps to play; a finished episode starts a new one.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the first episode (episode k uses seed + k).")] = 0,
    env_dir: EnvDir = None,
) -> None:
    """Play a game headless with an agent and print a summary."""
    from aria_desktop.run_headless import run_agent

    summary = run_agent(game, agent, steps, seed, str(env_dir) if env_dir else None)
    table = Table(title=f"{summary.game} played by {summary.agent} (seed {summary.seed})")
    for column in ("episode", "steps", "score", "levels", "outcome"):
        table.add_column(column, justify="right")
    for i, ep in enumerate(summary.episodes, 1):
        table.add_row(str(i), str(ep.steps), f"{ep.score:g}", str(ep.levels_completed), ep.outcome)
    console = Console()
    console.print(table)
    rate = summary.steps / summary.seconds if summary.seconds else 0.0
    console.print(
        f"{summary.steps} steps, {summary.frames} frames, {len(summary.episodes)} episodes "
        f"in {summary.seconds:.2f} s ({rate:.0f} steps/s)"
    )
