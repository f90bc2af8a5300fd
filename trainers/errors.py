"""The trainers' error type: a problem the user can fix, its message one sentence (the CLI shows it as is)."""

from __future__ import annotations


class TrainerError(Exception):
    """Bad data, a run folder in the way, an unknown device...: one sentence naming the thing and what to do."""
