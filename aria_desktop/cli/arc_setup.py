"""`aria train arc-setup`: from nothing to a trained tiny ARC agent, in the style of `aria dream --setup`.

It records the built-in games (the solver's play-throughs, and random play-throughs for the frames and outcomes
the expert never shows; with --env-dir also the ARC-AGI-3 games there, played by the random agent, and by the explorer with --explorer-episodes), trains the tiny ARC VQ-VAE and then the tiny game transformer on the CPU, evaluates both
on held-out random play-throughs (other seeds), prints the figures and the time, and makes the two runs the active
models, so Watch's world-model agent plays with them. Everything goes to --out (default <runs>/arc-setup/); run
again, it continues where it stopped (finished recordings kept, training resumed).

The built-in games and their solver are deterministic: every expert play-through of a game is the same one, so
none of them can be held out: the held-out figures are on random play.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aria_desktop.errors import AriaError, friendly_errors
from aria_desktop.paths import DEFAULT_RUNS

HELDOUT_SEED = 10_000  # held-out play-throughs use seeds from here on, never the training ones
DONE_MARK = ".recorded"  # written into a game's recordings folder once all its play-throughs are saved


@dataclass
class ArcSetupConfig:
    """The first ARC agent's budget: recordings per game and training steps."""

    out: Path = DEFAULT_RUNS / "arc-setup"
    games: tuple[str, ...] = ()  # built-in game ids (empty: all of them)
    # Solver play-throughs per game. They are all the same play, but two keep a game's expert play in training
    # when the trainers' validation split (a tenth of the episodes) takes one.
    expert_episodes: int = 2
    random_episodes: int = 2  # random play-throughs per game to train on
    # Explorer play-throughs of each --env-dir game to train on: random play stays in a game's first states, the
    # explorer reaches others (README: held-out real patches never seen in training 1.23 -> 0.91 %), but 2 of them
    # left the seed VQ-VAE's pixel accuracy no better (real 99.72 -> 99.69 %, built-in 99.78 -> 99.69 %): off by default.
    explorer_episodes: int = 0
    heldout_episodes: int = 1  # random play-throughs per game, other seeds, to evaluate on
    max_steps: int = 150  # steps per play-through
    # The seed-size VQ-VAE reconstructs built-in and real frames better (README); about 70 minutes on 2 cores.
    vqvae_preset: str = "tiny"
    vqvae_steps: int | None = None  # None: the VQ-VAE preset's (tiny: 2500, the pixel-accuracy bar needs them)
    wm_steps: int | None = None  # None: the tiny preset's (600)
    seed: int = 0
    env_dir: Path | None = None  # ARC-AGI-3 games to learn too: random and explorer play-throughs (no solver for them)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # filled in as the stages run


def builtin_games() -> list[str]:
    from aria_desktop.games.arc import BUILTIN_ENVIRONMENTS, scan_environments
    from aria_desktop.games.game import GameKind

    return sorted({info.base_id for info in scan_environments(BUILTIN_ENVIRONMENTS, GameKind.BUILTIN)[0]})


def arc_agi_games(env_dir: Path) -> list[str]:
    """The ARC-AGI-3 games (bare ids) in an environments folder; one sentence when there are none."""
    from aria_desktop.games.arc import scan_environments
    from aria_desktop.games.game import GameKind

    found = sorted({info.base_id for info in scan_environments(env_dir, GameKind.ARC)[0]}) if env_dir.is_dir() else []
    if not found:
        raise AriaError(f"{env_dir} holds no ARC-AGI-3 games (metadata.json + game file per version); point --env-dir "
                        "at the toolkit's environment_files folder.")
    return found


