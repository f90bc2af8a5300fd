"""The episode runner: the life of one game's episodes, whoever plays them. No pygame, no app.

Drivers: the app's play and watch modes (a person, an agent, take-over), `aria run`, `aria record
--headless` and the benches. They decide *when* to step (pacing, keys, progress bars); the runner
decides everything an episode is made of, in one place.

The game: anything that is a `Game` (games/game.py): Breakout, an ARC game, a learned world model.
The runner uses only `reset(seed)`, `step(action, xy)`, `actions` (an action with `resets=True` is a
level reset), `frame` and `info` ("state": WIN / GAME_OVER, "levels_completed"). A step may take as
long as it takes (a world model's ~50 ms): step() calls it synchronously and the driver paces.
`open_game` returns a game already reset with the first seed: pass fresh=True (the default) and
the first episode starts from that frame, so an ARC game is built once. The runner never closes the
game: whoever opened it closes it.

Rules it owns:
- Seeds (seeds.py): play-through k starts from seed + k; an agent is made with that seed when a
  play-through starts (a continuing episode keeps the agent's stream: a reseeded random agent
  would replay the moves that lost), unless keep_agent: then one agent plays them all and keeps
  what it learned (`aria eval agent`: the best of several plays counts).
- An episode ends at a step that terminates (WIN, GAME_OVER) or truncates; its outcome is the
  game's state or TRUNCATED (QUIT, RESET, INTERRUPTED when a driver ends it early). With
  max_steps, a play-through still running after that many steps is truncated.
- Play-throughs: after a GAME_OVER in a game with a level reset (ARC's RESET), next_episode()
  plays that reset (the toolkit resets the level, not the game: progress is kept) and the next
  episode starts from its frame, with the same play-through id, the next index, and start_level =
  levels completed. An agent in control sees the GAME_OVER frame first and answers it, as the
  toolkit's agents do (its answer is the RESET whatever it says): it learns which move lost.
  After anything else it starts a new play-through (a fresh reset).
- Take-over: `controller` says who is in control. step() is the person's step (controller 0),
  agent_step() the agent's (1); every recorded step says which. The agent thinks on a worker
  thread when the driver gives a wait (the window must not freeze during a long plan).
- Recording: every episode through the RecordingSession, when one is given.

It reports through return values (StepResult, EpisodeState) and events the driver drains:
EpisodeSaved (a file is on its way to disk) and Notice (a sentence for the person).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from aria_desktop.agents import Agent, Choice, make_agent
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Game, Step
from aria_desktop.session.recording import RecordingSession
from aria_desktop.session.seeds import SeedSchedule
from recorder import PlayThrough
from recorder.format import AGENT, HUMAN
from recorder.writer import episode_name

__all__ = ["AGENT", "HUMAN", "EpisodeRunner", "EpisodeSaved", "EpisodeState", "Notice", "StepResult"]


@dataclass(frozen=True)
class EpisodeSaved:
    path: Path  # its final name (the file is finished on a background thread: close() waits for it)


@dataclass(frozen=True)
class Notice:
    sentence: str
    error: bool = False


Event = EpisodeSaved | Notice


@dataclass
class EpisodeState:
    number: int  # 1-based: episodes started by this runner
    seed: int  # the play-through's seed
    playthrough: PlayThrough
    steps: int = 0
    steps_by: list[int] = field(default_factory=lambda: [0, 0])  # by the person, by the agent
    reward: float = 0.0
    outcome: str | None = None  # set when the episode ends

    @property
    def done(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class StepResult:
    step: Step
    action: int
    xy: tuple[int, int] | None
    controller: int
    outcome: str | None  # the episode's outcome when this step ended it


def outcome_of(step: Step) -> str:
    if step.truncated and not step.terminated:
        return "TRUNCATED"
    return str(step.info.get("state") or "TERMINATED")


class EpisodeRunner:
    """One game's episodes, by the rules in this module's docstring; the first episode starts at once."""

    def __init__(
        self,
        game: Game,
        seed: int = 0,
        agent: str | None = None,
        recording: RecordingSession | None = None,
        controller: int = HUMAN,
        max_steps: int | None = None,
        fresh: bool = True,  # the game was just opened, i.e. reset with the first play-through's seed
        first_playthrough: int = 0,  # a batch job that plays play-through k alone starts at k
        fallback_agent: str | None = None,  # plays (with a Notice) when `agent` has no version for this game
        keep_agent: bool = False,  # one agent for every play-through (see the rules)
        checkpoint: Path | str | None = None,  # the learned agent's model (None: its default)
    ) -> None:
        self.game = game
        self.schedule = SeedSchedule(seed)
        self.agent_name = agent
        self.fallback_agent = fallback_agent
        self.keep_agent = keep_agent
        self.checkpoint = checkpoint
        self.agent: Agent | None = None
        self.recording = recording
        self.controller = controller
        self.max_steps = max_steps
        self.playthroughs = first_playthrough  # play-throughs started (counting from first_playthrough)
        self.episodes = 0  # episodes started
        self.steps = 0  # steps taken, all episodes
        self._playthrough_steps = 0
        self._events: list[Event] = []
        self._pool: ThreadPoolExecutor | None = None
        self._thinking: Future[Choice] | None = None
        self._thinking_since = 0  # self.steps when the pending choice was asked for
        self.episode: EpisodeState = self._new_playthrough(fresh)
        if controller == AGENT:
            self.ensure_agent()

    # -- episodes ------------------------------------------------------------------------------------
    def _new_playthrough(self, fresh: bool = False) -> EpisodeState:
        self._finish_thinking()  # no choice for the old episode may land in the new one
        seed = self.schedule.seed(self.playthroughs)
        self.playthroughs += 1
        self._playthrough_steps = 0
        frame = self.game.frame if fresh else self.game.reset(seed)
        playthrough = PlayThrough(episode_name(), 0, _levels(self.game.info))
        episode = self._begin(seed, frame, playthrough)
        if self.agent is not None and self.keep_agent:
            self.agent.reset(self.game)
        elif self.agent is not None:  # a new play-through gets a new agent, seeded with its seed
            self.agent = None
            self.ensure_agent()
        return episode

    def _continue_playthrough(self) -> EpisodeState:
        self._finish_thinking()
        last = self.episode
        saw_it = self.controller == AGENT and self.agent is not None
        if saw_it:
            try:
                self.agent.act(self.game)  # the agent answers the GAME_OVER frame (and so learns what lost)
            except Exception:  # noqa: BLE001 - its answer is not played anyway; it starts afresh below
                saw_it = False
        reset = next(a for a in self.game.actions if a.resets)
        frame = self.game.step(reset.index).frame  # the level reset: levels completed are kept
        playthrough = PlayThrough(last.playthrough.id, last.playthrough.index + 1, _levels(self.game.info))
        episode = self._begin(last.seed, frame, playthrough)
        if self.agent is not None and not saw_it:  # the person played meanwhile: the agent starts afresh
            self.agent.reset(self.game)
        return episode

    def _begin(self, seed: int, frame, playthrough: PlayThrough) -> EpisodeState:
        self.episodes += 1
        self.episode = EpisodeState(self.episodes, seed, playthrough)
        if self.recording is not None:
            written = self.recording.begin(self.game, seed, frame, self.game.info, playthrough)
            self.episode.playthrough = written or playthrough  # a recorded play-through is named after its first file
            self._check_recording()
        return self.episode

    def continues_playthrough(self) -> bool:
        """Whether next_episode() will go on with the play-through (a level reset after a GAME_OVER)."""
        return self.episode.outcome == "GAME_OVER" and any(a.resets for a in self.game.actions)

    def next_episode(self) -> EpisodeState:
        """The next episode: the play-through goes on after a GAME_OVER (see the module's rules), else a new one."""
        if self.episode.done and self.continues_playthrough():
            return self._continue_playthrough()
        return self.restart()

    def restart(self, outcome: str = "RESET") -> EpisodeState:
        """End the episode in progress (with `outcome`) and start a new play-through."""
        self.finish(outcome)
        return self._new_playthrough()

    def finish(self, outcome: str, complete: bool = True) -> None:
        """End the episode in progress early (QUIT, INTERRUPTED with complete=False); nothing if it is over."""
        if self.episode.done:
            return
        self.episode.outcome = outcome
        self._save(outcome, complete)

    def _save(self, outcome: str, complete: bool = True) -> None:
        if self.recording is None:
            return
        path = self.recording.finish(outcome, complete)
        self._check_recording()
        if path is not None:
            self._events.append(EpisodeSaved(path))

    # -- steps -----------------------------------------------------------------------------------------
    def step(self, action: int, xy: tuple[int, int] | None = None, controller: int = HUMAN) -> StepResult:
        """Play one action (the person's, unless controller says otherwise) and record it."""
        episode = self.episode
        if episode.done:
            raise AriaError("The episode is over; start the next one before stepping.")
        if controller == HUMAN:
            self._finish_thinking()  # an agent still thinking reads the game: let it finish before it changes
        step = self.game.step(action, xy)
        self.steps += 1
        self._playthrough_steps += 1
        if self.max_steps is not None and self._playthrough_steps >= self.max_steps and not step.terminated:
            step = replace(step, truncated=True)
        episode.steps += 1
        episode.steps_by[controller] += 1
        episode.reward += step.reward
        if self.recording is not None:
            self.recording.add(action, xy, step, controller)
            self._check_recording()
        outcome = None
        if step.terminated or step.truncated:
            outcome = episode.outcome = outcome_of(step)
            self._save(outcome)
        return StepResult(step, action, xy, controller, outcome)

    def agent_step(self, wait: float | None = None) -> StepResult | None:
        """The agent's next step. wait=None: think here, then play. wait=seconds: think on the worker
        thread and play if the choice comes within `wait`; otherwise None (it keeps thinking: call again).
        None too when the choice went stale (the person played meanwhile) or the agent failed (a Notice
        says why and the person has control)."""
        agent = self.ensure_agent()
        if wait is None:
            choice = agent.act(self.game)
        else:
            if self._thinking is None:
                self._thinking = self._worker().submit(agent.act, self.game)
                self._thinking_since = self.steps
            try:
                choice = self._thinking.result(timeout=wait)
            except TimeoutError:
                return None
            except Exception as e:  # noqa: BLE001 - a failing agent hands control to the person
                self._thinking = None
                self.controller = HUMAN
                first = (str(e).strip().splitlines() or [""])[0]
                self._events.append(Notice(
                    f"The {self.agent_name} agent failed ({type(e).__name__}: {first}); you have control now, "
                    "Tab hands it back.", error=True))
                return None
            self._thinking = None
            if self.steps != self._thinking_since:
                return None
        return self.step(choice.action, choice.xy, AGENT)

    @property
    def thinking(self) -> bool:
        return self._thinking is not None and not self._thinking.done()

    # -- take-over -------------------------------------------------------------------------------------
    def take_over(self) -> int:
        """Hand control to the other side, keeping the game, its state and the recording going."""
        if self.controller == HUMAN:
            self._finish_thinking()
            self.ensure_agent().reset(self.game)  # the person may have moved the game on
            self.controller = AGENT
        else:
            self.controller = HUMAN
        return self.controller

    def use_agent(self, name: str) -> Agent:
        """From now on the agent `name` plays (made now, with the play-through's seed). When it cannot be made
        the AriaError says why, there is no agent, and the person has control."""
        self._finish_thinking()
        self.agent, self.agent_name = None, name
        try:
            return self.ensure_agent()
        except AriaError:
            self.controller = HUMAN
            raise

    def ensure_agent(self) -> Agent:
        """The agent, made now if it was not yet (with the fallback, when the chosen one has no version here)."""
        if self.agent is None:
            if self.agent_name is None:
                raise AriaError("No agent was chosen for this session; choose one (--agent random or scripted).")
            try:
                self.agent = make_agent(self.agent_name, self.game, seed=self.episode.seed, checkpoint=self.checkpoint)
            except AriaError:  # no such agent for this game
                if self.fallback_agent is None:
                    raise
                self._events.append(Notice(f"There is no {self.agent_name} agent for {self.game.title}, "
                                           f"so the {self.fallback_agent} agent plays."))
                self.agent_name = self.fallback_agent
                self.agent = make_agent(self.agent_name, self.game, seed=self.episode.seed)
            self.agent.reset(self.game)
        return self.agent

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aria-agent")
        return self._pool

    def _finish_thinking(self) -> None:
        """Let a choice still being computed finish (and drop it), so the agent is not reset under its own feet."""
        if self._thinking is not None:
            try:
                self._thinking.result()
            except Exception:  # noqa: BLE001 - the choice is dropped anyway
                pass
            self._thinking = None

    # -- reports ---------------------------------------------------------------------------------------
    def _check_recording(self) -> None:
        if self.recording is not None and self.recording.error:
            self._events.append(Notice(self.recording.error, error=True))
            self.recording.error = None

    def drain(self) -> list[Event]:
        """The events since the last drain (an episode closed in the background may report a problem late)."""
        self._check_recording()
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        """Save the episode in progress (QUIT) and wait until every episode is on disk; the game stays open."""
        self.finish("QUIT")
        if self.recording is not None:
            self.recording.wait()
        self._check_recording()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _levels(info: dict) -> int:
    return int(info.get("levels_completed", 0) or 0)
