"""A scripted Breakout player: reads the ball and paddle from the console's RAM, predicts where the ball
will cross the paddle's row (bouncing off the walls and the bricks it can see in the frame), and steers.

Everything it needs is recomputed from the current RAM and frame, so it can take over mid-episode; the
only memory it keeps is the previous step's ball position and its own last action, both checked against
the frame counter before use (after a person played they are stale and get ignored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.games.game import Game

NOOP, FIRE, RIGHT, LEFT = 0, 1, 2, 3
_MOVE_NAMES = {NOOP: "HOLD", FIRE: "FIRE", RIGHT: "RIGHT", LEFT: "LEFT"}


@dataclass(frozen=True)
class BreakoutRam:
    """Where Breakout keeps its state in the 128 bytes of RAM, and the offsets to screen pixels."""

    ball_x: int = 99  # screen x of the ball's left edge = ram - 49
    ball_y: int = 101  # screen y of the ball's top edge = ram + 9; 0 while no ball is in play
    ball_dx: int = 105  # signed; the ball moves left when positive
    ball_dy: int = 103  # signed; the ball moves down when positive
    paddle_x: int = 72  # screen x of the paddle's left edge = ram - 47
    ball_x_offset: int = -49
    ball_y_offset: int = 9
    paddle_x_offset: int = -47


@dataclass(frozen=True)
class BreakoutAgentConfig:
    """The tracker's tunables: the playfield's geometry (screen pixels) and the paddle's response."""

    frameskip: int = 4  # emulator frames per agent step (BreakoutConfig.frameskip)
    wall_left: float = 8.0  # smallest x of the ball's left edge
    wall_right: float = 150.0  # largest x of the ball's left edge (walls end at 152, the ball is 2 wide)
    ceiling: float = 32.0  # smallest y of the ball's top edge (the top wall ends at row 31)
    ball_width: int = 2
    ball_height: int = 4
    paddle_row: float = 186.0  # ball top y at which it meets the paddle (paddle rows 189..192)
    paddle_rows: tuple[int, int] = (189, 193)
    paddle_min: float = 8.0  # paddle left edge range
    paddle_max: float = 144.0
    paddle_width: int = 16  # until the ball first reaches the top wall; then it halves (measured each step)
    paddle_push: float = 11.3  # pixels one step of LEFT/RIGHT moves the paddle in that step, and again in the next
    brick_top: int = 57  # six rows of bricks, 6 pixels high, 18 columns 8 pixels wide, from x=8
    brick_rows: int = 6
    brick_height: int = 6
    brick_cols: int = 18
    brick_width: int = 8
    default_speed: tuple[float, float] = (4.0, 4.0)  # pixels per step when no earlier step measured it
    horizon_frames: int = 1200  # how far ahead the ball is simulated
    aim_offset: float = 0.0  # where on the paddle to meet the ball, from its centre (negative = left)


@dataclass
class BallState:
    x: float
    y: float
    vx: float  # pixels per step
    vy: float


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


