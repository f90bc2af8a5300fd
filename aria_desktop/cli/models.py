"""`aria models list [DIR]` and `aria models use CKPT`: the checkpoints the app knows and the active one per kind.

The active checkpoints live in aria_desktop.paths.ACTIVE_MODELS (a small JSON file beside recordings/ and runs/);
the Dream, the launcher and `aria dream` use them. A kind nobody chose uses its newest finished checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aria_desktop import paths
from aria_desktop.errors import AriaError, friendly_errors

models_app = typer.Typer(help="Trained checkpoints: list them with their figures, choose the active one per kind.",
                         no_args_is_help=True)


def _location(entry, root: Path) -> str:
    try:
        return str(entry.path.relative_to(root.resolve()))
    except ValueError:
        return str(entry.path)


@models_app.command("list")
@friendly_errors
def list_command(
    folder: Annotated[Path | None, typer.Argument(help="Folder of training runs, a run or a checkpoint (default: the runs folder).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per checkpoint) instead of a table.")] = False,
) -> None:
    """Every checkpoint with its kind, games, preset, steps, data, headline figure, and which is active (●)."""
    from aria_desktop.cli.train import trainer_errors
    from trainers.models_registry import models_overview

    root = (folder or paths.DEFAULT_RUNS).expanduser()
    if folder is None and not root.exists():
        raise AriaError(f"There are no checkpoints yet (no runs folder {root}); train one with `aria train ...` "
                        "or `aria dream --setup`.")
    with trainer_errors():
        overview = models_overview(root, paths.ACTIVE_MODELS)
    if not overview.entries:
        if overview.problems:
            raise AriaError(overview.problems[0])
        raise AriaError(f"There are no checkpoints under {root}; train one with `aria train ...` or `aria dream --setup`.")
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in overview.entries], indent=1))
        return
    table = Table(title=f"Checkpoints under {root}")
    for column in ("", "kind", "games", "preset", "step", "data", "figure", "id", "where"):
        table.add_column(column, justify="right" if column in ("step",) else "left")
    for e in overview.entries:
        step = f"{e.step}/{e.total_steps}" if e.total_steps else str(e.step)
        preset = e.preset + (f" ({e.base_model})" if e.base_model and e.base_model != e.preset else "")
        data = f"{e.episodes} ep · {e.data_steps} steps" if e.episodes else "-"
        table.add_row("●" if e.active else "", e.kind, ", ".join(e.games) or "-", preset,
                      step + ("" if e.finished else " (running or stopped)"), data, e.headline_text, e.id[:8],
                      _location(e, root), style="bold" if e.active else None)
    console = Console()
    console.print(table)
    for kind, entry in overview.active.items():
        if not entry.active:  # chosen, but outside this folder
            console.print(f"active {kind}: {entry.path} ({entry.headline_text})", soft_wrap=True)
    for problem in overview.problems:
        console.print(f"[yellow]Skipped:[/yellow] {problem}", soft_wrap=True)


@models_app.command("use")
@friendly_errors
def use_command(
    checkpoint: Annotated[str, typer.Argument(help="A checkpoint folder, a run folder (its newest checkpoint, following the run), or a checkpoint id (its first hex digits) under the runs folder.")],
) -> None:
    """Make a checkpoint the active one of its kind (the Dream and the launcher use it)."""
    from aria_desktop.cli.train import trainer_errors
    from trainers.models_registry import ActiveModels

    path = Path(checkpoint).expanduser()
    with trainer_errors():
        if not path.exists():
            path = _by_id(checkpoint)
        entry = ActiveModels(paths.ACTIVE_MODELS).choose(path)
    Console().print(f"Active {entry.kind}: {path.resolve()} (step {entry.step}, {entry.headline_text}).", soft_wrap=True)


def _by_id(text: str) -> Path:
    """The checkpoint under the runs folder whose id starts with `text`."""
    from trainers.models_registry import find_checkpoints

    hexdigits = set("0123456789abcdef")
    if len(text) < 4 or not set(text.lower()) <= hexdigits or not paths.DEFAULT_RUNS.is_dir():
        raise AriaError(f"Checkpoint {text} does not exist; pass a checkpoint or run folder (see `aria models list`).")
    matches = [e for e in find_checkpoints(paths.DEFAULT_RUNS)[0] if e.id.startswith(text.lower())]
    if len(matches) != 1:
        raise AriaError(f"{len(matches) or 'No'} checkpoints under {paths.DEFAULT_RUNS} have an id starting with "
                        f"{text}; pass more of the id or the checkpoint's folder (see `aria models list`).")
    return matches[0].path
