"""A scripted Breakout player: reads the ball and the paddle from the console's RAM, predicts frame by frame
where the ball will cross the paddle's row (bouncing off the walls, the ceiling and the bricks it sees in
the frame), and plans the paddle's moves with a model of how the paddle answers LEFT and RIGHT.

Everything is read from the current RAM and frame (the ball's position, direction, speed and sub-pixel
phase; the paddle and its controller), so it can take over mid-episode. The only memory is its own last
FIRE (to release the button between presses; checked against the frame counter) and when the score last
moved (to notice a ball stuck in a loop).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.errors import AriaError
from aria_desktop.games.game import Game

NOOP, FIRE, RIGHT, LEFT = 0, 1, 2, 3
_PUSH = {NOOP: 0, RIGHT: 1, LEFT: -1}
_NAMES = {NOOP: "NOOP", FIRE: "FIRE", RIGHT: "RIGHT", LEFT: "LEFT"}
_SIDES = {-1: "off the paddle's left half", 0: "off the paddle's centre", 1: "off the paddle's right half"}


@dataclass(frozen=True)
class BreakoutRam:
    """Where Breakout keeps its state in the console's 128 bytes of RAM, and how to turn it into screen pixels."""

    ball_x: int = 99  # ball's left edge: x = ram - 49
    ball_y: int = 101  # ball's top edge: y = ram + 9; 0 while no ball is in play
    ball_dx: int = 105  # signed whole pixels per frame, positive while the ball moves left ...
    ball_dx_fraction: int = 106  # ... plus this many 256ths (two's complement: -2 and 128 make -1.5)
    ball_dx_carry: int = 100  # the horizontal sub-pixel carry, in 256ths
    ball_dy: int = 103  # signed speed level (BreakoutAgentConfig.vertical_speeds); positive while it moves down
    ball_dy_carry: int = 102  # the vertical sub-pixel carry, in 256ths
    paddle_x: int = 72  # paddle's left edge as drawn: x = ram - 47
    paddle_pot: int = 70  # the paddle controller's reading; the drawn paddle eases toward x = 187 - ram
    paddle_half_width: int = 108  # 8, then 6 once the ball has reached the top wall
    ball_x_offset: int = -49
    ball_y_offset: int = 9
    paddle_x_offset: int = -47
    pot_offset: int = 187


@dataclass(frozen=True)
class BreakoutAgentConfig:
    """The tracker's tunables: the playfield's geometry (screen pixels), the paddle's response, the planner."""

    frameskip: int = 4  # emulator frames per agent step (BreakoutConfig.frameskip)
    # playfield
    wall_left: float = 8.0  # the ball turns right once its left edge is left of this (walls end at x = 7)
    wall_right: float = 150.0  # ... and left once it is right of this (the right wall starts at 152)
    ceiling: float = 32.0  # ... and down once its top is above this (the top wall ends at row 31)
    ball_width: int = 2
    ball_height: int = 4
    hit_rows: tuple[int, int] = (186, 192)  # ball top y where the paddle can bounce it (measured; a fast ball: 186)
    lost_below: int = 200  # ball top y beyond which the ball is gone
    bricks_top: int = 57  # six rows of bricks, 6 pixels high, 18 columns 8 pixels wide, from x = 8
    brick_rows: int = 6
    brick_height: int = 6
    brick_cols: int = 18
    brick_width: int = 8
    # paddle response, per emulator frame: the drawn paddle moves half-way to the controller's target
    # (exact), and LEFT / RIGHT move the target by 4 or 6 pixels, `pot_speed` on average (measured)
    paddle_min: int = 8
    paddle_max: int = 144
    target_min: float = 3.0
    target_max: float = 187.0
    pot_speed: float = 5.7
    paddle_width: int = 16  # the widest the paddle gets (it shrinks to 12 once the ball reaches the top wall)
    # the ball's vertical speed by level, in 256ths of a pixel per frame: 1, 2, 3.375 and 3.625 px (measured)
    vertical_speeds: tuple[int, ...] = (0, 256, 512, 864, 928)
    # planner
    horizon_frames: int = 1500  # how far ahead the ball is simulated
    plan_steps: int = 7  # search every move sequence (merging equal paddle states) this many steps before contact
    # where on the paddle to meet the ball (0 = left edge, 1 = right edge). The left half sends the ball
    # back left, the right half right, at the speed it came (measured). The ball can settle into a loop
    # that hits no brick: after `stale_frames` without points, each approach gets a random side. (Searching
    # the sides' simulated returns for a brick scored no better over 16 episodes; chance is enough.)
    aim: float = 0.5
    side_aims: tuple[float, float] = (0.3, 0.7)
    stale_frames: int = 800
    # With the ball at full speed the paddle can only choose the side it sends the ball to, and some loops
    # pass every remaining brick by a pixel whatever the sides. A new serve starts a new path: after
    # `give_up_frames` without points the paddle lets the ball go. The last life goes only when no brick is
    # left or after `end_frames` without points: the episode is over in all but name.
    give_up_frames: int = 4000
    end_frames: int = 12000
    seed: int = 0  # for the random aims and the opening: the agent plays the same way for the same seed
    # Breakout with sticky actions off plays the same for every seed: a seeded opening of random moves
    # (0..opening_max steps, before the agent's first serve) makes each episode of a recorded batch differ.
    opening_max: int = 30
    miss_penalty: float = 1000.0
    safe_margin: float = 3.0  # pixels from the paddle's edges below which a contact counts as risky ...
    edge_penalty: float = 20.0  # ... costing this much per pixel short
    drift_weight: float = 0.01  # per pixel and frame the paddle spends away from the contact point
    press_cost: float = 0.5  # per step of LEFT / RIGHT: no dithering for a pixel's gain


