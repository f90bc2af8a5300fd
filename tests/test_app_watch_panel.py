"""Watch's agent panel in the real window: the picker (G), the agent's figures (trace, goal bars, branch), its
clicks marked on the frame, and an agent that cannot be made (no trained model) saying so while the window goes on."""

from __future__ import annotations

import numpy as np
import pygame
import pytest
from test_app_helpers import make_app, tap, ticks

from aria_desktop.agents.world_model_agent import no_model_sentence
from aria_desktop.app.panel import CurveSection, RankSection, TextSection, draw_panel
from aria_desktop.app.render import draw_frame


def _agent_steps(app, n: int, limit: int = 400) -> None:
    """Tick until the agent has made n more steps (in this episode or the next ones)."""
    done = 0
    for _ in range(limit):
        before = app.mode.runner.steps
        ticks(app, 1)
        done += app.mode.runner.steps - before
        if done >= n:
            return
    raise AssertionError(f"the agent made {done} of {n} steps")


def _section_pixels(app, kind: type) -> np.ndarray:
    """The window's pixels where the panel drew its first section of `kind` (laid out as the last frame was)."""
    panel = app.layout()[2]
    scratch = pygame.Surface(app.screen.get_size())
    placed = draw_panel(scratch, panel, app.mode.panel(), app.fonts, app.config.theme)
    rect = next(r for s, r in placed if isinstance(s, kind))
    return pygame.surfarray.array3d(app.screen.subsurface(rect)).copy()


def _panel_text(app) -> str:
    return "\n".join(line for s in app.mode.panel() if isinstance(s, TextSection) for line in [s.title, *s.lines])


def test_watching_the_explorer_fills_the_panel_as_it_plays(tmp_path):
    app = make_app(tmp_path, "watch", game="maze", agent="explorer", record=False)
    for _ in range(3):
        tap(pygame.K_PLUS)  # 8x: more decisions per frame
    _agent_steps(app, 3)
    curve = _section_pixels(app, CurveSection)
    assert np.all(curve == app.config.theme.text, axis=2).sum() > 20  # the trace is drawn
    text = _panel_text(app)
    assert "branch: explore" in text and "graph:" in text and "Agent: explorer" in text  # the report stays below
    _agent_steps(app, 12)
    assert not np.array_equal(_section_pixels(app, CurveSection), curve)  # the trace moved on with the steps
    assert app.mode.insight.graph_size == app.mode.runner.agent.n_states == app.mode.trace[-1]
    app.close()


