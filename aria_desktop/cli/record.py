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

from aria_desktop.cli.options import DEFAULT_RECORDINGS, MAX_SEED, SEED_RANGE, EnvDir, check_out
from aria_desktop.errors import AriaError, friendly_errors


@dataclass(frozen=True)
class RecordConfig:
    """One batch of agent-played episodes (`aria record`)."""

    game: str
    agent: str = "random"
    episodes: int = 1
    out: Path = DEFAULT_RECORDINGS
    seed: int = 0  # play-through k is reset with seed + k
    max_steps: int = 2000  # a play-through still running after this many steps is truncated
    env_dir: Path | None = None
    jobs: int = 1  # worker processes: several environments at once for long batches


def record_playthrough(
    game: Any, cfg: RecordConfig, k: int, fresh: bool = False, on_step: Callable[[], None] | None = None
) -> list[Path]:
    """Play and record play-through k with the episode runner (its seed rule: seed cfg.seed + k, the agent seeded
    alike, so --jobs changes nothing). An ARC GAME_OVER goes on after a level reset in a new episode of the same
    play-through; cfg.max_steps bounds the whole play-through. fresh: the game was just opened with that seed."""
    from aria_desktop.session import AGENT, EpisodeRunner, RecordingSession

    runner = EpisodeRunner(game, cfg.seed, cfg.agent, RecordingSession(cfg.out), AGENT, cfg.max_steps, fresh,
                           first_playthrough=k)
    saved: list[Path] = []
    try:
        while True:
            result = runner.agent_step()
            if on_step:
                on_step()
            saved += _saved(runner.drain())
            if result.outcome and not runner.continues_playthrough():
                break
            if result.outcome:
                runner.next_episode()
        runner.close()
    except BaseException:
        runner.finish("INTERRUPTED", complete=False)  # keep what was played; an episode without steps is dropped
        runner.close()
        raise
    return saved + _saved(runner.drain())


def _saved(events: list) -> list[Path]:
    """The files saved; a recording problem ends the batch (a headless batch has nobody to warn)."""
    from aria_desktop.session import EpisodeSaved

    for event in events:
        if not isinstance(event, EpisodeSaved) and event.error:
            raise AriaError(event.sentence)
    return [event.path for event in events if isinstance(event, EpisodeSaved)]


def _record_in_worker(cfg: RecordConfig, k: int) -> list[Path]:
    """One play-through in a worker process (each worker opens the game once, with its first task's seed)."""
    from aria_desktop.games.catalog import open_game
    from aria_desktop.session import SeedSchedule

    global _WORKER_GAME
    fresh = _WORKER_GAME is None
    if fresh:
        _WORKER_GAME = open_game(cfg.game, cfg.env_dir, seed=SeedSchedule(cfg.seed).seed(k))
    return record_playthrough(_WORKER_GAME, cfg, k, fresh)


_WORKER_GAME: Any = None


def record_episodes(cfg: RecordConfig, progress: Progress | None = None) -> list[Path]:
    """Play cfg.episodes play-throughs with the agent, one HDF5 file per episode (in cfg.jobs processes)."""
    from aria_desktop.games.catalog import open_game

    episodes_task = progress.add_task("play-throughs", total=cfg.episodes) if progress else None
    if cfg.jobs > 1 and cfg.episodes > 1:
        open_game(cfg.game, cfg.env_dir, seed=cfg.seed).close()  # an unknown game fails here, in one sentence
        saved: list[Path] = []
        # spawn, not fork: the parent runs rich's refresh thread, and forked threads are unsafe.
        with ProcessPoolExecutor(min(cfg.jobs, cfg.episodes), mp_context=get_context("spawn")) as pool:
            try:
                for future in as_completed([pool.submit(_record_in_worker, cfg, k) for k in range(cfg.episodes)]):
                    saved += future.result()
                    if progress:
                        progress.advance(episodes_task)
            except BaseException:  # a full disk, Ctrl-C: no further play-through starts (and leaves no empty file)
                pool.shutdown(cancel_futures=True)
                raise
        return sorted(saved)
    game = open_game(cfg.game, cfg.env_dir, seed=cfg.seed)
    steps_task = progress.add_task("steps", total=cfg.max_steps) if progress else None
    saved = []
    try:
        for k in range(cfg.episodes):
            if progress:
                progress.reset(steps_task, total=cfg.max_steps, description=f"play-through {k + 1}")
            advance = (lambda: progress.advance(steps_task)) if progress else None
            saved += record_playthrough(game, cfg, k, fresh=(k == 0), on_step=advance)
            if progress:
                progress.advance(episodes_task)
    finally:
        game.close()
    return saved


@friendly_errors
def record_command(
    game: Annotated[str, typer.Argument(help="Game id (see `aria games`).")],
    agent: Annotated[str, typer.Option("--agent", help="random, scripted (Breakout tracker / built-in solver), explorer (any ARC game, from frames alone: more of a game's states than random play), or world-model.")] = "random",
    episodes: Annotated[int, typer.Option("--episodes", min=1, help="Play-throughs to record (an ARC GAME_OVER goes on, after a level reset, in a further episode of the same play-through).")] = 1,
    headless: Annotated[bool, typer.Option("--headless", help="Record without a window; without it the app opens in watch mode, recording (Tab takes over).")] = False,
    out: Annotated[str, typer.Option("--out", help="Recordings folder (episodes go to OUT/<game>/).")] = str(DEFAULT_RECORDINGS),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first play-through (play-through k uses seed + k).", **SEED_RANGE)] = 0,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Truncate a play-through after this many steps.")] = 2000,
    env_dir: EnvDir = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Record this many play-throughs at once, in separate processes.")] = 1,
) -> None:
    """Record episodes played by an agent into HDF5 files, with a progress bar."""
    out = check_out(out)
    if seed + episodes - 1 > MAX_SEED:
        raise AriaError(f"Seeds {seed}..{seed + episodes - 1} go past {MAX_SEED}, the largest seed; pick a smaller --seed.")
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
    console.print(f"Recorded {len(saved)} episode(s) in {episodes} play-through(s), {steps} steps, into {where}.",
                  soft_wrap=True)
