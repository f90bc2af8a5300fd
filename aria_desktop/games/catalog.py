"""Every playable game, by id: Breakout, the built-in games, and ARC-AGI-3 games in an environments folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from aria_desktop.errors import AriaError
from aria_desktop.games.arc import BUILTIN_ENVIRONMENTS, ArcGame, ArcGameInfo, quiet_logger, scan_environments
from aria_desktop.games.game import Game, GameKind

ENV_VAR = "ENVIRONMENTS_DIR"
DOWNLOAD_DIR = Path.home() / ".cache" / "aria" / "environment_files"
BREAKOUT_DESCRIPTION = "Atari 2600: move the paddle left and right to bounce the ball into the bricks; 5 lives."


@dataclass(frozen=True)
class GameEntry:
    """A row of `aria games`."""

    id: str
    kind: GameKind
    title: str
    version: str
    levels: int | None
    actions: list[str] = field(default_factory=list)
    error: str | None = None  # why the game cannot be played, in one sentence
    description: str = ""  # one line: what the game is about
    default: bool = True  # whether the bare id opens this version (False: another version of the game does)
    first_frame: np.ndarray | None = field(default=None, repr=False, compare=False)  # the launcher's preview

    @property
    def open_id(self) -> str:
        """The id that opens exactly this entry: the bare id for the version it opens, else ID-VERSION."""
        return self.id if self.default else f"{self.id}-{self.version}"


def environments_dir(explicit: Path | str | None = None) -> Path | None:
    """The ARC-AGI-3 environments folder: --env-dir, else $ENVIRONMENTS_DIR, else none."""
    chosen = explicit if explicit not in (None, "") else os.environ.get(ENV_VAR) or None
    if chosen is None:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        source = "--env-dir" if explicit not in (None, "") else f"${ENV_VAR}"
        raise AriaError(
            f"Environments folder {path} (from {source}) does not exist; "
            "give a folder that holds <game>/<version>/metadata.json."
        )
    return path


def _infos(env_dir: Path | None) -> tuple[list[ArcGameInfo], list[str]]:
    builtin, problems = scan_environments(BUILTIN_ENVIRONMENTS, GameKind.BUILTIN)
    arc: list[ArcGameInfo] = []
    if env_dir is not None:
        arc, more = scan_environments(env_dir, GameKind.ARC)
        problems += more
    return builtin + arc, problems


def default_version(infos: list[ArcGameInfo]) -> ArcGameInfo:
    """The version a bare id opens: the toolkit's rule (`Arcade.make` offline, `_find_local_game`): the latest
    `date_downloaded` in metadata.json, a version without one counting as oldest; on a tie the first the
    toolkit's walk of the folder finds (its sort is stable)."""
    oldest = datetime.min.replace(tzinfo=UTC)
    walked = sorted(infos, key=lambda i: i.scan_order)
    return sorted(walked, key=lambda i: i.date_downloaded or oldest, reverse=True)[0]


def _defaults(infos: list[ArcGameInfo]) -> dict[str, ArcGameInfo]:
    """Per base id, the version its bare id opens."""
    by_id: dict[str, list[ArcGameInfo]] = {}
    for info in infos:
        by_id.setdefault(info.base_id, []).append(info)
    return {base: default_version(versions) for base, versions in by_id.items()}


def game_title(game_id: str, *folders: Path | str | None) -> str:
    """A game's title from its metadata (no loading), looked up in the built-in games and the given environments
    folders; the id itself when it is not found."""
    from aria_desktop.games.breakout import BreakoutGame

    if game_id == BreakoutGame.id:
        return BreakoutGame.title
    base_id = game_id.partition("-")[0]
    for folder in (BUILTIN_ENVIRONMENTS, *folders):
        if folder and Path(folder).is_dir():
            for info in scan_environments(Path(folder), GameKind.BUILTIN)[0]:
                if info.base_id == base_id:
                    return info.title
    return game_id


