"""The recorder's one error type: its message is a single sentence naming the file and what to do."""


class RecordingError(Exception):
    """A recording that cannot be written, read, imported or exported, said in one clear sentence."""
