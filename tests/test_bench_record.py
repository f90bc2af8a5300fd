"""`aria bench record` drives two episode runners in step: figures for every step and every recorded episode."""

from __future__ import annotations

from aria_desktop.bench.record import bench_game


def test_bench_record_times_every_step_across_episodes():
    result = bench_game("tile", 60)  # random clicks lose tile's levels: GAME_OVER, then the play-through goes on
    assert len(result.off_ms) == len(result.on_ms) == 60 and result.frames >= 60
    assert result.episodes >= 2 and len(result.close_ms) == result.episodes and result.bytes_written > 0
    assert result.sample is not None and result.sample.shape[1:] == (64, 64)
