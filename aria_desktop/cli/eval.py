"""`aria eval ...`: score trained models on held-out recordings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aria_desktop.cli.options import EnvDir
from aria_desktop.cli.train import trainer_errors
from aria_desktop.errors import friendly_errors

eval_app = typer.Typer(help="Evaluate trained models on held-out recordings.", no_args_is_help=True)

Ckpt = Annotated[Path, typer.Argument(help="Checkpoint folder, or a run folder (its newest checkpoint).")]
Data = Annotated[list[Path], typer.Option("--data", help="Recordings folder (repeat for several); episodes the checkpoint trained on are left out.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")]


def _show(title: str, metrics: dict[str, float], as_json: bool, rows: list[tuple[str, list[str]]] | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(metrics))
        return
    console = Console()
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        table.add_row(k, f"{v:.4g}")
    console.print(table)
    for heading, lines in rows or []:
        console.print(heading)
        for line in lines:
            console.print("  " + line)


@eval_app.command("atari-vqvae")
@friendly_errors
def eval_atari_vqvae_command(ckpt: Ckpt, data: Data, as_json: AsJson = False) -> None:
    """PSNR (bar: 30 dB) and codebook usage of an Atari VQ-VAE on held-out Breakout frames."""
    with trainer_errors():
        from trainers.atari_eval import eval_atari_vqvae

        metrics = eval_atari_vqvae(ckpt, data)
    verdict = "meets" if metrics["psnr"] >= 30.0 else "is below"
    _show("Atari VQ-VAE on held-out frames", metrics, as_json,
          [(f"PSNR {metrics['psnr']:.2f} dB {verdict} the 30 dB bar.", [])])


@eval_app.command("atari-wm")
@friendly_errors
def eval_atari_wm_command(
    ckpt: Ckpt,
    data: Data,
    vqvae: Annotated[Path | None, typer.Option("--vqvae", help="The VQ-VAE (default: the one the model was trained with).")] = None,
    windows: Annotated[int, typer.Option("--windows", min=1, help="Frozen evaluation windows (at most).")] = 256,
    as_json: AsJson = False,
) -> None:
    """The seed's gold suite: token accuracy 1, 5 and 10 steps ahead, on all and on changed tokens, beside copy-last-frame."""
    with trainer_errors():
        from trainers.atari_eval import HORIZONS, eval_atari_wm

        m = eval_atari_wm(ckpt, data, vqvae, windows)
    _show("Breakout world model, gold suite (held-out episodes)", m, as_json, [("Summary:", wm_summary(m, HORIZONS))])


def wm_summary(m: dict[str, float], horizons: tuple[int, ...] = (1, 5, 10)) -> list[str]:
    """One line per horizon: the model beside copy-last-frame, on all tokens and on the tokens that change."""
    return [
        f"{h} step{'s' if h > 1 else ''} ahead: model {m[f'acc_{h}']:.1%} vs copy-last-frame {m[f'copy_acc_{h}']:.1%} "
        f"on all tokens; {m[f'changed_acc_{h}']:.1%} vs 0% on the {m[f'changed_frac_{h}']:.1%} of tokens that change"
        for h in horizons
    ]


