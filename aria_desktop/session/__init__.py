"""session: the pygame-free episode runner (runner.py), its recording (recording.py) and seed rule (seeds.py)."""

from aria_desktop.session.recording import RecordingSession
from aria_desktop.session.runner import (
    AGENT,
    HUMAN,
    EpisodeRunner,
    EpisodeSaved,
    EpisodeState,
    Notice,
    StepResult,
)
from aria_desktop.session.seeds import SeedSchedule

__all__ = [
    "AGENT", "HUMAN", "EpisodeRunner", "EpisodeSaved", "EpisodeState", "Notice", "RecordingSession", "SeedSchedule",
    "StepResult",
]