class BreakoutAgent(Agent):
    name = "scripted"

    def __init__(self, config: BreakoutAgentConfig | None = None, ram: BreakoutRam | None = None) -> None:
        self.cfg = config or BreakoutAgentConfig()
        self.ram = ram or BreakoutRam()
        self._prev: tuple[int, float, float] | None = None  # (frame number, ball x, ball y) of the last step
        self._speed = self.cfg.default_speed  # last measured |vx|, |vy|: survives bounces, not hand-overs
        self._last_action: tuple[int, int] | None = None  # (frame number when chosen, action)
        self._lines: list[str] = []

    def reset(self, game: Game) -> None:
        self._prev = None
        self._last_action = None
        self._speed = self.cfg.default_speed
        self._lines = []

    # --- reading the game -------------------------------------------------------------------------

    def _ball(self, ram: np.ndarray, frame_number: int) -> BallState | None:
        r, c = self.ram, self.cfg
        if ram[r.ball_y] == 0:
            return None
        x = float(int(ram[r.ball_x]) + r.ball_x_offset)
        y = float(int(ram[r.ball_y]) + r.ball_y_offset)
        if y > c.paddle_rows[1] + 4:  # below the paddle: the life is lost
            return None
        sx = -np.sign(_signed(int(ram[r.ball_dx])))
        sy = np.sign(_signed(int(ram[r.ball_dy])))
        speed_x, speed_y = self._speed
        prev = self._prev
        if prev is not None and frame_number - prev[0] == c.frameskip:
            dx, dy = x - prev[1], y - prev[2]
            # A displacement against the current direction means a bounce inside the step: keep the old speed.
            if dx != 0 and np.sign(dx) == sx and abs(dx) <= 3 * c.frameskip:
                speed_x = abs(dx)
            if dy != 0 and np.sign(dy) == sy and abs(dy) <= 3 * c.frameskip:
                speed_y = abs(dy)
        self._speed = (speed_x, speed_y)
        self._prev = (frame_number, x, y)
        return BallState(x, y, sx * speed_x, sy * speed_y)

    def _bricks(self, frame: np.ndarray) -> np.ndarray:
        """(rows, cols) bool: which bricks are still standing, sampled at each brick's centre."""
        c = self.cfg
        ys = c.brick_top + c.brick_height * np.arange(c.brick_rows) + c.brick_height // 2
        xs = c.wall_left + c.brick_width * np.arange(c.brick_cols) + c.brick_width // 2
        return frame[ys][:, xs.astype(int)].any(axis=-1)

    def _paddle_width(self, frame: np.ndarray, paddle_x: float) -> int:
        c = self.cfg
        row = frame[c.paddle_rows[0], int(c.wall_left) : int(c.wall_right) + 2].any(axis=-1)
        width = int(row.sum())
        return width if 0 < width <= c.paddle_width else c.paddle_width

    # --- predicting the ball ----------------------------------------------------------------------

    def predict(self, ball: BallState, bricks: np.ndarray) -> tuple[float, int] | None:
        """Where the ball's left edge will be when it reaches the paddle's row, and in how many frames.

        Simulated frame by frame: walls and ceiling reflect, a standing brick reflects the vertical
        direction and is knocked out (as the game does). None when the ball does not come down in time.
        """
        c = self.cfg
        bricks = bricks.copy()
        x, y = ball.x, ball.y
        vx, vy = ball.vx / c.frameskip, ball.vy / c.frameskip
        for frame in range(1, c.horizon_frames + 1):
            x += vx
            y += vy
            if x < c.wall_left:
                x, vx = 2 * c.wall_left - x, -vx
            elif x > c.wall_right:
                x, vx = 2 * c.wall_right - x, -vx
            if y < c.ceiling:
                y, vy = 2 * c.ceiling - y, -vy
            if vy > 0 and y >= c.paddle_row:
                return x, frame
            hit = self._brick_hit(x, y, bricks)
            if hit is not None:
                bricks[hit] = False
                vy = -vy
        return None

    def _brick_hit(self, x: float, y: float, bricks: np.ndarray) -> tuple[int, int] | None:
        c = self.cfg
        bottom = c.brick_top + c.brick_rows * c.brick_height
        if y + c.ball_height <= c.brick_top or y >= bottom:
            return None
        row = int((y + c.ball_height / 2 - c.brick_top) // c.brick_height)
        col = int((x + c.ball_width / 2 - c.wall_left) // c.brick_width)
        row, col = min(max(row, 0), c.brick_rows - 1), min(max(col, 0), c.brick_cols - 1)
        return (row, col) if bricks[row, col] else None

    # --- steering ---------------------------------------------------------------------------------

    def _steer(self, paddle_x: float, target: float, previous: int) -> int:
        """LEFT, RIGHT or NOOP: the move whose resting position lands nearest the target.

        The paddle answers a step's press partly in that step and as much again in the next one, so the
        last press still carries the paddle on; a press now moves it two pushes in all.
        """
        push = self.cfg.paddle_push
        carry = {RIGHT: push, LEFT: -push}.get(previous, 0.0)
        options = {NOOP: 0.0, RIGHT: 2 * push, LEFT: -2 * push}
        lo, hi = self.cfg.paddle_min, self.cfg.paddle_max

        def miss(action: int) -> float:
            rest = min(max(paddle_x + carry + options[action], lo), hi)
            return abs(rest - target)

        return min((NOOP, RIGHT, LEFT), key=miss)  # NOOP first: it wins ties

    def act(self, game: Game) -> Choice:
        c = self.cfg
        ram = game.ale.getRAM()  # type: ignore[attr-defined]
        frame = game.frame
        frame_number = int(game.info.get("frame_number", 0))
        paddle_x = float(int(ram[self.ram.paddle_x]) + self.ram.paddle_x_offset)
        ball = self._ball(ram, frame_number)
        if ball is None:
            # No ball in play: launch one. FIRE is read on a press, so alternate it with a release.
            self._prev = None
            fired_last = self._last_action == (frame_number, FIRE)
            action = NOOP if fired_last else FIRE
            self._lines = [f"no ball in play; paddle at x={paddle_x:.0f}", "launching: FIRE" if action == FIRE else "waiting"]
            self._last_action = (frame_number + c.frameskip, action)
            return Choice(action)

        width = self._paddle_width(frame, paddle_x)
        crossing = self.predict(ball, self._bricks(frame))
        if crossing is None:
            cross_x, plan = ball.x, "following the ball"
        else:
            cross_x, frames = crossing
            plan = f"intercept at x={cross_x:.0f} in {frames / c.frameskip:.0f} steps"
        target = cross_x + c.ball_width / 2 - width / 2 - c.aim_offset
        target = min(max(target, c.paddle_min), c.paddle_max)
        previous = self._last_action[1] if self._last_action and self._last_action[0] == frame_number else NOOP
        action = self._steer(paddle_x, target, previous)
        self._last_action = (frame_number + c.frameskip, action)
        vertical = "down" if ball.vy > 0 else "up"
        horizontal = "right" if ball.vx > 0 else "left"
        self._lines = [
            f"ball at ({ball.x:.0f}, {ball.y:.0f}) moving {vertical}-{horizontal} ({ball.vx:+.0f}, {ball.vy:+.0f})/step",
            f"{plan}; paddle at x={paddle_x:.0f} (width {width}) -> x={target:.0f}",
            f"moving {_MOVE_NAMES[action]}",
        ]
        return Choice(action)

    def report(self) -> list[str]:
        return list(self._lines)