@dataclass
class BallState:
    """The ball's top-left pixel and its motion per emulator frame, as the game keeps it: a direction and a
    speed in 256ths of a pixel per axis; each frame the speed is added to a sub-pixel carry, and every
    whole 256 moves the ball a pixel."""

    x: int
    y: int
    dx: int  # -1 left, 0 still, +1 right
    dy: int  # -1 up, +1 down
    speed_x: int  # 256ths of a pixel per frame
    speed_y: int
    carry_x: int = 0
    carry_y: int = 0

    @property
    def velocity(self) -> tuple[float, float]:
        """Pixels per frame, signed."""
        return self.dx * self.speed_x / 256, self.dy * self.speed_y / 256


@dataclass
class Contact:
    """A predicted flight of the ball down to the paddle's rows."""

    path: list[tuple[int, float]]  # (frames from now, x) for each frame the ball spends in the paddle's rows

    @property
    def frame(self) -> int:
        return self.path[0][0]

    @property
    def x(self) -> float:
        return self.path[0][1]


@dataclass
class _PlanState:
    """A move sequence being planned: its first move, where it leaves the paddle, and what it costs."""

    first: int
    drawn: int
    target: float
    effort: float  # drift_weight x pixel-frames spent away from where it should meet the ball, plus presses
    met: float | None  # how well it meets the ball, once the ball has reached the paddle's rows

    @property
    def cost(self) -> float:
        return (self.met or 0.0) + self.effort


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


