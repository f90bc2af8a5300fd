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
    """List every playable game: Breakout, the built-in games and ARC-AGI-3 games in the environments folder.

    A game found in several versions is listed once per version. Its bare id (`vc33`) opens the version the
    ARC-AGI-3 toolkit's `Arcade.make("vc33")` opens: the latest `date_downloaded` in its metadata.json,
    marked "bare id" below; the `game-version` form (`vc33-9851e02b`) opens one version exactly, wherever a
    command takes a game id. Levels are what the game reports once loaded.
    """
    from aria_desktop.games.catalog import list_games

    entries = list_games(env_dir)
    versions: dict[str, int] = {}
    for entry in entries:
        versions[entry.id] = versions.get(entry.id, 0) + 1
    table = Table(title="Playable games")
    for column in ("id", "kind", "title", "version", "levels", "actions"):
        table.add_column(column)
    problems = []
    for entry in entries:
        if entry.error:
            problems.append(entry.error)
            continue
        levels = "-" if entry.levels is None else str(entry.levels)
        version = entry.version + (" (bare id)" if entry.default and versions[entry.id] > 1 else "")
        table.add_row(entry.open_id, entry.kind.value, entry.title, version, levels, " ".join(entry.actions))
    console = Console()
    console.print(table)
    if any(count > 1 for count in versions.values()):
        console.print("A bare id opens the version marked (bare id), as the toolkit does; ID-VERSION opens that version.")
    for problem in problems:
        console.print(f"[yellow]Skipped:[/yellow] {problem}")


@friendly_errors
def run_command(
    game: Annotated[str, typer.Argument(help="Game id, as listed by `aria games`.")],
    agent: Annotated[str, typer.Option(help="random, or scripted (Breakout tracker / built-in solver).")] = "random",
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
