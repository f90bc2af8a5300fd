"""`aria record`: agents play episodes in batch (several processes where it helps), one HDF5 file each."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aria_desktop.cli.options import DEFAULT_RECORDINGS, EnvDir
from aria_desktop.errors import friendly_errors


@dataclass(frozen=True)
class RecordConfig:
    """One batch of agent-played episodes (`aria record`)."""

    game: str
    agent: str = "random"
    episodes: int = 1
    out: Path = DEFAULT_RECORDINGS
    seed: int = 0  # episode k is reset with seed + k
    max_steps: int = 2000  # an episode still running after this many steps is truncated
    env_dir: Path | None = None
    jobs: int = 1  # worker processes: several environments at once for long batches


def record_one(game: Any, cfg: RecordConfig, k: int, on_step: Callable[[], None] | None = None) -> Path:
    """Play and record episode k (seed cfg.seed + k; the agent is seeded the same, so --jobs changes nothing)."""
    from aria_desktop.agents import make_agent
    from aria_desktop.episodes import start_episode

    seed = cfg.seed + k
    frame = game.reset(seed)
    agent = make_agent(cfg.agent, game, seed=seed)
    agent.reset(game)
    writer = start_episode(cfg.out, game, seed, frame, game.info)
    try:
        outcome = "TRUNCATED"
        for t in range(cfg.max_steps):
            choice = agent.act(game)
            step = game.step(choice.action, choice.xy)
            truncated = step.truncated or t == cfg.max_steps - 1
            writer.add_step(choice.action, choice.xy, step.frames, step.reward, step.terminated, truncated,
                            step.info, controller=1)
            if on_step:
                on_step()
            if step.terminated:
                outcome = str(step.info.get("state") or "TERMINATED")
                break
            if step.truncated:
                break
        return writer.close(outcome=outcome)
    except BaseException:
        if writer.steps:  # keep what was played (marked incomplete); an empty episode is dropped
            writer.close(outcome="INTERRUPTED", complete=False)
        else:
            writer.discard()
        raise


def _record_in_worker(cfg: RecordConfig, k: int) -> Path:
    """One episode in a worker process (each worker opens the game once)."""
    from aria_desktop.games.catalog import open_game

    global _WORKER_GAME
    if _WORKER_GAME is None:
        _WORKER_GAME = open_game(cfg.game, cfg.env_dir, seed=cfg.seed)
    return record_one(_WORKER_GAME, cfg, k)


_WORKER_GAME: Any = None


def record_episodes(cfg: RecordConfig, progress: Progress | None = None) -> list[Path]:
    """Play cfg.episodes episodes with the agent, one HDF5 file each (in cfg.jobs processes); returns the files."""
    from aria_desktop.games.catalog import open_game

    episodes_task = progress.add_task("episodes", total=cfg.episodes) if progress else None
    if cfg.jobs > 1 and cfg.episodes > 1:
        open_game(cfg.game, cfg.env_dir, seed=cfg.seed).close()  # an unknown game fails here, in one sentence
        saved: list[Path] = []
        # spawn, not fork: the parent runs rich's refresh thread, and forked threads are unsafe.
        with ProcessPoolExecutor(min(cfg.jobs, cfg.episodes), mp_context=get_context("spawn")) as pool:
            for future in as_completed([pool.submit(_record_in_worker, cfg, k) for k in range(cfg.episodes)]):
                saved.append(future.result())
                if progress:
                    progress.advance(episodes_task)
        return sorted(saved)
    game = open_game(cfg.game, cfg.env_dir, seed=cfg.seed)
    steps_task = progress.add_task("steps", total=cfg.max_steps) if progress else None
    saved = []
    try:
        for k in range(cfg.episodes):
            if progress:
                progress.reset(steps_task, total=cfg.max_steps, description=f"episode {k + 1} (seed {cfg.seed + k})")
            saved.append(record_one(game, cfg, k, (lambda: progress.advance(steps_task)) if progress else None))
            if progress:
                progress.advance(episodes_task)
    finally:
        game.close()
    return saved


@friendly_errors
def record_command(
    game: Annotated[str, typer.Argument(help="Game id (see `aria games`).")],
    agent: Annotated[str, typer.Option("--agent", help="random, or scripted (Breakout tracker / built-in solver).")] = "random",
    episodes: Annotated[int, typer.Option("--episodes", min=1, help="Episodes to record.")] = 1,
    headless: Annotated[bool, typer.Option("--headless", help="Record without a window; without it the app opens in watch mode, recording (Tab takes over).")] = False,
    out: Annotated[Path, typer.Option("--out", help="Recordings folder (episodes go to OUT/<game>/).")] = DEFAULT_RECORDINGS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first episode (episode k uses seed + k).")] = 0,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Truncate an episode after this many steps.")] = 2000,
    env_dir: EnvDir = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Record this many episodes at once, in separate processes.")] = 1,
) -> None:
    """Record episodes played by an agent into HDF5 files, with a progress bar."""
    if not headless:  # watch the agent record in the window; episodes go on until the person quits
        from aria_desktop.cli.play import launch_app

        launch_app("watch", game, agent, True, out, env_dir, seed)
        return
    cfg = RecordConfig(game, agent, episodes, out, seed, max_steps, env_dir, jobs)
    console = Console()
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        saved = record_episodes(cfg, progress)
    from recorder import open_episode

    steps = 0
    for path in saved:
        with open_episode(path) as ep:
            steps += ep.steps
    where = saved[0].parent if saved else out
    console.print(f"Recorded {len(saved)} episode(s), {steps} steps, into {where}.", soft_wrap=True)