def setup_arc(cfg: ArcSetupConfig, console: Console) -> tuple[Path, Path]:
    """Record, train, evaluate, make active; returns (VQ-VAE run, world-model run). Finished stages are skipped."""
    from aria_desktop import paths
    from aria_desktop.cli.train import PRESETS, trainer_errors
    from trainers.arc_vqvae_train import BAR, ArcVQVAERun, ArcVQVAETrainConfig, eval_arc_vqvae, train_arc_vqvae
    from trainers.arc_wm_train import ArcWMRun, ArcWMTrainConfig, eval_arc_world_model, train_arc_world_model
    from trainers.checkpoint import steps_done
    from trainers.models_registry import ActiveModels

    games = list(cfg.games) or builtin_games()
    unknown = sorted(set(games) - set(builtin_games()))
    if unknown:
        raise AriaError(f"{', '.join(unknown)} is not a built-in game (the solver plays only those: "
                        f"{', '.join(builtin_games())}); pick among them with --game.")
    if cfg.vqvae_preset not in PRESETS:
        raise AriaError(f"{cfg.vqvae_preset!r} is not an ARC VQ-VAE preset; use --vqvae-preset {' or '.join(PRESETS)}.")
    vq_steps = cfg.vqvae_steps or ArcVQVAETrainConfig.preset(cfg.vqvae_preset).steps
    wm_steps = cfg.wm_steps or ArcWMTrainConfig.preset("tiny").steps
    started = time.monotonic()
    data, heldout, vq_run, wm_run = (cfg.out / name for name in ("data", "heldout", "vqvae", "world-model"))
    real = arc_agi_games(cfg.env_dir) if cfg.env_dir else []
    batches = [(data / "expert", "scripted", cfg.expert_episodes, cfg.seed, games),
               (data / "random", "random", cfg.random_episodes, cfg.seed, games + real),
               (data / "explorer", "explorer", cfg.explorer_episodes, cfg.seed, real),
               (heldout, "random", cfg.heldout_episodes, cfg.seed + HELDOUT_SEED, games + real)]
    with _stage(cfg, "record"):
        todo = [(folder, agent, n, seed, game) for folder, agent, n, seed, which in batches if n > 0 for game in which
                if not (folder / game / DONE_MARK).is_file()]
        if todo:
            console.print(f"[bold]1. Recording {len(todo)} batches of play-throughs of {', '.join(games + real)}[/bold]")
            _record(todo, cfg.max_steps, cfg.env_dir, console)
        else:
            console.print(f"[dim]the recordings in {cfg.out} are complete[/dim]")
    with trainer_errors():
        with _stage(cfg, "vqvae"):
            done = steps_done(vq_run)
            if done < vq_steps:
                preset = cfg.vqvae_preset
                console.print(f"[bold]2. Training the {preset} ARC VQ-VAE ({vq_steps} steps)[/bold]")
                train_arc_vqvae(ArcVQVAERun([data], vq_run, preset, "cpu", vq_steps, done > 0,
                                            args={"data": [str(data)], "preset": preset, "steps": vq_steps}))
            else:
                console.print(f"[dim]the VQ-VAE in {vq_run} is trained (step {done})[/dim]")
        with _stage(cfg, "world model"):
            if _trained_on_another_vqvae(wm_run, vq_run):
                console.print(f"[dim]the VQ-VAE trained further: the game transformer in {wm_run} starts again[/dim]")
                shutil.rmtree(wm_run)
            done = steps_done(wm_run)
            if done < wm_steps:
                console.print(f"[bold]3. Training the tiny game transformer ({wm_steps} steps)[/bold]")
                train_arc_world_model(ArcWMRun([data], wm_run, vq_run, "tiny", None, "cpu", wm_steps, done > 0,
                                               args={"data": [str(data)], "vqvae": str(vq_run), "preset": "tiny",
                                                     "steps": wm_steps}))
            else:
                console.print(f"[dim]the game transformer in {wm_run} is trained (step {done})[/dim]")
        with _stage(cfg, "evaluate"):
            console.print("[bold]4. Evaluating both on the held-out play-throughs[/bold]")
            vq = eval_arc_vqvae(vq_run, [heldout])
            vq_real = eval_arc_vqvae(vq_run, [heldout / g for g in real]) if real else None
            wm = eval_arc_world_model(wm_run, [heldout])
        active = ActiveModels(paths.ACTIVE_MODELS)
        active.choose(vq_run)
        active.choose(wm_run)
    minutes = (time.monotonic() - started) / 60
    verdict = "meets" if vq["pixel_accuracy"] >= BAR else "is below"
    console.print(f"VQ-VAE: pixel accuracy {vq['pixel_accuracy']:.4%} on {vq['frames']:.0f} held-out frames ({verdict} "
                  f"the {BAR:.2%} bar), {vq['codebook_usage']:.1%} of the codebook in use.", soft_wrap=True)
    if vq_real is not None:
        unseen = (f"; {vq_real['unseen_patch_share']:.2%} of their 8×8 patches never appeared in training "
                  f"({vq_real['accuracy_on_unseen_patches']:.1%} of those pixels right)"
                  if "unseen_patch_share" in vq_real else "")
        console.print(f"VQ-VAE on the {len(real)} ARC-AGI-3 games' {vq_real['frames']:.0f} held-out frames alone: pixel "
                      f"accuracy {vq_real['pixel_accuracy']:.4%}{unseen}.", soft_wrap=True)
    console.print(f"Game transformer on {wm['windows']:.0f} held-out windows: frame tokens {wm['frame_accuracy']:.1%}, "
                  f"level completed or not {wm['level_accuracy']:.1%}, actions {wm['action_accuracy']:.1%} (of a random "
                  f"player), perplexity {wm['perplexity']:.2f}.", soft_wrap=True)
    stages = ", ".join(f"{name} {seconds / 60:.1f}" for name, seconds in cfg.stage_seconds.items())
    console.print(f"Setup took {minutes:.1f} minutes ({stages}); both models are now the active ones "
                  f"(`aria models list`), in {cfg.out}.", soft_wrap=True)
    return vq_run, wm_run


