"""The explorer agent: "explore it till you solve it" (the 3rd-place method of the ARC-AGI-3 preview).

It sees only what a person sees: the frame, the actions on offer, the levels completed and whether the game is
over. It builds a graph of distinct frames and the actions between them, offers one click per segment of the
frame (connected cells of one colour) for ACTION6, and explores systematically: an untried action from the
current state if there is one, else the nearest state with an untried action (by breadth-first search over the
known graph, or from the level's start after a RESET when that is shorter). Edges that completed a level are
remembered, so a level replayed after a reset is walked straight through.

Status lines (a step counter along the frame's edge) would make every frame new; lines near the edge that change
on almost every move, or that differ between two starts of the same level (lives), are masked out of the
state's identity, and the graph is rebuilt from the log of transitions when the mask grows.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aria_desktop.agents.agent import Agent, Choice, Insight
from aria_desktop.games.game import Action

RESET = Choice(0)
UNDO = 7  # depends on the history, not the frame: an edge labelled UNDO would not be a property of the state
OVER = ("game over",)  # the one node every GAME_OVER outcome leads to


@dataclass(frozen=True)
class ExplorerConfig:
    edge_band: int = 3  # status lines live within this many cells of the frame's edge
    status_after: int = 10  # changing moves seen before a line can be called a status line
    status_share: float = 0.9  # ... and the share of them that must change it
    background_share: float = 0.3  # a segment this large is background: never clicked
    small_segment: int = 400  # segments from 4 cells up to this size are clicked first
    max_clicks: int = 64  # click candidates per state
    useless_after: int = 6  # a move that changed nothing this many times is tried after all others
    seed: int = 0  # breaks ties only when everything reachable was tried


class GameView(Protocol):
    """All the explorer reads of a game: what the window shows a person."""

    @property
    def frame(self) -> np.ndarray: ...

    @property
    def actions(self) -> list[Action]: ...

    @property
    def info(self) -> dict[str, Any]: ...


# -- segmentation --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """Connected cells of one colour (4-neighbourhood)."""

    colour: int
    size: int
    box: tuple[int, int, int, int]  # top, left, bottom, right (inclusive)
    centre: tuple[int, int]  # (x, y) of the member cell nearest the centroid: where a click lands
    runs: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)  # (row, first col, end col) per run

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        m = np.zeros(shape, bool)
        for r, s, e in self.runs:
            m[r, s:e] = True
        return m


def thick_parts(segment: Segment, shape: tuple[int, int], radius: int = 2) -> list[Segment]:
    """The parts of a segment that thin bridges join (buttons wired together): what is left after a
    morphological opening with a (2r+1)² square, as segments of their own; [] when nothing was a bridge."""
    top, left, bottom, right = segment.box
    mask = segment.mask(shape)[top : bottom + 1, left : right + 1]  # the work happens in the bounding box
    h, w = mask.shape
    size = 2 * radius + 1
    padded = np.pad(mask, radius)
    eroded = np.ones((h, w), bool)
    for dy in range(size):
        for dx in range(size):
            eroded &= padded[dy : dy + h, dx : dx + w]
    padded = np.pad(eroded, radius)
    opened = np.zeros((h, w), bool)
    for dy in range(size):
        for dx in range(size):
            opened |= padded[dy : dy + h, dx : dx + w]
    if not opened.any() or (opened == mask).all():
        return []
    parts = [p for p in segments(opened.astype(np.uint8)) if p.colour == 1]
    return [
        Segment(p.colour, p.size, (p.box[0] + top, p.box[1] + left, p.box[2] + top, p.box[3] + left),
                (p.centre[0] + left, p.centre[1] + top), tuple((r + top, s + left, e + left) for r, s, e in p.runs))
        for p in parts
    ]


def segments(grid: np.ndarray) -> list[Segment]:
    """The frame's segments, largest first. Runs of equal cells per row, joined to overlapping runs of the row
    above by union-find: a few hundred runs instead of 4096 cells."""
    h, w = grid.shape
    runs: list[tuple[int, int, int, int]] = []  # row, first column, end column (exclusive), colour
    by_row: list[list[int]] = []
    for r in range(h):
        row = grid[r]
        cuts = (np.flatnonzero(row[1:] != row[:-1]) + 1).tolist()
        ids = []
        for s, e in zip([0, *cuts], [*cuts, w], strict=True):
            ids.append(len(runs))
            runs.append((r, s, e, int(row[s])))
        by_row.append(ids)
    parent = list(range(len(runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for above, below in zip(by_row, by_row[1:], strict=False):
        i = j = 0
        while i < len(above) and j < len(below):
            a, b = runs[above[i]], runs[below[j]]
            if a[3] == b[3] and a[1] < b[2] and b[1] < a[2]:
                parent[find(above[i])] = find(below[j])
            if a[2] <= b[2]:
                i += 1
            else:
                j += 1
    groups: dict[int, list[tuple[int, int, int, int]]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(find(i), []).append(run)
    found = []
    for members in groups.values():
        size = sum(e - s for _, s, e, _ in members)
        cy = sum(r * (e - s) for r, s, e, _ in members) / size
        cx = sum((s + e - 1) / 2 * (e - s) for _, s, e, _ in members) / size
        nearest = min(((r, min(max(round(cx), s), e - 1)) for r, s, e, _ in members),
                      key=lambda p: (p[0] - cy) ** 2 + (p[1] - cx) ** 2)
        rows = [r for r, _, _, _ in members]
        box = (min(rows), min(s for _, s, _, _ in members), max(rows), max(e for _, _, e, _ in members) - 1)
        found.append(Segment(members[0][3], size, box, (nearest[1], nearest[0]), tuple(r[:3] for r in members)))
    return sorted(found, key=lambda s: -s.size)


# -- the graph -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    choice: Choice
    tier: int  # 0 first: moves and clicks on small objects; 1 specks and large areas; 2 status lines


@dataclass
class Node:
    index: int  # for the panel: "state #12"
    frame: bytes  # exact hash of a frame showing this state (its representative)
    levels: int
    untried: list[Candidate] = field(default_factory=list)  # ordered: best tier first
    clicks: tuple[tuple[int, int], ...] = ()  # every click candidate of the state (tried or not), for the panel
    edges: dict[Choice, tuple] = field(default_factory=dict)  # choice -> node key (OVER for a game over)


@dataclass(frozen=True)
class Transition:
    before: bytes  # exact frame hashes
    before_levels: int
    choice: Choice
    after: bytes
    after_levels: int
    over: bool


@dataclass
class Decision:
    """What the explorer computed for its last choice (the Watch panel shows it)."""

    choice: Choice
    reason: str  # "explore", "replay", "reset", "game over", "exhausted"
    path: list[Choice] = field(default_factory=list)  # the steps to the chosen branch, then the branch itself
    target: int | None = None  # index of the state the branch starts from
    tier: int | None = None


def _frame_hash(frame: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(frame, dtype=np.uint8).tobytes(), digest_size=16).digest()


def _short(choice: Choice) -> str:
    names = {0: "RESET", 1: "U", 2: "D", 3: "L", 4: "R", 5: "SP", 7: "UNDO"}
    return f"click{choice.xy}" if choice.xy is not None else names.get(choice.action, f"A{choice.action}")


class ExplorerAgent(Agent):
    name = "explorer"

    def __init__(self, config: ExplorerConfig | None = None) -> None:
        self.cfg = config or ExplorerConfig()
        self.rng = random.Random(self.cfg.seed)
        self._forget("")

    def _forget(self, game_id: str) -> None:
        self.game_id = game_id
        self.frames: dict[bytes, np.ndarray] = {}  # every distinct frame seen, by exact hash
        self.actions_of: dict[bytes, tuple[Action, ...]] = {}  # the actions on offer with that frame
        self.log: list[Transition] = []
        self.start_frame: dict[int, bytes] = {}  # levels completed -> the frame the level (re)starts on
        self.masked_rows: set[int] = set()
        self.masked_cols: set[int] = set()
        self.changing_moves = 0
        self.line_changes: dict[tuple[str, int], int] = {}
        self.segments_of: dict[bytes, list[Segment]] = {}
        self._keys: dict[tuple[bytes, int], tuple] = {}  # (frame, levels) -> state key under the current mask
        self.nodes: dict[tuple, Node] = {}
        self.wins: dict[tuple, Choice] = {}  # node -> the choice that completed its level
        self.effects: dict[Choice, tuple[int, int]] = {}  # move -> (times tried, times it changed the state)
        self.useless: set[Choice] = set()  # moves that never changed anything: tried last
        self.lost_once: set[tuple[tuple, Choice]] = set()  # (state, move) that ended the game once
        self._previous: tuple[bytes, int, Choice] | None = None  # what we saw and did last
        self._seen: tuple[bytes, int, str] = (b"", 0, "")  # the frame observed last: hash, levels, state
        self.since_start = 0  # actions since the level (re)started: a RESET with none would restart the game
        self.decision: Decision | None = None
        self._insight: Insight | None = None

    # -- the Agent interface -------------------------------------------------------------------------------
    def reset(self, game: Any) -> None:
        """A new episode (or control handed back): what happened meanwhile is unknown, the graph is kept."""
        if getattr(game, "id", "") != self.game_id:
            self._forget(getattr(game, "id", ""))
        self._previous = None
        self.since_start = 0
        frame = np.asarray(game.frame, dtype=np.uint8)
        raw = self._remember(frame, game.actions)
        # a new episode starts the level here; a hand-back mid-level does not (a RESET will show where it starts)
        self.start_frame.setdefault(int(game.info.get("levels_completed", 0)), raw)

    def observe(self, game: GameView) -> None:
        """Read the frame now shown: the transition from the last frame by the choice made there (`played`) joins
        the graph. `act` calls it; an agent that chooses some moves itself calls it every step, so the graph holds
        every transition whoever chose it. Reading the same frame twice adds nothing."""
        frame = np.asarray(game.frame, dtype=np.uint8)
        info = game.info
        self._seen = (self._remember(frame, game.actions), int(info.get("levels_completed", 0)),
                      str(info.get("state", "")))
        if self._previous is not None:
            self._observe(*self._previous, self._seen[0], self._seen[1], self._seen[2] == "GAME_OVER")
            self._previous = None

    def played(self, choice: Choice) -> None:
        """The choice made from the frame observed last (by this agent or another): its outcome is the next
        frame `observe` reads."""
        raw, levels, _ = self._seen
        self._previous = (raw, levels, choice)
        self.since_start = 0 if choice.action == 0 else self.since_start + 1

    def act(self, game: GameView) -> Choice:
        self.observe(game)
        raw, levels, state = self._seen
        finished = state in ("GAME_OVER", "WIN")
        if finished:  # a finished game accepts only RESET
            self.decision = Decision(RESET, "game over" if state == "GAME_OVER" else "won")
        else:
            here = self._node(raw, levels)
            offered = {0} | {a.index for a in game.actions}  # RESET is always on offer in ARC games
            self.decision = self._decide(here)
            while self.decision.choice.action not in offered:  # a state shown before with other actions on offer
                node = self.nodes[here]
                node.untried = [c for c in node.untried if c.choice.action in offered]
                node.edges = {c: n for c, n in node.edges.items() if c.action in offered}
                self.decision = self._decide(here)
        choice = self.decision.choice
        self.played(choice)
        # A new object per decision: the window reads it while the next decision is being made on another thread.
        self._insight = Insight(branch=self._branch(self.decision), clicks=[] if finished else self.clicks_here(),
                                graph_size=len(self.nodes), chosen=choice)
        return choice

    def clicks_here(self) -> list[tuple[int, int]]:
        """The click candidates of the state observed last, best tier first (one per segment of its frame)."""
        raw, levels, _ = self._seen
        return list(self.nodes[self._node(raw, levels)].clicks)

    def insight(self) -> Insight | None:
        return self._insight

    @staticmethod
    def _branch(d: Decision) -> str:
        target = f", {len(d.path)} steps to state #{d.target}" if d.target is not None and len(d.path) > 1 else ""
        tier = f", tier {d.tier}" if d.tier is not None else ""
        return f"{d.reason}{target}{tier}"

    def report(self) -> list[str]:
        d = self.decision
        if d is None:
            return ["no move yet"]
        level = self._seen[1]
        here = [n for n in self.nodes.values() if n.levels == level]
        frontier = [n for n in here if n.untried]
        tiers = sorted({n.untried[0].tier for n in frontier})
        lines = [
            f"graph: {len(self.nodes)} states, {sum(len(n.edges) for n in self.nodes.values())} moves tried",
            f"level {level + 1}: {len(here)} states, frontier {len(frontier)}"
            + (f" (best tier {tiers[0]})" if tiers else "")
            + (", its winning move is known" if any(k[0] == level for k in self.wins) else ""),
        ]
        plan = " ".join(_short(c) for c in d.path[:8]) + (" ..." if len(d.path) > 8 else "")
        target = f" from state #{d.target}" if d.target is not None else ""
        tier = f" (tier {d.tier})" if d.tier is not None else ""
        lines.append(f"{d.reason}: {plan or _short(d.choice)}{target}{tier}")
        lines.append(f"chosen: {_short(d.choice)}")
        if self.masked_rows or self.masked_cols:
            lines.append(f"status lines ignored: rows {sorted(self.masked_rows)} cols {sorted(self.masked_cols)}")
        return lines

    @property
    def n_states(self) -> int:
        return len(self.nodes)

    # -- what was seen ---------------------------------------------------------------------------------------
    def _remember(self, frame: np.ndarray, actions: list[Action]) -> bytes:
        raw = _frame_hash(frame)
        if raw not in self.frames:
            self.frames[raw] = frame.copy()
        self.actions_of[raw] = tuple(actions)
        return raw

    def _observe(self, before: bytes, before_levels: int, choice: Choice, after: bytes, levels: int, over: bool) -> None:
        if choice.action == 0:  # our RESET: the level (or the game) starts again
            self._restarted(after, levels)
            return
        self.log.append(Transition(before, before_levels, choice, after, levels, over))
        if levels != before_levels and not over:
            self.start_frame[levels] = after
            self.since_start = 0
        elif not over and before != after:
            self._learn_status_lines(self.frames[before], self.frames[after])
        self._add(self.log[-1])

    def _restarted(self, frame: bytes, levels: int) -> None:
        """Lines near the edge that differ between two starts of one level (lives left) are status lines."""
        previous = self.start_frame.get(levels)
        self.start_frame[levels] = frame
        if previous is None or previous == frame:
            return
        rows, cols = self._edge_lines(self.frames[previous] != self.frames[frame])
        if rows is not None:
            self._mask(rows, cols)

    def _edge_lines(self, changed: np.ndarray) -> tuple[set[int] | None, set[int]]:
        """The edge rows and columns holding every changed cell; None when a change lies inside the frame."""
        band = self.cfg.edge_band
        h, w = changed.shape
        rows: set[int] = set()
        cols: set[int] = set()
        for r, c in np.argwhere(changed).tolist():
            if r < band or r >= h - band:
                rows.add(r)
            elif c < band or c >= w - band:
                cols.add(c)
            else:
                return None, cols
        return rows, cols

    def _learn_status_lines(self, before: np.ndarray, after: np.ndarray) -> None:
        changed = before != after
        band = self.cfg.edge_band
        self.changing_moves += 1
        h, w = changed.shape
        for r in [*range(band), *range(h - band, h)]:
            if changed[r].any():
                self.line_changes[("row", r)] = self.line_changes.get(("row", r), 0) + 1
        for c in [*range(band), *range(w - band, w)]:
            if changed[:, c].any():
                self.line_changes[("col", c)] = self.line_changes.get(("col", c), 0) + 1
        if self.changing_moves < self.cfg.status_after:
            return
        bar = self.cfg.status_share * self.changing_moves
        rows = {i for (kind, i), n in self.line_changes.items() if kind == "row" and n >= bar}
        cols = {i for (kind, i), n in self.line_changes.items() if kind == "col" and n >= bar}
        self._mask(rows, cols)

    def _mask(self, rows: set[int], cols: set[int]) -> None:
        if rows <= self.masked_rows and cols <= self.masked_cols:
            return
        self.masked_rows |= rows
        self.masked_cols |= cols
        self._rebuild()

    # -- the graph -----------------------------------------------------------------------------------------
    def _key(self, raw: bytes, levels: int) -> tuple:
        if (raw, levels) not in self._keys:
            frame = self.frames[raw].copy()
            frame[sorted(self.masked_rows), :] = 0
            frame[:, sorted(self.masked_cols)] = 0
            self._keys[raw, levels] = (levels, _frame_hash(frame))
        return self._keys[raw, levels]

    def _node(self, raw: bytes, levels: int) -> tuple:
        key = self._key(raw, levels)
        if key not in self.nodes:
            untried = self._candidates(raw)
            clicks = tuple(c.choice.xy for c in untried if c.choice.xy is not None)
            self.nodes[key] = Node(len(self.nodes), raw, levels, untried, clicks=clicks)
        return key

    def _add(self, t: Transition) -> None:
        src = self._node(t.before, t.before_levels)
        dst = OVER if t.over else self._node(t.after, t.after_levels)
        node = self.nodes[src]
        node.edges[t.choice] = dst
        tried = next((c for c in node.untried if c.choice == t.choice), None)
        node.untried = [c for c in node.untried if c.choice != t.choice]
        if t.over and tried is not None and (src, t.choice) not in self.lost_once:
            # A game over may be a step counter running out rather than the move: try it once more, later.
            self.lost_once.add((src, t.choice))
            self._insert(node, Candidate(t.choice, tried.tier + 1))
        if not t.over and t.after_levels > t.before_levels:
            self.wins[src] = t.choice
        elif self.wins.get(src) == t.choice:  # it did not complete the level this time
            del self.wins[src]
        if not t.over and t.choice.action != 0:
            self._count_effect(t.choice, dst != src)

    def _count_effect(self, choice: Choice, changed: bool) -> None:
        """A move that changed nothing in several states (a click on scenery) waits until the rest was tried."""
        tries, changes = self.effects.get(choice, (0, 0))
        self.effects[choice] = (tries + 1, changes + changed)
        if changes + changed == 0 and tries + 1 >= self.cfg.useless_after and choice not in self.useless:
            self.useless.add(choice)
            for node in self.nodes.values():
                found = next((c for c in node.untried if c.choice == choice), None)
                if found is not None:
                    node.untried.remove(found)
                    self._insert(node, Candidate(choice, found.tier + 2))

    @staticmethod
    def _insert(node: Node, candidate: Candidate) -> None:
        node.untried.append(candidate)
        node.untried.sort(key=lambda c: c.tier)

    def _rebuild(self) -> None:
        """Re-identify every state under the new mask, replaying the log of transitions."""
        self.nodes, self.wins, self._keys = {}, {}, {}
        self.effects, self.useless, self.lost_once = {}, set(), set()
        for t in self.log:
            self._add(t)

    def _candidates(self, raw: bytes) -> list[Candidate]:
        """Every move worth trying from a frame, best tier first."""
        found: list[Candidate] = []
        actions = self.actions_of.get(raw, ())
        for a in actions:
            if not a.resets and not a.needs_xy and a.index != UNDO:
                found.append(Candidate(Choice(a.index), 0))
        if any(a.needs_xy for a in actions):
            found += self._clicks(raw)
        found = [Candidate(c.choice, c.tier + 2) if c.choice in self.useless else c for c in found]
        # Within a tier, moves that changed something elsewhere come first; then moves before clicks (stable sort).
        return sorted(found, key=lambda c: (c.tier, self.effects.get(c.choice, (0, 0))[1] == 0))

    def _clicks(self, raw: bytes) -> list[Candidate]:
        """One click per segment, at its centre; the background is never clicked."""
        if raw not in self.segments_of:
            self.segments_of[raw] = segments(self.frames[raw])
        segs = self.segments_of[raw]
        area = self.frames[raw].size
        clicks = []
        for seg in segs:
            if seg.size >= self.cfg.background_share * area or (seg is segs[0] and seg.size > 0.05 * area):
                continue
            top, left, bottom, right = seg.box
            h, w = self.frames[raw].shape
            if all(r in self.masked_rows for r in range(top, bottom + 1)) or all(
                c in self.masked_cols for c in range(left, right + 1)
            ):
                tier = 2
            elif min(bottom - top, right - left) < 2 and (top == 0 or left == 0 or bottom == h - 1 or right == w - 1):
                tier = 1  # a thin strip along the edge: a frame or a gauge, seldom a button
            elif 4 <= seg.size <= self.cfg.small_segment:
                tier = 0
            else:
                tier = 1
            clicks.append(Candidate(Choice(6, seg.centre), tier))
            if seg.size >= 20:  # its thick parts may be separate buttons wired together
                parts = thick_parts(seg, self.frames[raw].shape)
                clicks += [Candidate(Choice(6, p.centre), tier) for p in parts if len(parts) > 1 and p.size >= 4]
        clicks.sort(key=lambda c: c.tier)
        return clicks[: self.cfg.max_clicks]

    # -- choosing ------------------------------------------------------------------------------------------
    def _search(self, root: tuple, best_tier: int, want_win: bool) -> tuple[tuple | None, tuple[int, int], dict]:
        """Breadth-first from `root` over known moves that stay in the level: the nearest state with a known
        winning move (want_win), else the nearest with an untried move of the lowest tier; (state, (tier, steps),
        parents)."""
        parents: dict[tuple, tuple[tuple, Choice] | None] = {root: None}
        queue = deque([root])
        dist = {root: 0}
        found, found_rank = None, (99, 0)
        while queue:
            key = queue.popleft()
            node = self.nodes[key]
            if want_win:
                if key in self.wins:
                    return key, (-1, dist[key]), parents
            elif node.untried and node.untried[0].tier < found_rank[0]:
                found, found_rank = key, (node.untried[0].tier, dist[key])
                if found_rank[0] <= best_tier:
                    break
            for choice, nxt in node.edges.items():
                if nxt is OVER or nxt in parents or nxt[0] != key[0]:
                    continue
                parents[nxt] = (key, choice)
                dist[nxt] = dist[key] + 1
                queue.append(nxt)
        return found, found_rank, parents

    def _decide(self, here: tuple) -> Decision:
        level = here[0]
        in_level = [n for n in self.nodes.values() if n.levels == level]
        want_win = any(k[0] == level for k in self.wins)
        best_tier = min((n.untried[0].tier for n in in_level if n.untried), default=99)
        roots = [(here, 0)]
        start = self.start_frame.get(level)
        if start is not None and self.since_start > 0:
            start_key = self._node(start, level)
            if start_key != here:
                roots.append((start_key, 1))  # one RESET, then walk from the level's start
        options = []
        for wanted in (want_win, False) if want_win else (False,):  # a winning move not reachable: explore
            for root, cost in roots:
                target, (tier, rank), parents = self._search(root, best_tier, wanted)
                if target is not None:
                    options.append((tier, cost + rank, cost, target, parents))
            if options:
                break
        if not options:
            node = self.nodes[here]
            moves = [c for c, nxt in node.edges.items() if nxt is not OVER and nxt != here] or list(node.edges)
            if not moves:  # no move on offer at all: only RESET is left
                return Decision(RESET, "exhausted")
            return Decision(self.rng.choice(moves), "exhausted")
        tier, _, reset_first, target, parents = min(options, key=lambda o: o[:2])
        node = self.nodes[target]
        branch = self.wins[target] if tier == -1 else node.untried[0].choice
        path = _path(parents, target) + [branch]
        reason = "replay" if tier == -1 else "explore"
        if reset_first:
            return Decision(RESET, "reset", [RESET, *path], node.index, None if tier < 0 else tier)
        return Decision(path[0], reason, path, node.index, None if tier < 0 else tier)


def _path(parents: dict, target: tuple) -> list[Choice]:
    steps: list[Choice] = []
    while parents[target] is not None:
        target, choice = parents[target]
        steps.append(choice)
    return steps[::-1]
