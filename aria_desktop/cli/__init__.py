"""The `aria` command line (typer): registers each command group. Plain `aria` opens the app; every command has --help."""

from __future__ import annotations

import typer

from aria_desktop.cli.bench import bench_app
from aria_desktop.cli.dream import dream_command
from aria_desktop.cli.eval import eval_app
from aria_desktop.cli.games import games_command, run_command
from aria_desktop.cli.models import models_app
from aria_desktop.cli.options import DEFAULT_RECORDINGS
from aria_desktop.cli.play import launch_app, play_command
from aria_desktop.cli.record import record_command
from aria_desktop.cli.recordings import recordings_app
from aria_desktop.cli.train import train_app

app = typer.Typer(
    help="ARIA Desktop: record, train, watch and dream world models on ARC-AGI-3 games and Atari Breakout. "
    f"Recordings go to {DEFAULT_RECORDINGS} unless --out says otherwise (a checkout's recordings/, else "
    "$XDG_DATA_HOME/aria/recordings); F12 screenshots to the screenshots/ folder beside it.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
# One file per command group: games.py (games, run), play.py, record.py, recordings.py, bench.py, train.py, eval.py, dream.py, models.py.
app.command("games")(games_command)
app.command("run")(run_command)
app.command("play")(play_command)
app.command("record")(record_command)
app.add_typer(recordings_app, name="recordings")
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")
app.command("dream")(dream_command)
app.add_typer(models_app, name="models")


@app.callback(invoke_without_command=True)
def open_app(ctx: typer.Context) -> None:
    """Plain `aria` opens the app on its launcher."""
    if ctx.invoked_subcommand is None:
        launch_app()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
