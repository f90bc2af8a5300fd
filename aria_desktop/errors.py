"""The one error type a person sees: a single sentence naming the thing and what to do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class AriaError(Exception):
    """A problem the user can fix; its message is one clear sentence, shown without a traceback."""


def user_error_types() -> tuple[type[Exception], ...]:
    """AriaError and the recorder's RecordingError (the recorder knows nothing of aria_desktop).
    Imported when a command fails, not when every module imports this one."""
    from recorder import RecordingError

    return (AriaError, RecordingError)


def friendly_errors[F: Callable[..., Any]](fn: F) -> F:
    """For CLI commands: print a user error as one red sentence and exit with status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer

        try:
            return fn(*args, **kwargs)
        except user_error_types() as e:
            typer.secho(f"Error: {e}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.secho("Interrupted.", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]
