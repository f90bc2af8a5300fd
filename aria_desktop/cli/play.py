"""`aria play GAME ...` and plain `aria`: open the desktop app in a mode, or on the launcher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aria_desktop.cli.options import DEFAULT_RECORDINGS, SEED_RANGE, EnvDir, check_out
from aria_desktop.errors import AriaError, friendly_errors

APP_MODES = ("play", "watch", "replay", "dream", "train")


@friendly_errors
def launch_app(
    mode: str = "launcher",
    game: str | None = None,
    agent: str = "scripted",
    record: bool = True,
    out_dir: Path = DEFAULT_RECORDINGS,
    env_dir: Path | None = None,
    seed: int = 0,
    checkpoint: Path | None = None,
    start: Path | None = None,
    train_after: int = 0,
) -> list[Path]:
    """Open the window (on the launcher unless a mode is given) and run until the person quits.
    Returns the episodes saved. Problems before the window opens are one sentence and exit status 2."""
    from aria_desktop.app import App, AppConfig
    from aria_desktop.games.catalog import environments_dir, require_known

    out_dir = check_out(out_dir)
    if mode in ("play", "watch") and game:  # an unknown game is one sentence, not the launcher
        require_known(game, env_dir)
    params: dict = {}
    if mode == "replay" and game and Path(game).exists():  # `aria play FILE_OR_FOLDER --mode replay`
        params["path"] = Path(game)
        game = Path(game).parent.name if Path(game).is_file() else None  # recordings live in <out>/<game>/
    if mode == "dream":  # load the model before the window opens: a bad checkpoint is one sentence, exit 2
        from aria_desktop.app.modes.dream import open_dream

        if game and game != "breakout":
            raise AriaError(f"The dream is Breakout's world model; use `aria play breakout --mode dream`, not {game}.")
        params["dream"] = open_dream(checkpoint)
        params["start"] = str(start) if start else None
    config = AppConfig(out_dir=Path(out_dir).expanduser().resolve(), env_dir=environments_dir(env_dir), record=record, agent=agent, seed=seed,
                       train_after=train_after, **({"game": game} if game else {}))
    app = App(config, mode, **params)
    app.run()
    if app.saved:
        print(f"Saved {len(app.saved)} episode(s) to {app.selection.out_dir}: {', '.join(p.name for p in app.saved)}")
    _say_runs_go_on(config.runs_dir)
    return app.saved


def _say_runs_go_on(runs_dir: Path) -> None:
    """Training runs outlive the window: say which ones are still going."""
    from trainers.runs import list_runs

    running = [r.folder for r in list_runs(runs_dir) if r.running]
    if running:
        print(f"{len(running)} training run(s) keep going in the background ({', '.join(str(f) for f in running)}); "
              "`aria play breakout --mode train` follows them and C cancels one.")


@friendly_errors
def play_command(
    game: Annotated[str, typer.Argument(help="Game id (see `aria games`); for --mode replay also a recording file or folder.")],
    mode: Annotated[str, typer.Option("--mode", help="play (you play, recorded), watch (an agent plays; Tab takes over), replay, dream (Breakout in its world model), or train.")] = "play",
    agent: Annotated[str, typer.Option("--agent", help="Agent for watch and take-over: random, explorer (any ARC-style game) or scripted.")] = "scripted",
    no_record: Annotated[bool, typer.Option("--no-record", help="Do not record episodes.")] = False,
    out: Annotated[str, typer.Option("--out", help="Recordings folder (episodes go to OUT/<game>/).")] = str(DEFAULT_RECORDINGS),
    env_dir: EnvDir = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first episode (the next ones count up).", **SEED_RANGE)] = 0,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="--mode dream: the world-model run or checkpoint (default: the active world model, `aria models use`).")] = None,
    train_after: Annotated[int, typer.Option("--train-after", min=0, help="Triggered training: fine-tune on the new recordings after every N new episodes and when a recording session ends, in the background (0: off; Train mode shows the runs).")] = 0,
) -> None:
    """Open the app straight into a mode: play and record, watch an agent (Tab takes over), or replay."""
    if mode not in APP_MODES:
        raise AriaError(f"Unknown mode '{mode}'; choose one of: {', '.join(APP_MODES)}.")
    launch_app(mode, game, agent, not no_record, check_out(out), env_dir, seed, checkpoint, train_after=train_after)
