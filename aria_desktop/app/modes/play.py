"""Play & record, with take-over: a person plays (or an agent does) and every episode is recorded.

Breakout runs in real time at its native step rate (the keys held at each step decide the action);
ARC games are turn based (one key or click is one action) and their animation frames play at the
game's frame rate. Tab hands control between the person and the agent without a reset; every
recorded step says who acted (controller 0 human, 1 agent). G picks the agent among those that play
the game; the side panel shows what it computed (Agent.insight(): surprise over time, the probability
each action completes the level, its branch and graph) and its clicks are marked on the frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import pygame

from aria_desktop.agents import agents_for
from aria_desktop.agents.agent import Insight
from aria_desktop.app.header import HeaderInfo, level_text
from aria_desktop.app.keymap import KeyAction, KeyMap, KeyTable, chord, keymap_for, normalise
from aria_desktop.app.modes.base import Mode, register
from aria_desktop.app.panel import CurveSection, RankSection, Section, TextSection
from aria_desktop.app.render import draw_frame, frame_size, mark_click, window_to_grid
from aria_desktop.errors import AriaError
from aria_desktop.games.catalog import open_game
from aria_desktop.games.game import Game, GameKind
from aria_desktop.session import AGENT, HUMAN, EpisodeRunner, EpisodeSaved, RecordingSession, StepResult

MAX_PENDING = 8  # turn-based input queued while an animation plays
TRACE_LENGTH = 200  # agent decisions the panel's curve shows

# The mode's own keys (the game's keys come from its KeyMap); handle_event dispatches through this table.
PLAY_KEYS = KeyTable(
    KeyAction((pygame.K_TAB,), "take_over", "take over from the agent / hand control back"),
    KeyAction((pygame.K_p,), "pause", "pause / resume"),
    KeyAction((pygame.K_n,), "step_once", "one step while paused"),
    KeyAction((pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS, pygame.K_RIGHTBRACKET), "faster", "faster", "+ / ]"),
    KeyAction((pygame.K_MINUS, pygame.K_KP_MINUS, pygame.K_LEFTBRACKET), "slower", "slower", "- / ["),
    KeyAction((pygame.K_g,), "next_agent", "the next agent for this game (watch / take-over)"),
)
_MODIFIERS = {pygame.K_LCTRL, pygame.K_RCTRL, pygame.K_LSHIFT, pygame.K_RSHIFT}


@register
class PlayMode(Mode):
    name = "play"
    title = "PLAY"
    has_panel = True
    hotkey = pygame.K_F3
    launcher_key = pygame.K_RETURN
    launcher_label = "Play & record  [Enter]"
    order = 10
    start_controller = HUMAN
    keys = PLAY_KEYS

    def __init__(self, app, game: str | None = None, agent: str | None = None) -> None:
        super().__init__(app)
        chosen, seed = app.selection, app.config.seed
        if game:
            chosen.game = game
        if agent:
            chosen.agent = agent
        self.agent_problem: str | None = None  # why the chosen agent cannot play (the panel says it)
        self.insight: Insight | None = None  # what the agent computed for the step on screen
        self.marked: Insight | None = None  # the same, while its clicks still fit the frame (the level is the same)
        self.agent_report: list[str] = []  # its report() lines, read when it is not thinking (it may change them then)
        self.trace: deque[float] = deque(maxlen=TRACE_LENGTH)  # its surprise (or graph size) per decision
        self.game: Game = self.open_game(seed)  # reset with the first seed: built once
        try:
            self.runner = self.make_runner(seed)
        except BaseException:
            self.game.close()
            raise
        self.keymap: KeyMap = keymap_for(self.game)
        speeds = app.config.pace.speeds
        self.speed_index = speeds.index(1.0) if 1.0 in speeds else 0
        self.paused = False
        self.step_once = False
        self.held: set[int] = set()  # keys down now (normalised)
        self.tapped: set[int] = set()  # keys pressed since the last real-time step
        self.last_pressed: int | None = None
        self.pending: deque[tuple[int, tuple[int, int] | None]] = deque()
        self.frame_rect = pygame.Rect(0, 0, 0, 0)
        self.banner_rect: pygame.Rect | None = None
        self._episode_started()

    def open_game(self, seed: int) -> Game:
        chosen = self.app.selection
        return open_game(chosen.game, chosen.env_dir, seed)

    def make_runner(self, seed: int) -> EpisodeRunner:
        chosen = self.app.selection
        # An agent that does not play this game gives way to the random one (with a notice); one that plays it
        # but cannot be made now (no trained model) says why in the panel, and the person plays meanwhile.
        fallback = None if chosen.agent in agents_for(self.game.kind) else "random"
        runner = EpisodeRunner(self.game, seed, chosen.agent, RecordingSession(chosen.out_dir, chosen.record),
                               HUMAN, fallback_agent=fallback)
        try:
            runner.ensure_agent()  # now, so the panel names the agent Tab would hand control to
        except AriaError as e:
            self._agent_failed(e)
        else:
            runner.controller = self.start_controller
        return runner

    def _agent_failed(self, e: AriaError) -> None:
        self.agent_problem = str(e)
        self.app.show_error(self.agent_problem)

    # -- what the runner knows ---------------------------------------------------------------------
    @property
    def recording(self) -> RecordingSession:
        return self.runner.recording

    @property
    def controller(self) -> int:
        return self.runner.controller

    @property
    def agent_name(self) -> str:
        return self.runner.agent_name

    @property
    def steps(self) -> int:
        return self.runner.episode.steps

    @property
    def steps_by(self) -> list[int]:
        return self.runner.episode.steps_by

    @property
    def done(self) -> bool:
        return self.runner.episode.done

    @property
    def outcome(self) -> str:
        return self.runner.episode.outcome or ""

    # -- episodes ------------------------------------------------------------------------------------
    def _episode_started(self) -> None:
        """Show the episode the runner just started."""
        self._report()
        self.shown = self.game.frame
        self.animation: deque[np.ndarray] = deque()
        self.anim_clock = 0.0
        self.step_clock = 0.0
        self._last_dt: float | None = None  # the first frame of an episode paces from scratch
        self.done_clock = 0.0
        self.pending.clear()
        self.last_action = ""
        self.keymap = keymap_for(self.game)
        self.insight = self.marked = None  # its clicks were for the last episode's frame
        self._read_report()

    def _next_episode(self) -> None:
        self.runner.next_episode()
        self._episode_started()

    def _report(self) -> None:
        """Show what the runner reported: saved episodes, recording problems, agent failures."""
        for event in self.runner.drain():
            if isinstance(event, EpisodeSaved):
                self.app.saved.append(event.path)
                self.app.show_message(f"Saved {event.path} ({len(self.app.saved)} this session)")
            elif event.error:
                self.app.show_error(event.sentence)
            else:
                self.app.show_message(event.sentence)

    # -- acting ----------------------------------------------------------------------------------------
    def _played(self, result: StepResult | None) -> None:
        """Show a step: its first frame now, the rest as animation at the game's frame rate."""
        self._report()
        if result is None:
            return
        action, xy = result.action, result.xy
        self.last_action = self._action_name(action)
        if xy is not None:
            self.last_action += f" at {xy}"
        if result.controller == AGENT:
            self._note_insight(same_level=result.step.reward == 0 or self.game.kind is GameKind.ATARI)
        frames = result.step.frames if self.game.animated else result.step.frames[-1:]
        self.shown = frames[0]
        self.animation.extend(frames[1:])
        self.anim_clock = 0.0
        if tuple(a.index for a in self.game.actions) != self.keymap.action_ids:
            self.keymap = keymap_for(self.game)  # ARC games can change their actions per level

    def _action_name(self, action: int) -> str:
        return self.game.action(action).name if action in self.keymap.action_ids else str(action)

    def _read_report(self) -> None:
        agent = self.runner.agent
        self.agent_report = agent.report() if agent is not None else []

    def _note_insight(self, same_level: bool) -> None:
        """Keep what the agent computed for the step just played (read now: its next decision has not started)."""
        agent = self.runner.agent
        self.insight = agent.insight() if agent is not None else None
        self._read_report()
        self.marked = self.insight if same_level else None  # a new level's frame: the clicks were for the old one
        if self.insight is None:
            return
        value = self.insight.surprise if self.insight.surprise is not None else self.insight.graph_size
        if value is not None:
            self.trace.append(float(value))

    def _act(self, action: int, xy: tuple[int, int] | None) -> None:
        self._played(self.runner.step(action, xy, HUMAN))

    def _agent_step(self) -> None:
        self._played(self.runner.agent_step(wait=self.app.config.pace.agent_wait))

    def _human_realtime_step(self) -> None:
        action = self.keymap.realtime_action(chord(self.held | self.tapped), self.last_pressed)
        self.tapped.clear()
        if action is not None:
            self._act(action, None)

    # -- the loop ----------------------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self.app.config.pace.speeds[self.speed_index]

    def update(self, dt: float) -> None:
        if self.app.show_help:  # the help covers the game: time stands still under it
            return
        scaled = dt * self.speed
        if self.animation:  # ARC animation frames play at the game's frame rate
            self.anim_clock += scaled
            period = 1.0 / self.game.native_fps
            while self.animation and self.anim_clock >= period:
                self.shown = self.animation.popleft()
                self.anim_clock -= period
            if self.animation:
                return
        if self.done:
            if self.controller == AGENT and not self.paused:  # an agent's next episode starts by itself
                self.done_clock += dt
                if self.done_clock >= self.app.config.pace.auto_restart_after:
                    self._next_episode()
            return
        if self.keymap.realtime:
            # A frame as long as the last one is ordinary: real time catches up on it. A longer one (the game
            # loading, an episode starting, a dragged window) is a stall: the game waits instead of bursting.
            ordinary = min(dt, self._last_dt) if self._last_dt is not None else 0.0
            self._last_dt = dt
            self._update_realtime(scaled, ordinary * self.speed)
        elif self.controller == HUMAN:
            if self.pending:
                self._act(*self.pending.popleft())
        else:
            self._update_turn_based_agent(scaled)

    def _update_realtime(self, scaled: float, ordinary: float) -> None:
        if self.paused and not self.step_once:
            return
        period = 1.0 / self.game.native_fps
        if self.paused:
            self.step_clock = period  # exactly one step
        else:
            self.step_clock = min(self.step_clock + scaled, max(period, ordinary))
        while self.step_clock >= period and not self.done:
            self.step_clock -= period
            if self.controller == AGENT:
                self._agent_step()
            else:
                self._human_realtime_step()
        self.step_once = False

    def _update_turn_based_agent(self, scaled: float) -> None:
        if self.paused and not self.step_once:
            return
        self.step_clock += scaled
        if self.step_once or self.step_clock >= 1.0 / self.app.config.pace.arc_agent_steps_per_second:
            self.step_clock = 0.0
            self.step_once = False
            self._agent_step()

    # -- input -----------------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYUP:
            self.held.discard(normalise(event.key))
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            return self._click(event.pos)
        if event.type != pygame.KEYDOWN:
            return False
        if self.dispatch_key(event):
            return True
        if self.controller != HUMAN:
            return False
        return self._game_key(event)

    def _game_key(self, event: pygame.event.Event) -> bool:
        key = normalise(event.key)
        if self.keymap.realtime:
            if key == self.keymap.reset_key:
                self._restart("RESET")
                return True
            if self.done:
                return False
            self.held.add(key)
            self.tapped.add(key)
            if key not in _MODIFIERS:
                self.last_pressed = key
            return self.keymap.lookup((key,)) is not None
        mods = set()
        if event.mod & pygame.KMOD_CTRL:
            mods.add(pygame.K_LCTRL)
        if event.mod & pygame.KMOD_SHIFT:
            mods.add(pygame.K_LSHIFT)
        action = self.keymap.lookup(chord(mods | {key}))
        if action is None:
            return False
        return self._queue(action, None)

    def _click(self, pos: tuple[int, int]) -> bool:
        if self.controller != HUMAN or self.keymap.click_action is None:
            return False
        xy = window_to_grid(pos, self.frame_rect, frame_size(self.shown))
        if xy is None:
            return False
        return self._queue(self.keymap.click_action, xy)

    def _queue(self, action: int, xy: tuple[int, int] | None) -> bool:
        """A person's turn-based action: played when any animation is over (after a win or a game over,
        it starts the next episode instead); ignored while paused."""
        if self.paused:  # the pause holds for the person too
            return True
        if self.done:
            self._next_episode()
        elif len(self.pending) < MAX_PENDING:
            self.pending.append((action, xy))
        return True

    def key_actions(self) -> dict[str, Callable[[], None]]:
        """What each action of the key table does."""
        return {"take_over": self.take_over, "pause": self.toggle_pause, "step_once": self.request_step,
                "faster": lambda: self.change_speed(1), "slower": lambda: self.change_speed(-1),
                "next_agent": self.next_agent}

    def next_agent(self) -> None:
        """The next of the agents that play this game; it plays from the state the game is in."""
        offered = agents_for(self.game.kind)
        current = self.agent_name
        name = offered[(offered.index(current) + 1) % len(offered)] if current in offered else offered[0]
        self.choose_agent(name)

    def choose_agent(self, name: str) -> None:
        self.app.selection.agent = name  # the launcher and the next mode start with it
        self.insight = self.marked = None
        self.trace = deque(maxlen=TRACE_LENGTH)
        self.step_clock = 0.0
        try:
            self.runner.use_agent(name)
        except AriaError as e:  # the person has control and can pick another agent
            self._agent_failed(e)
            return
        self.agent_problem = None
        self._read_report()
        self.app.error = None
        self.app.show_message(f"The {name} agent " + ("plays now." if self.controller == AGENT else "takes over on Tab."))

    def toggle_pause(self) -> None:
        self.paused = not self.paused

    def request_step(self) -> None:
        self.step_once = True

    def change_speed(self, by: int) -> None:
        self.speed_index = min(max(self.speed_index + by, 0), len(self.app.config.pace.speeds) - 1)

    def _restart(self, outcome: str) -> None:
        self.runner.restart(outcome)
        self._episode_started()

    def take_over(self) -> None:
        """Hand control to the other side, keeping the game, its state and the recording going."""
        try:
            self.runner.take_over()
        except AriaError as e:  # the agent cannot be made: the person keeps control
            self._agent_failed(e)
            return
        self.insight = self.marked = None  # the person may have moved the game on
        self._read_report()
        self._report()
        self.held.clear()
        self.tapped.clear()
        self.pending.clear()
        self.step_clock = 0.0

    # -- drawing ------------------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        # The banner has a strip of its own under the frame, so it never hides the play area.
        fonts, theme = self.app.fonts, self.app.config.theme
        strip = fonts.big.get_height() + 14
        play_area = pygame.Rect(area.x, area.y, area.width, max(area.height - strip - 6, 1))
        self.frame_rect = draw_frame(surface, self.shown, play_area)
        self._draw_hover(surface)
        self._draw_agent_clicks(surface)
        self.banner_rect = None
        lines = self.banner_lines()
        if lines:
            text = "  ·  ".join(lines)
            image = fonts.big.render(text, True, theme.text)
            if image.get_width() + 24 > area.width:  # a long line in a narrow window: the smaller font
                image = fonts.normal.render(text, True, theme.text)
            box = image.get_rect().inflate(24, 14)
            box.midtop = (self.frame_rect.centerx, self.frame_rect.bottom + 6)
            box.clamp_ip(area)
            surface.fill(theme.header, box)
            surface.blit(image, image.get_rect(center=box.center))
            self.banner_rect = box

    def banner_lines(self) -> list[str]:
        """What the banner under the frame says: the episode's end and what comes next, or the pause."""
        if self.done:
            what = {"WIN": "You won", "GAME_OVER": "Game over"}.get(self.outcome, "Episode over")
            if self.controller == AGENT:
                return [what, "the next episode starts by itself"]
            if self.runner.continues_playthrough():
                return [what, "the next key or click resets the level (progress kept)"]
            return [what, "R for a new game" if self.keymap.realtime else "any game key for a new game"]
        if self.paused:
            return ["Paused", "P to resume, N for one step"]
        return []

    def _draw_hover(self, surface: pygame.Surface) -> None:
        """In click games, outline the grid cell a click would hit."""
        if self.controller != HUMAN or self.keymap.click_action is None or not pygame.mouse.get_focused():
            return
        cell = window_to_grid(pygame.mouse.get_pos(), self.frame_rect, frame_size(self.shown))
        if cell is None:
            return
        s = self.frame_rect.width // frame_size(self.shown)[0]
        box = pygame.Rect(self.frame_rect.x + cell[0] * s, self.frame_rect.y + cell[1] * s, s, s)
        pygame.draw.rect(surface, self.app.config.theme.accent, box.inflate(2, 2), 1)

    def _draw_agent_clicks(self, surface: pygame.Surface) -> None:
        """The clicks the agent weighed for the step on screen (faint) and the one it made (bright)."""
        insight = self.marked
        if insight is None or self.controller != AGENT or self.keymap.click_action is None:
            return
        size, theme = frame_size(self.shown), self.app.config.theme
        chosen = insight.chosen.xy if insight.chosen is not None else None
        for xy in insight.clicks:
            if xy != chosen:
                mark_click(surface, self.frame_rect, size, xy, theme.dim, faint=True)
        if chosen is not None:
            mark_click(surface, self.frame_rect, size, chosen, theme.agent)

    def controller_label(self) -> str:
        return "human" if self.controller == HUMAN else f"agent: {self.agent_name}"

    def header(self) -> HeaderInfo:
        info = self.game.info
        if self.game.kind is GameKind.ATARI:
            score = f"score {info.get('score', 0):.0f} · lives {info.get('lives', 0)}"
        else:
            score = level_text(info, self.game.levels)
        extra = [f"speed {self.speed:g}x"] if self.speed != 1.0 else []
        if self.paused:
            extra.append("paused")
        return HeaderInfo(
            mode=self.title,
            game=self.game.title,
            controller=self.controller_label(),
            step=self.steps,
            score=score,
            recording=self.recording.enabled,  # on between episodes too (a file starts with the next one)
            episodes=len(self.app.saved),
            extra=" · ".join(extra) or None,
            model=getattr(self.runner.agent, "model_label", ""),  # a learned agent's checkpoint
        )

    def panel(self) -> list[Section]:
        other = f"the {self.agent_name} agent" if self.controller == HUMAN else "you"
        episode = self.runner.episode
        facts = [
            f"{self.controller_label()} is playing; Tab hands control to {other}",
            f"G picks the agent: {', '.join(agents_for(self.game.kind))}",
            f"episode {self.runner.episodes} · seed {episode.seed} · step {self.steps}",
        ]
        if self.game.kind is not GameKind.ATARI:
            part = f", part {episode.playthrough.index + 1}" if episode.playthrough.index else ""
            facts.append(f"{level_text(self.game.info, self.game.levels)} · play-through {self.runner.playthroughs}{part}")
        facts += [
            f"steps by you {self.steps_by[HUMAN]} · by the agent {self.steps_by[AGENT]}",
            f"reward {episode.reward:g} · last action {self.last_action or '-'}",
            f"speed {self.speed:g}x" + (" · paused" if self.paused else ""),
        ]
        rec = self.recording
        if rec.enabled:
            recording = [f"recording to {self.app.selection.out_dir}", f"{len(self.app.saved)} episode(s) saved this session"]
        else:
            recording = ["not recording" + ("" if self.app.selection.record else " (switched off)")]
        if rec.saved:
            recording.append(f"last: {rec.saved[-1].name}")
        sections: list[Section] = [TextSection("Play", facts)]
        agent = self.runner.agent
        if self.agent_problem is not None:
            sections.append(TextSection(f"Agent: {self.agent_name}", [self.agent_problem,
                                                                      "G picks another agent; you can play meanwhile."]))
        elif agent is not None and self.controller == AGENT:
            sections += self._insight_sections()
            thinking = ["thinking..."] if self.runner.thinking else []
            sections.append(TextSection(f"Agent: {self.agent_name}", thinking + (self.agent_report or ["(no report)"])))
        sections.append(TextSection("Recording", recording))
        return sections

    def _insight_sections(self) -> list[Section]:
        """The agent's figures: a trace over its decisions, the goal probability per action, its branch."""
        insight, sections = self.insight, []
        if insight is None:
            return sections
        if len(self.trace) > 1:
            title = "Surprise" if insight.surprise is not None else "Graph size (distinct states)"
            sections.append(CurveSection(title, list(self.trace), plot_height=70))
        if insight.goal:
            sections.append(RankSection("Chance to complete the level", insight.goal))
        lines = [f"branch: {insight.branch or '-'}"]
        if insight.graph_size is not None:
            lines.append(f"graph: {insight.graph_size} states")
        if insight.chosen is not None:
            lines.append(f"chose {self._action_name(insight.chosen.action)}" + (f" at {insight.chosen.xy}" if insight.chosen.xy else "")
                         + (f" of {len(insight.clicks)} click candidates" if insight.clicks else ""))
        sections.append(TextSection("Decision", lines))
        return sections

    def game_help_lines(self) -> list[tuple[str, str]]:
        return self.keymap.help_lines()

    def close(self) -> None:
        try:
            self.runner.close()  # saves the episode in progress (QUIT) and waits for the files
            self._report()
        finally:
            self.game.close()
