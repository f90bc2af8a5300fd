"""The one error type a person sees: a single sentence naming the thing and what to do."""


class AriaError(Exception):
    """A problem the user can fix; its message is one clear sentence, shown without a traceback."""