class BreakoutAgent(Agent):
    name = "scripted"

    def __init__(self, config: BreakoutAgentConfig | None = None, ram: BreakoutRam | None = None) -> None:
        self.cfg = config or BreakoutAgentConfig()
        self.ram = ram or BreakoutRam()
        self._fired_at: int | None = None  # frame number after the step in which this agent pressed FIRE
        self._aim = self.cfg.aim
        self._exploring = False
        self._rng = random.Random(self.cfg.seed)
        self._approach: int | None = None  # frame number at which the ball is expected at the paddle
        self._side = 0  # -1 / +1: the side chosen for this approach, while exploring; 0: the centre
        self._score: tuple[float, int] | None = None  # (score, frame number when it last changed)
        self._lines: list[str] = []
        self._episodes = 0
        self._opening = 0  # random moves still to make before the agent plays

    def reset(self, game: Game) -> None:
        """A new episode (each one gets its own opening), or a person handed control back."""
        self._episodes += 1
        rng = random.Random(f"{self.cfg.seed}:{self._episodes}")
        at_start = int(game.info.get("frame_number", 0)) == 0
        self._opening = rng.randint(0, self.cfg.opening_max) if at_start else 0
        self._fired_at = None
        self._aim = self.cfg.aim
        self._exploring = False
        self._rng = rng
        self._approach = None
        self._side = 0
        self._score = None
        self._lines = []

    def _choose_aim(self, score: float, frame_number: int, contact: Contact | None, serving: bool) -> None:
        """Aim at the centre while bricks keep falling. Once points have stopped coming (the ball is in a
        loop), toss a side for each approach. A new serve starts a new path: the wait starts again."""
        c = self.cfg
        if serving or self._score is None or self._score[0] != score or frame_number < self._score[1]:
            self._score = (score, frame_number)
            self._exploring = False
        elif frame_number - self._score[1] > c.stale_frames:
            self._exploring = True
        if contact is None:
            self._approach = None
            return
        arrival = frame_number + contact.frame
        new_approach = self._approach is None or abs(arrival - self._approach) > c.frameskip
        if self._exploring and new_approach:  # one choice per approach, or the paddle would dither
            self._side = self._rng.choice((-1, 1))
        self._approach = arrival
        if not self._exploring:
            self._side = 0
        self._aim = c.aim if self._side == 0 else c.side_aims[self._side > 0]

    # --- reading the game -------------------------------------------------------------------------

    def read_ball(self, ram: np.ndarray) -> BallState | None:
        """The ball from RAM, motion and sub-pixel phase included; None while no ball is in play."""
        r, c = self.ram, self.cfg
        if ram[r.ball_y] == 0:
            return None
        x = int(ram[r.ball_x]) + r.ball_x_offset
        y = int(ram[r.ball_y]) + r.ball_y_offset
        if y > c.lost_below:
            return None
        level = _signed(int(ram[r.ball_dy]))
        speed_y = c.vertical_speeds[min(abs(level), len(c.vertical_speeds) - 1)]
        leftward = _signed(int(ram[r.ball_dx])) * 256 + int(ram[r.ball_dx_fraction])
        return BallState(
            x, y, -int(np.sign(leftward)), 1 if level > 0 else -1, abs(leftward), speed_y,
            int(ram[r.ball_dx_carry]), int(ram[r.ball_dy_carry]),
        )

    def read_bricks(self, frame: np.ndarray) -> np.ndarray:
        """(rows, cols) bool: which bricks still stand, sampled at each brick's centre."""
        c = self.cfg
        ys = c.bricks_top + c.brick_height * np.arange(c.brick_rows) + c.brick_height // 2
        xs = int(c.wall_left) + c.brick_width * np.arange(c.brick_cols) + c.brick_width // 2
        return frame[ys][:, xs].any(axis=-1)

    def read_paddle_width(self, ram: np.ndarray) -> int:
        """16 pixels, 12 once the ball has reached the top wall."""
        width = 2 * int(ram[self.ram.paddle_half_width])
        return width if 2 <= width <= self.cfg.paddle_width else self.cfg.paddle_width

    # --- predicting the ball ----------------------------------------------------------------------

    def predict(self, ball: BallState, bricks: np.ndarray) -> Contact | None:
        """The ball's path through the paddle's rows, simulated frame by frame as the game moves it: walls
        and ceiling turn it, a standing brick turns its vertical direction and falls. None when the ball
        does not come down within the horizon."""
        c = self.cfg
        bricks = bricks.copy()
        x, y, dx, dy, carry_x, carry_y = ball.x, ball.y, ball.dx, ball.dy, ball.carry_x, ball.carry_y
        path: list[tuple[int, float]] = []
        for frame in range(1, c.horizon_frames + 1):
            move_x, carry_x = divmod(carry_x + ball.speed_x, 256)
            move_y, carry_y = divmod(carry_y + ball.speed_y, 256)
            x += dx * move_x
            y += dy * move_y
            # The game turns the ball once it is past a wall, without moving it back (measured).
            if x < c.wall_left:
                dx = 1
            elif x > c.wall_right:
                dx = -1
            if y < c.ceiling:
                dy = 1
            if dy > 0 and c.hit_rows[0] <= y <= c.hit_rows[1]:
                path.append((frame, x))
            elif path:
                break
            hit = self._brick_at(x, y, bricks)
            if hit is not None:
                bricks[hit] = False
                dy = -dy
        return Contact(path) if path else None

    def _brick_at(self, x: float, y: float, bricks: np.ndarray) -> tuple[int, int] | None:
        c = self.cfg
        bottom = c.bricks_top + c.brick_rows * c.brick_height
        if y + c.ball_height <= c.bricks_top or y >= bottom:
            return None
        row = int((y + c.ball_height / 2 - c.bricks_top) // c.brick_height)
        col = int((x + c.ball_width / 2 - c.wall_left) // c.brick_width)
        row, col = min(max(row, 0), c.brick_rows - 1), min(max(col, 0), c.brick_cols - 1)
        return (row, col) if bricks[row, col] else None

    # --- planning the paddle ----------------------------------------------------------------------

    def _paddle_frame(self, drawn: int, target: float, push: int) -> tuple[int, float]:
        """One emulator frame: the drawn paddle moves half-way to the target (rounding up), then the
        controller moves the target."""
        c = self.cfg
        drawn = min(max(int((drawn + target) / 2 + 0.5), c.paddle_min), c.paddle_max)
        target = min(max(target + push * c.pot_speed, c.target_min), c.target_max)
        return drawn, target

    def _rest(self, target: float, move: int) -> float:
        """Where the paddle comes to rest after a step of `move`: the controller's target after it."""
        c = self.cfg
        return min(max(target + c.frameskip * _PUSH[move] * c.pot_speed, c.target_min), c.target_max)

    def _head_for(self, target: float, goal: float) -> int:
        """The move that brings the paddle's resting place nearest `goal` (HOLD on ties)."""
        return min((NOOP, RIGHT, LEFT), key=lambda move: abs(self._rest(target, move) - goal))

    def _contact_cost(self, ball_x: float, drawn: int, width: int) -> float:
        """0 at the aimed point of the paddle, more with the distance from it and far more near the paddle's
        edges (where a pixel of error loses the ball); a miss costs `miss_penalty` and more."""
        c = self.cfg
        ball_centre = ball_x + c.ball_width / 2
        offset = ball_x - drawn  # the paddle bounces the ball for offsets -1 .. width - 1
        margin = min(offset + c.ball_width, width - offset)
        if margin <= 0:
            return c.miss_penalty + min(abs(ball_centre - drawn), abs(ball_centre - drawn - width))
        return abs(ball_centre - drawn - self._aim * width) + c.edge_penalty * max(0.0, c.safe_margin - margin)

    def plan(self, drawn: int, target: float, contact: Contact, width: int) -> tuple[int, float]:
        """The first move of the best move sequence until contact, and how far that sequence meets the ball
        from the aimed point (`miss_penalty` and more for a miss).

        Far from contact the paddle heads for the contact point. Within `plan_steps` steps every sequence
        of LEFT / HOLD / RIGHT is simulated frame by frame (sequences that leave the paddle in the same
        state are merged, keeping the cheaper). A ball the paddle scoops up while it passes through the
        paddle's rows counts as met. Sequences that meet the ball equally well are told apart by how close
        the paddle stays to the contact point on the way: getting there early leaves room for error."""
        c = self.cfg
        steps_left = -(-contact.frame // c.frameskip)
        goal = contact.x + c.ball_width / 2 - self._aim * width
        if steps_left > c.plan_steps:
            move = self._head_for(target, goal)
            return move, abs(self._rest(target, move) - goal)
        path = dict(contact.path)
        # (drawn, target) -> _PlanState; every state in the table has lived through the same frames
        states = {(drawn, round(target)): _PlanState(NOOP, drawn, target, 0.0, None)}
        for step in range(steps_left):
            merged: dict[tuple[int, int], _PlanState] = {}
            for state in states.values():
                for move in (NOOP, RIGHT, LEFT):
                    d, t, effort, met = state.drawn, state.target, state.effort, state.met
                    effort += c.press_cost * abs(_PUSH[move])
                    for k in range(1, c.frameskip + 1):
                        frame = step * c.frameskip + k
                        d, t = self._paddle_frame(d, t, _PUSH[move])
                        effort += c.drift_weight * abs(d - goal)
                        x = path.get(frame)
                        if x is not None and (met is None or met >= c.miss_penalty):
                            here = self._contact_cost(x, d, width)
                            met = here if met is None else min(met, here)
                    new = _PlanState(move if step == 0 else state.first, d, t, effort, met)
                    key = (d, round(t))
                    if key not in merged or new.cost < merged[key].cost:
                        merged[key] = new
            states = merged
        best_state = min(states.values(), key=lambda st: (st.cost, st.first != NOOP))
        met = best_state.met if best_state.met is not None else 2 * c.miss_penalty
        return best_state.first, met

    # --- acting -----------------------------------------------------------------------------------

    def act(self, game: Game) -> Choice:
        c, r = self.cfg, self.ram
        ale = getattr(game, "ale", None)
        if ale is None:
            raise AriaError(
                f"The scripted Breakout agent reads Atari Breakout's console memory and cannot play '{game.id}'; "
                "use --agent random."
            )
        if self._opening > 0:
            self._opening -= 1
            action = self._rng.choice([a.index for a in game.actions])
            self._lines = [f"opening: a random move ({self._opening} left, seed {self.cfg.seed})"]
            return Choice(action)
        ram = ale.getRAM()
        frame = game.frame
        frame_number = int(game.info.get("frame_number", 0))
        drawn = int(ram[r.paddle_x]) + r.paddle_x_offset
        target = float(r.pot_offset - int(ram[r.paddle_pot]))
        ball = self.read_ball(ram)
        score = float(game.info.get("score", 0.0))
        if ball is None:
            self._choose_aim(score, frame_number, None, serving=True)
            # No ball in play: launch one. FIRE counts on a press, so release it for a step between presses.
            action = NOOP if self._fired_at == frame_number else FIRE
            self._fired_at = frame_number + c.frameskip if action == FIRE else None
            launch = "launching: FIRE" if action == FIRE else "releasing FIRE"
            self._lines = [f"no ball in play; paddle at x={drawn}", launch]
            return Choice(action)

        width = self.read_paddle_width(ram)
        bricks = self.read_bricks(frame)
        contact = self.predict(ball, bricks)
        self._choose_aim(score, frame_number, contact, serving=False)
        waited = frame_number - self._score[1] if self._score else 0
        lives = int(game.info.get("lives", 0))
        over = waited > c.end_frames or not bricks.any()
        if contact is not None and waited > c.give_up_frames and (lives > 1 or over):
            # Stand at the far side from where the ball comes down.
            far_side = c.paddle_min if contact.x > (c.wall_left + c.wall_right) / 2 else c.paddle_max
            action = self._head_for(target, far_side)
            plan = f"no points for {waited / 60:.0f} s: letting the ball go for a new serve"
        elif contact is None:
            action = self._head_for(target, ball.x + c.ball_width / 2 - self._aim * width)
            plan = "ball not coming down soon: following it"
        else:
            action, cost = self.plan(drawn, target, contact, width)
            verdict = "miss likely" if cost >= c.miss_penalty else f"{cost:.0f} px off the aim"
            plan = f"intercept at x={contact.x:.0f} in {contact.frame / c.frameskip:.1f} steps ({verdict})"
        vx, vy = ball.velocity
        vertical = "down" if vy > 0 else "up"
        horizontal = "right" if vx > 0 else "left" if vx < 0 else "straight"
        self._lines = [
            f"ball at ({ball.x:.0f}, {ball.y:.0f}) moving {vertical}-{horizontal} ({vx:+.1f}, {vy:+.2f} px/frame)",
            f"{plan}; paddle at x={drawn}, width {width}",
            f"bouncing it {_SIDES[self._side]}" + (" (no points lately: trying sides)" if self._exploring else ""),
            "next: NOOP (the paddle stays)" if action == NOOP else f"next: {_NAMES[action]}",
        ]
        return Choice(action)

    def report(self) -> list[str]:
        return list(self._lines)
