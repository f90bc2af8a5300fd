"""`aria recordings ...`: list, inspect, verify, recover, import and export episodes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aria_desktop.cli.options import DEFAULT_RECORDINGS, EnvDir
from aria_desktop.errors import AriaError, friendly_errors
from aria_desktop.session.recording import app_version

recordings_app = typer.Typer(
    help="Recorded episodes: list, show, verify (--replay), recover, import ARC-AGI-3 JSONL, export to Minari.",
    no_args_is_help=True,
)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# -- aria recordings list / show -----------------------------------------------------------------------
@recordings_app.command("list")
@friendly_errors
def list_command(
    folder: Annotated[Path, typer.Argument(help="Recordings folder (searched recursively).")] = DEFAULT_RECORDINGS,
) -> None:
    """A table of the episodes in a folder; unreadable files are named below it with what to do."""
    from recorder import RecordingProblem, iter_episodes

    table = Table(title=f"Recordings in {folder}")
    for column in ("file", "game", "steps", "outcome", "controllers", "size", "date"):
        table.add_column(column, justify="right" if column in ("steps", "size") else "left")
    problems: list[str] = []
    rows = 0
    for item in iter_episodes(folder):
        if isinstance(item, RecordingProblem):
            problems.append(str(item))
            continue
        outcome = item.outcome + ("" if item.complete else " (incomplete)")
        table.add_row(item.path.name, item.game, str(item.steps), outcome, item.controller_mix, _size(item.size_bytes), item.date)
        rows += 1
    console = Console()
    if rows:
        console.print(table)
    for problem in problems:
        console.print(f"[yellow]Skipped:[/yellow] {problem}", soft_wrap=True)
    if not folder.exists():
        raise typer.Exit(2)


@recordings_app.command("show")
@friendly_errors
def show_command(file: Annotated[Path, typer.Argument(help="An episode file (.h5).")]) -> None:
    """Everything about one episode: attributes, datasets, infos and a short summary."""
    from recorder import open_episode

    console = Console()
    with open_episode(file) as ep:
        attrs = Table(title=f"{file}", show_header=False)
        attrs.add_column("attribute")
        attrs.add_column("value")
        for key, value in sorted(ep.attrs.items()):
            attrs.add_row(key, str(value))
        console.print(attrs)
        datasets = Table(title="datasets")
        for column in ("name", "shape", "dtype", "compression"):
            datasets.add_column(column)
        ep._file.visititems(lambda name, obj: datasets.add_row(name, str(obj.shape), str(obj.dtype), str(obj.compression))
                            if hasattr(obj, "shape") else None)
        console.print(datasets)
        s = ep.summary()
        extra = int(ep._file["step_frames"].shape[0])
        kind = "animation frames" if ep.animated else "previous emulator frames (for the models' max-pool)"
        console.print(
            f"{s.steps} steps, total reward {s.total_reward:g}, outcome {s.outcome or '-'}"
            f"{'' if s.complete else ' (incomplete)'}, {s.controller_mix}, {extra} extra {kind}, "
            f"{_size(s.size_bytes)}."
        )


# -- aria recordings verify ----------------------------------------------------------------------------
def _replay_game(ep: Any, env_dir: Path | None) -> Any:
    """The recorded game, opened with the recorded seed and configuration."""
    from aria_desktop.games.catalog import open_game

    config = ep.env_config
    if ep.game == "breakout":
        return open_game("breakout", seed=ep.seed or 0, config=config)
    recorded_dir = config.get("environments_dir")
    if env_dir is None and recorded_dir and Path(recorded_dir).is_dir():
        env_dir = Path(recorded_dir)
    game_id = config.get("game_id") or ep.game
    try:
        return open_game(game_id, env_dir, seed=ep.seed or 0)
    except AriaError:
        return open_game(ep.game, env_dir, seed=ep.seed or 0)


class NotReplayable(AriaError):
    """The episode cannot be replayed here (no seed, or its game files are not at hand): a note, not a failure."""


def _earlier_in_playthrough(path: Path, ep: Any) -> list[Path]:
    """The episodes before this one in its play-through, in order: replaying them brings the game to where the
    level RESET that starts this episode happened. They are in the same folder (recordings/<game>/)."""
    playthrough = ep.playthrough
    if playthrough.index == 0:
        return []
    from recorder import open_episode

    found: dict[int, Path] = {}
    for other in sorted(path.parent.glob("*.h5")):
        try:
            with open_episode(other) as o:
                if o.playthrough.id == playthrough.id and o.playthrough.index < playthrough.index:
                    found[o.playthrough.index] = other
        except Exception:  # noqa: BLE001 - an unreadable neighbour is reported by its own verify
            continue
    missing = [i for i in range(playthrough.index) if i not in found]
    if missing:
        raise AriaError(
            f"{path} is episode {playthrough.index} of play-through {playthrough.id}, but episode {missing[0]} is "
            f"not in {path.parent}; keep a play-through's episodes together to replay it."
        )
    return [found[i] for i in range(playthrough.index)]


def _replay_seed(ep: Any) -> int:
    from recorder.import_arc import TOOLKIT_SOURCE

    if ep.seed is not None:
        return ep.seed
    if ep.env_config.get("source") == TOOLKIT_SOURCE:
        return 0  # the toolkit's Arcade.make default; its JSONL does not record the seed
    raise NotReplayable(f"{ep.path.name} has no recorded seed, so it cannot be replayed.")


def _dreamt(ep: Any) -> bool:
    """A dream recording: its frames came from a world model, not from a game that can be re-run."""
    if "world_model" not in ep.env_config:  # only dream recordings name one (saves importing torch for the rest)
        return False
    from aria_desktop.games.dream import DreamGame

    return ep.game == DreamGame.id


def replay_episode(path: Path, env_dir: Path | None = None) -> list[str]:
    """Re-run the episode in its game and compare every frame; returns problem sentences (empty = exact).
    An episode that continues a play-through is replayed after its play-through's earlier episodes, which
    are looked up by play-through id in the same folder (each is checked too)."""
    from contextlib import ExitStack

    from recorder import open_episode, replay

    with ExitStack() as stack:
        ep = stack.enter_context(open_episode(path))
        if _dreamt(ep):
            raise NotReplayable(f"{path.name} was dreamt by a world model, not played in the emulator, so it cannot be "
                                "replayed against the emulator; its structure was checked.")
        seed = _replay_seed(ep)
        earlier = [stack.enter_context(open_episode(p)) for p in _earlier_in_playthrough(path, ep)]
        try:
            game = _replay_game(ep, env_dir)
        except AriaError as e:
            if ep.seed is None:  # an imported recording: its game files may simply not be at hand
                raise NotReplayable(f"{path.name}: {e}") from e
            raise
        try:
            if game.version != ep.game_version:
                note = f" (recorded with {ep.game} {ep.game_version}, replaying {game.version})"
            else:
                note = ""
            reset = next((a.index for a in game.actions if a.resets), None)
            level_reset = (lambda: game.step(reset).frames) if reset is not None else None
            problems = replay(ep, lambda _seed: game.reset(seed), lambda a, xy: game.step(a, xy).frames, earlier,
                              level_reset)
            return [p + note for p in problems] if note else problems
        finally:
            game.close()


@recordings_app.command("verify")
@friendly_errors
def verify_command(
    target: Annotated[Path, typer.Argument(help="An episode file or a folder of them.")],
    replay: Annotated[bool, typer.Option("--replay", help="Also re-run each game from its seed and actions and compare every frame; an episode that continues a play-through after its earlier episodes; imported toolkit recordings with the toolkit's seed 0, when --env-dir holds the game.")] = False,
    env_dir: EnvDir = None,
) -> None:
    """Check episodes: structure, and with --replay that the game reproduces every recorded frame."""
    from recorder import RecordingProblem, iter_episodes

    console = Console()
    paths: list[Path] = []
    bad = unreadable = 0
    for item in iter_episodes(target):
        if isinstance(item, RecordingProblem):
            console.print(f"[red]FAIL[/red] {item}", soft_wrap=True)
            bad += 1
            unreadable += item.path.is_file()  # a file that could not be opened was checked too
        else:
            paths.append(item.path)
    columns = (TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        for path in progress.track(paths):
            bad += _verify_one(path, replay, env_dir, progress.console)
    console.print(f"{len(paths) + unreadable} episode file(s) checked, {bad} with problems.")
    if bad:
        raise typer.Exit(1)


def _verify_one(path: Path, replay: bool, env_dir: Path | None, console: Console) -> int:
    """Check one episode and print its verdict; 1 when it has problems."""
    from recorder import verify_structure

    report = verify_structure(path)
    problems = list(report.problems)
    replayed = False
    if replay and not problems:
        try:
            problems += replay_episode(path, env_dir)
            replayed = True
        except NotReplayable as e:
            report.notes.append(f"replay skipped: {e}")
        except AriaError as e:
            problems.append(f"{path} cannot be replayed: {e}")
        except Exception as e:  # noqa: BLE001 - damage the structure check cannot see (a corrupt frame chunk)
            problems.append(f"{path} is damaged and cannot be replayed ({_why(e)}); delete it or restore it from a backup.")
    if problems:
        for problem in problems:
            console.print(f"[red]FAIL[/red] {problem}", soft_wrap=True)
    else:
        how = "structure and every frame replayed" if replayed else "structure"
        console.print(f"[green]OK[/green]   {path} ({report.steps} steps; {how})", soft_wrap=True)
    for note in report.notes:
        console.print(f"       note: {note}", soft_wrap=True)
    return 1 if problems else 0


# -- aria recordings recover / import-arc / export-minari -----------------------------------------------
@recordings_app.command("recover")
@friendly_errors
def recover_command(
    target: Annotated[Path, typer.Argument(help="A recordings folder (or one .h5.part file).")] = DEFAULT_RECORDINGS,
) -> None:
    """Turn interrupted recordings (*.h5.part) into readable episodes marked incomplete."""
    from recorder import recover

    done, problems = recover(target)
    console = Console()
    for item in done:
        console.print(f"Recovered {item.path} ({item.steps} steps, marked incomplete).", soft_wrap=True)
    for problem in problems:
        console.print(f"[yellow]Not recovered:[/yellow] {problem}", soft_wrap=True)
    if not done and not problems:
        console.print(f"No interrupted recordings (*.h5.part) in {target}: nothing to do.")
    if problems:
        raise typer.Exit(1)


@recordings_app.command("import-arc")
@friendly_errors
def import_arc_command(
    files: Annotated[list[Path], typer.Argument(help="ARC-AGI-3 toolkit recordings (.jsonl or .jsonl.gz).")],
    out: Annotated[Path, typer.Option("--out", help="Recordings folder (episodes go to OUT/<game>/).")] = DEFAULT_RECORDINGS,
    agent: Annotated[bool, typer.Option("--agent", help="Mark the steps as played by an agent (default: human).")] = False,
) -> None:
    """Convert ARC-AGI-3 toolkit JSONL recordings into episodes. An episode ends at WIN or GAME_OVER; play after a
    level RESET is the next episode of the same play-through. A record that fits no episode is named, exit status 1."""
    from recorder import import_arc_jsonl

    result = import_arc_jsonl(files, out, app_version(), controller=1 if agent else 0)
    console = Console()
    for path in result.episodes:
        console.print(f"Imported {path}", soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", soft_wrap=True)
    for problem in result.problems:
        console.print(f"[red]Not imported:[/red] {problem}", soft_wrap=True)
    console.print(f"{len(result.episodes)} episode(s) imported, {len(result.problems)} problem(s).")
    if result.problems or not result.episodes:
        raise typer.Exit(1)


@recordings_app.command("export-minari")
@friendly_errors
def export_minari_command(
    folder: Annotated[Path, typer.Argument(help="Recordings folder (one game, or pick one with --game).")],
    dataset_id: Annotated[str, typer.Option("--dataset-id", help="Minari id, (namespace/)name-v<number>, e.g. aria/breakout-v0.")],
    game: Annotated[str | None, typer.Option("--game", help="Export only this game's episodes.")] = None,
    datasets_path: Annotated[Path | None, typer.Option("--datasets-path", help="Minari's datasets folder (default $MINARI_DATASETS_PATH, else ~/.minari/datasets).")] = None,
) -> None:
    """Write the episodes as a Minari dataset (raw frames) that `minari.load_dataset(ID)` opens."""
    from recorder import export_minari

    result = export_minari(folder, dataset_id, datasets_path, game)
    console = Console()
    for problem in result.skipped:
        console.print(f"[yellow]Skipped:[/yellow] {problem}", soft_wrap=True)
    console.print(f"Exported {result.episodes} episode(s), {result.steps} steps, as Minari dataset '{dataset_id}' in {result.data_path}.", soft_wrap=True)


def _why(e: BaseException) -> str:
    """An exception as a short phrase for a sentence (HDF5's messages run over several lines)."""
    text = (str(e).strip() or type(e).__name__).splitlines()[0]
    return f"{type(e).__name__}: {text[:160]}"
