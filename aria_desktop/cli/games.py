"""`aria games` and `aria run`: list the playable games, play one headless with an agent."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aria_desktop.cli.options import SEED_RANGE, EnvDir
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


@dataclass(frozen=True)
class EpisodeRow:
    steps: int
    score: float
    levels: int  # completed
    outcome: str  # WIN, GAME_OVER, TRUNCATED, or running when the step budget ran out
    playthrough: str  # "2", or "2 (part 3)" for an episode that continues play-through 2


@dataclass
class RunSummary:
    """What `aria run` played."""

    steps: int = 0
    frames: int = 0  # ARC steps can animate: more frames than steps
    seconds: float = 0.0
    episodes: list[EpisodeRow] = field(default_factory=list)


def run_agent(game_id: str, agent: str, steps: int, seed: int = 0, env_dir: Path | None = None) -> RunSummary:
    """Play `steps` steps through the episode runner, going on to the next episode whenever one ends."""
    from aria_desktop.games.catalog import open_game
    from aria_desktop.session import AGENT, EpisodeRunner

    game = open_game(game_id, env_dir, seed=seed)
    summary = RunSummary()
    try:
        runner = EpisodeRunner(game, seed, agent=agent, controller=AGENT)
        start = time.perf_counter()
        for t in range(steps):
            result = runner.agent_step()
            summary.steps += 1
            summary.frames += len(result.step.frames) if game.animated else 1  # Breakout's kept frame is not shown
            if result.outcome or t == steps - 1:
                ep = runner.episode
                part = f" (part {ep.playthrough.index + 1})" if ep.playthrough.index else ""
                summary.episodes.append(EpisodeRow(ep.steps, float(game.info.get("score", ep.reward)),
                                                   int(game.info.get("levels_completed", 0)),
                                                   result.outcome or "running", f"{runner.playthroughs}{part}"))
                if result.outcome and t < steps - 1:
                    runner.next_episode()
        summary.seconds = time.perf_counter() - start
        runner.close()
    finally:
        game.close()
    return summary


@friendly_errors
def run_command(
    game: Annotated[str, typer.Argument(help="Game id, as listed by `aria games`.")],
    agent: Annotated[str, typer.Option(help="random, explorer (ARC-style games, from frames alone), or scripted (Breakout tracker / built-in solver).")] = "random",
    steps: Annotated[int, typer.Option(min=1, help="Steps to play; a finished episode starts the next one.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the first play-through (play-through k uses seed + k).", **SEED_RANGE)] = 0,
    env_dir: EnvDir = None,
) -> None:
    """Play a game headless with an agent and print a summary (an ARC GAME_OVER goes on with a level reset)."""
    summary = run_agent(game, agent, steps, seed, env_dir)
    table = Table(title=f"{game} played by {agent} (seed {seed})")
    for column in ("episode", "play-through", "steps", "score", "levels", "outcome"):
        table.add_column(column, justify="right")
    for i, row in enumerate(summary.episodes, 1):
        table.add_row(str(i), row.playthrough, str(row.steps), f"{row.score:g}", str(row.levels), row.outcome)
    console = Console()
    console.print(table)
    rate = summary.steps / summary.seconds if summary.seconds else 0.0
    console.print(
        f"{summary.steps} steps, {summary.frames} frames, {len(summary.episodes)} episodes "
        f"in {summary.seconds:.2f} s ({rate:.0f} steps/s)"
    )