@eval_app.command("agent")
@friendly_errors
def eval_agent_command(
    games: Annotated[list[str], typer.Option("--game", help="Game id (repeat for several): built-in or ARC-AGI-3.")],
    agent: Annotated[str, typer.Option("--agent", help="random, explorer, scripted (built-in games) or world-model.")] = "explorer",
    episodes: Annotated[int, typer.Option("--episodes", min=1, help="Episodes per game; the best play counts.")] = 1,
    max_actions: Annotated[int, typer.Option("--max-actions", min=1, help="Action budget per episode (RESETs count).")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first episode (then seed+1, ...).")] = 0,
    env_dir: EnvDir = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="--agent world-model: its arc-world-model run or checkpoint (default: the newest under the runs folder).")] = None,
    as_json: AsJson = False,
) -> None:
    """Play games with an agent: levels completed, actions per level and the ARC-AGI-3 score per game and in total."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aria_desktop.agents import AGENT_NAMES
    from aria_desktop.agents.evaluate import EvalResult, evaluate_game
    from aria_desktop.errors import AriaError
    from aria_desktop.games.catalog import open_game

    if agent not in AGENT_NAMES:
        raise AriaError(f"Unknown agent '{agent}'; choose one of: {', '.join(AGENT_NAMES)}.")
    for game_id in games:  # every game id (and the world model) is checked before any is played
        game = open_game(game_id, env_dir)
        try:
            if agent == "world-model":
                from aria_desktop.agents import make_agent

                make_agent(agent, game, seed, checkpoint)
        finally:
            game.close()
    result = EvalResult(agent, max_actions, [])
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=as_json) as progress:
        for game_id in games:
            task = progress.add_task(f"{agent} on {game_id}", total=episodes * max_actions)
            game = evaluate_game(game_id, agent, episodes, max_actions, seed, env_dir, lambda t=task: progress.advance(t),
                                 checkpoint)
            progress.update(task, completed=episodes * max_actions)  # an episode won early ends early
            result.games.append(game)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    table = Table(title=f"{agent}: {episodes} episode(s) per game, at most {max_actions} actions each")
    for name, justify in [("game", "left"), ("levels", "right"), ("actions", "right"),
                          ("actions per level (best play)", "left"), ("ARC-AGI-3 score (0-100)", "right")]:
        table.add_column(name, justify=justify)
    for g in result.games:
        s = g.score
        per_level = ", ".join(str(a) for a in s.best.level_actions[: s.best.levels_completed]) if s.best else ""
        table.add_row(g.game, f"{s.levels_completed}/{g.levels}", str(s.actions), per_level or "-", f"{s.score:.2f}")
    table.add_row("total", f"{sum(g.score.levels_completed for g in result.games)}/{sum(g.levels for g in result.games)}",
                  str(sum(g.score.actions for g in result.games)), "", f"{result.score:.2f}")
    Console().print(table)


@eval_app.command("arc-vqvae")
@friendly_errors
def eval_arc_vqvae_command(ckpt: Ckpt, data: Data, as_json: AsJson = False) -> None:
    """Pixel accuracy (bar: 99.85 %) and codebook usage of an ARC VQ-VAE on held-out ARC frames."""
    with trainer_errors():
        from trainers.arc_vqvae_train import BAR, eval_arc_vqvae

        metrics = eval_arc_vqvae(ckpt, data)
    verdict = "meets" if metrics["pixel_accuracy"] >= BAR else "is below"
    lines = [(f"Pixel accuracy {metrics['pixel_accuracy']:.4%} {verdict} the {BAR:.2%} bar; "
              f"{metrics['codebook_usage']:.1%} of the codebook in use.", [])]
    if "unseen_patch_share" in metrics:
        lines.append((f"{metrics['unseen_patch_share']:.2%} of the held-out 8×8 patches never appeared in training: "
                      f"{metrics['accuracy_on_unseen_patches']:.2%} of their pixels right, against "
                      f"{metrics['accuracy_on_seen_patches']:.4%} on the patches it trained on.", []))
    _show("ARC VQ-VAE on held-out frames", metrics, as_json, lines)


@eval_app.command("arc-world-model")
@friendly_errors
def eval_arc_world_model_command(
    ckpt: Ckpt,
    data: Data,
    vqvae: Annotated[Path | None, typer.Option("--vqvae", help="The ARC VQ-VAE (default: the one the model was trained with).")] = None,
    as_json: AsJson = False,
) -> None:
    """Seed 001's metrics on held-out episodes: frame-token, action and level-complete accuracy, perplexity, loss."""
    with trainer_errors():
        from trainers.arc_wm_train import eval_arc_world_model

        metrics = eval_arc_world_model(ckpt, data, vqvae)
    _show("ARC game transformer on held-out episodes", metrics, as_json)