def test_the_agents_clicks_are_marked_on_the_frame(tmp_path):
    app = make_app(tmp_path, "watch", game="tile", agent="explorer", record=False)
    theme = app.config.theme
    for _ in range(400):
        ticks(app, 1)
        if app.mode.marked is not None and app.mode.marked.chosen.xy is not None:
            break
    tap(pygame.K_p)  # pause on the click; its animation plays out
    ticks(app, 30)
    insight, rect = app.mode.insight, app.mode.frame_rect
    assert insight.chosen.xy in insight.clicks and len(insight.clicks) > 3
    unmarked = pygame.Surface(app.screen.get_size())
    draw_frame(unmarked, app.mode.shown, rect)  # the same frame without marks

    def count(surface, color) -> int:
        return int(np.all(pygame.surfarray.array3d(surface.subsurface(rect)) == color, axis=2).sum())

    s = rect.width // 64
    x, y = insight.chosen.xy
    ring = pygame.Rect(0, 0, 5 * s + 8, 5 * s + 8)
    ring.center = (rect.x + x * s + s // 2, rect.y + y * s + s // 2)
    near = [np.all(pygame.surfarray.array3d(surf.subsurface(ring.clip(rect))) == theme.agent, axis=2).sum()
            for surf in (app.screen, unmarked)]
    assert near[0] > near[1] + 20  # the chosen click: a bright ring
    assert count(unmarked, theme.dim) == 0 and count(app.screen, theme.dim) > 8 * (len(insight.clicks) - 1)  # the rest
    tap(pygame.K_TAB)  # the person plays: no agent marks
    ticks(app, 2)
    assert count(app.screen, theme.dim) == 0
    app.close()


@pytest.fixture
def untrained_world_model(monkeypatch, tmp_path):
    """No trained world model anywhere: the real world-model agent cannot be made and says so."""
    import aria_desktop.paths

    empty = tmp_path / "no-runs"
    empty.mkdir()
    monkeypatch.setattr(aria_desktop.paths, "DEFAULT_RUNS", empty)
    return no_model_sentence(empty)


def test_an_agent_that_cannot_be_made_says_why_and_the_window_goes_on(tmp_path, untrained_world_model):
    NO_MODEL = untrained_world_model
    app = make_app(tmp_path, "watch", game="maze", agent="world-model", record=False)
    ticks(app, 3)
    mode = app.mode
    assert mode.name == "watch" and mode.controller == 0  # not sent back to the launcher: the person has control
    assert NO_MODEL in _panel_text(app) and app.error == NO_MODEL
    tap(pygame.K_RIGHT)  # the person plays meanwhile
    tap(pygame.K_DOWN)
    ticks(app, 20)
    assert mode.steps_by[0] >= 1
    tap(pygame.K_TAB)  # handing over to it says why again; the person keeps control
    ticks(app, 2)
    assert mode.controller == 0 and app.running
    tap(pygame.K_g)  # another agent: the next of those that play maze
    ticks(app, 2)
    assert mode.agent_name == "scripted" and mode.agent_problem is None and NO_MODEL not in _panel_text(app)
    tap(pygame.K_TAB)
    _agent_steps(app, 2)
    assert mode.steps_by[1] >= 2
    for _ in range(3):  # scripted -> random -> explorer -> world-model, while the agent plays
        tap(pygame.K_g)
    ticks(app, 2)
    assert mode.agent_name == "world-model" and mode.controller == 0 and NO_MODEL in _panel_text(app)
    assert app.selection.agent == "world-model"  # the launcher shows the choice
    app.close()


def test_the_picker_offers_only_agents_that_play_the_game_and_f1_lists_it(tmp_path):
    app = make_app(tmp_path, "watch", game="breakout", agent="scripted", record=False)
    assert ("G", "the next agent for this game (watch / take-over)") in dict(app._help_sections())["Mode: WATCH"]
    seen = []
    for _ in range(3):
        tap(pygame.K_g)
        ticks(app, 1)
        seen.append(app.mode.agent_name)
    assert seen == ["random", "scripted", "random"]  # no explorer on Breakout
    app.close()


def test_rank_bars_are_sorted_longest_first_and_cut_to_the_top(tmp_path):
    app = make_app(tmp_path, "launcher")
    theme, fonts = app.config.theme, app.fonts
    section = RankSection("Chance to complete the level", {"UP": 0.2, "click 3,4": 0.9, "LEFT": 0.5, "DOWN": 0.05}, top=3)
    rect = pygame.Rect(0, 0, 300, section.height(fonts, 300))
    surface = pygame.Surface(rect.size)
    section.draw(surface, rect, fonts, theme)
    accent = np.all(pygame.surfarray.array3d(surface) == theme.accent, axis=2)  # (x, y)
    rows = accent.sum(axis=0)  # bar pixels per row
    starts = [y for y in range(fonts.normal.get_height() + 4, rect.height) if rows[y] and not rows[y - 1]]
    lengths = [int(accent[:, y].sum()) for y in starts]  # under the title (accent text): one run per bar
    assert len(lengths) == 3  # DOWN is cut
    assert lengths[0] > lengths[1] > lengths[2] > 0
    assert lengths[0] / lengths[2] == pytest.approx(0.9 / 0.2, rel=0.15)
    app.close()


def test_the_launcher_offers_the_agents_of_the_selected_game(tmp_path):
    app = make_app(tmp_path, "launcher", game="breakout", agent="explorer")
    ticks(app, 1)
    assert app.mode.entry.id == "breakout"
    tap(pygame.K_a)  # explorer does not play Breakout: the first that does
    ticks(app, 1)
    assert app.selection.agent == "random"
    tap(pygame.K_a)
    tap(pygame.K_a)
    ticks(app, 1)
    assert app.selection.agent == "random"  # random -> scripted -> random: the explorer is skipped
    app.mode.selected = [g.open_id for g in app.mode.games].index("maze")
    tap(pygame.K_a)
    ticks(app, 1)
    assert app.selection.agent == "explorer"  # on an ARC-style game it is offered
    app.close()


def test_click_marks_go_when_a_new_level_is_shown(tmp_path):
    app = make_app(tmp_path, "watch", game="lamp", agent="explorer", record=False)
    levels = 0
    for _ in range(600):
        ticks(app, 1)
        now = app.mode.game.info["levels_completed"]
        if now > levels:  # this frame's step completed a level: its clicks were weighed on the old level's frame
            assert app.mode.insight is not None and app.mode.marked is None
            break
        if app.mode.insight is not None and app.mode.insight.chosen.xy is not None:
            assert app.mode.marked is app.mode.insight  # on the same level they are marked
    else:
        raise AssertionError("the explorer did not complete lamp's first level")
    app.close()