@contextlib.contextmanager
def _stage(cfg: ArcSetupConfig, name: str) -> Iterator[None]:
    """Times a stage into cfg.stage_seconds."""
    start = time.monotonic()
    try:
        yield
    finally:
        cfg.stage_seconds[name] = cfg.stage_seconds.get(name, 0.0) + time.monotonic() - start


def _record(todo: list[tuple[Path, str, int, int, str]], max_steps: int, env_dir: Path | None, console: Console) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aria_desktop.cli.record import RecordConfig, record_episodes

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        batches = progress.add_task("recording", total=len(todo))
        for folder, agent, episodes, seed, game in todo:
            shutil.rmtree(folder / game, ignore_errors=True)  # a batch cut short is recorded again, whole
            progress.update(batches, description=f"{game} ({agent})")
            before = set(progress.task_ids)
            record_episodes(RecordConfig(game, agent, episodes, folder, seed, max_steps, env_dir), progress)
            for task in set(progress.task_ids) - before:  # one game's bars at a time, not a screenful
                progress.remove_task(task)
            (folder / game).mkdir(parents=True, exist_ok=True)
            (folder / game / DONE_MARK).touch()
            progress.advance(batches)


def _trained_on_another_vqvae(wm_run: Path, vq_run: Path) -> bool:
    """The world-model run learned the tokens of a VQ-VAE checkpoint that is no longer the VQ-VAE run's newest."""
    from trainers.checkpoint import latest_checkpoint, load_checkpoint

    latest, vq_latest = latest_checkpoint(wm_run), latest_checkpoint(vq_run)
    if latest is None or vq_latest is None:
        return False
    parent = load_checkpoint(latest, tensors=False).parent("vqvae") or {}
    return parent.get("id") != load_checkpoint(vq_latest, tensors=False).id


@friendly_errors
def arc_setup_command(
    out: Annotated[Path, typer.Option("--out", help="Where its recordings and runs go.")] = ArcSetupConfig.out,
    games: Annotated[list[str] | None, typer.Option("--game", help="A built-in game to learn (repeat for several; default: all of them).")] = None,
    random_episodes: Annotated[int, typer.Option("--random-episodes", min=0, help="Random play-throughs per game to train on (beside two solver play-throughs).")] = ArcSetupConfig.random_episodes,
    heldout_episodes: Annotated[int, typer.Option("--heldout-episodes", min=1, help="Random play-throughs per game (other seeds) to evaluate on.")] = ArcSetupConfig.heldout_episodes,
    max_steps: Annotated[int, typer.Option("--max-steps", min=5, help="Steps per play-through.")] = ArcSetupConfig.max_steps,
    vqvae_preset: Annotated[str, typer.Option("--vqvae-preset", help="tiny, or seed: the seed-size VQ-VAE (6× the parameters, 5000 steps), more accurate on built-in and real ARC-AGI-3 frames (--env-dir); about 70 minutes on 2 cores.")] = ArcSetupConfig.vqvae_preset,
    vqvae_steps: Annotated[int | None, typer.Option("--vqvae-steps", min=1, help="VQ-VAE training steps (default: the preset's; tiny 2500).")] = None,
    wm_steps: Annotated[int | None, typer.Option("--wm-steps", min=1, help="Game-transformer training steps (default: the tiny preset's, 600).")] = None,
    env_dir: Annotated[Path | None, typer.Option("--env-dir", help="Also learn the ARC-AGI-3 games in this environments folder (random play-throughs, and explorer ones with --explorer-episodes; a VQ-VAE that never saw them reconstructs their frames poorly).")] = None,
    explorer_episodes: Annotated[int, typer.Option("--explorer-episodes", min=0, help="--env-dir: explorer play-throughs per ARC-AGI-3 game to train on (it reaches states random play does not).")] = ArcSetupConfig.explorer_episodes,
    no_open: Annotated[bool, typer.Option("--no-open", help="Stop after the evaluation, without opening Watch.")] = False,
) -> None:
    """Record the built-in games, train the tiny ARC VQ-VAE and game transformer on the CPU (about 14 minutes on 2
    cores), evaluate them, make them the active models, then open Watch with the world-model agent. Run again, it
    continues where it stopped."""
    from aria_desktop.app.app import check_display
    from aria_desktop.cli.play import launch_app

    console = Console()
    cfg = ArcSetupConfig(out.expanduser().resolve(), tuple(games or ()), random_episodes=random_episodes,
                         explorer_episodes=explorer_episodes,
                         heldout_episodes=heldout_episodes, max_steps=max_steps, vqvae_preset=vqvae_preset, vqvae_steps=vqvae_steps,
                         wm_steps=wm_steps, env_dir=env_dir.expanduser().resolve() if env_dir else None)
    setup_arc(cfg, console)
    if no_open:
        return
    game = (cfg.games or tuple(builtin_games()))[0]
    try:
        check_display()
    except AriaError as e:
        console.print(f"{e} Watch it later with `aria play {game} --mode watch --agent world-model`.", soft_wrap=True)
        return
    launch_app("watch", game, "world-model", record=False)