def list_games(env_dir: Path | str | None = None) -> list[GameEntry]:
    """Every game with its actions; a game that fails to load is listed with the reason."""
    from aria_desktop.games.breakout import BreakoutGame

    entries: list[GameEntry] = []
    breakout = BreakoutGame()
    entries.append(
        GameEntry(breakout.id, breakout.kind, breakout.title, breakout.version, None, [a.name for a in breakout.actions],
                  description=BREAKOUT_DESCRIPTION, first_frame=np.array(breakout.reset(0)))
    )
    breakout.close()
    infos, problems = _infos(environments_dir(env_dir))
    defaults = _defaults(infos)
    for info in infos:
        known = dict(kind=info.kind, title=info.title, version=info.version, description=info.description,
                     default=defaults[info.base_id] is info)
        try:
            game = ArcGame(info)  # loaded: the levels and actions the game itself reports
            entries.append(GameEntry(info.base_id, levels=game.levels, actions=[a.name for a in game.actions],
                                     first_frame=game.frame.copy(), **known))
            game.close()
        except AriaError as e:
            entries.append(GameEntry(info.base_id, levels=info.levels, error=str(e), **known))
    for problem in problems:
        entries.append(GameEntry("?", GameKind.ARC, "unreadable", "", None, [], problem))
    return entries


def open_game(game_id: str, env_dir: Path | str | None = None, seed: int = 0, config: dict | None = None) -> Game:
    """Open a game by id ("breakout", a built-in id, or an ARC-AGI-3 id with or without -version).
    `config` is a recording's environment configuration, for a replay that must match it (Breakout)."""
    if game_id.lower() == "breakout":
        from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame

        game = BreakoutGame(BreakoutConfig.from_recorded(config) if config else None)
        game.reset(seed)
        return game
    folder = environments_dir(env_dir)
    infos, _ = _infos(folder)
    exact = [i for i in infos if i.game_id == game_id]
    if exact:
        return ArcGame(exact[-1], seed=seed)
    base_id, _, version = game_id.partition("-")
    matches = [i for i in infos if i.base_id == base_id and (not version or i.version == version)]
    if matches:
        return ArcGame(default_version(matches), seed=seed)
    if os.environ.get("ARC_API_KEY"):
        return ArcGame(download_arc_game(game_id, folder or DOWNLOAD_DIR), seed=seed)
    raise _unknown(game_id, folder)


def _unknown(game_id: str, folder: Path | None) -> AriaError:
    where = f"in {folder}" if folder else "built in, and no environments folder was given"
    return AriaError(
        f"Unknown game '{game_id}': it is not {where}; run `aria games` to list games, "
        "pass --env-dir with ARC-AGI-3 environment files, or set ARC_API_KEY to download it."
    )


def require_known(game_id: str, env_dir: Path | str | None = None) -> None:
    """open_game's unknown-game sentence without opening anything (a window or a benchmark checks first)."""
    if game_id.lower() == "breakout" or os.environ.get("ARC_API_KEY"):
        return
    folder = environments_dir(env_dir)
    infos, _ = _infos(folder)
    base_id, _, version = game_id.partition("-")
    if not any(i.game_id == game_id or (i.base_id == base_id and (not version or i.version == version)) for i in infos):
        raise _unknown(game_id, folder)


def download_arc_game(game_id: str, into: Path) -> ArcGameInfo:
    """Download an ARC-AGI-3 game with the toolkit (needs network and ARC_API_KEY)."""
    from arc_agi import Arcade, OperationMode

    into.mkdir(parents=True, exist_ok=True)
    logger, log = quiet_logger("download")
    try:
        arcade = Arcade(operation_mode=OperationMode.NORMAL, environments_dir=str(into), logger=logger)
        wrapper = arcade.make(game_id)
    except Exception as e:  # the toolkit raises requests' errors when offline
        raise AriaError(
            f"Could not download ARC-AGI-3 game '{game_id}' ({type(e).__name__}); check the network and "
            "ARC_API_KEY, or pass --env-dir with its environment files."
        ) from e
    if wrapper is None:
        cause = log.reason().split(" (")[0].rstrip(":")
        raise AriaError(
            f"Could not download ARC-AGI-3 game '{game_id}' ({cause}); check the network, ARC_API_KEY and the "
            "game id, or pass --env-dir with its environment files."
        )
    infos, _ = scan_environments(into, GameKind.ARC)
    base_id = game_id.partition("-")[0]
    found = [i for i in infos if i.base_id == base_id]
    if not found:
        raise AriaError(f"Downloaded game '{game_id}' was not found in {into}; try again or pass --env-dir.")
    return default_version(found)
