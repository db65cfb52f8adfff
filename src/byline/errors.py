"""Errors byline reports to the user as one clear line (file, line, what to do)."""

from __future__ import annotations


class BylineError(Exception):
    """An error whose message is meant for the user, not a traceback."""


class DataError(BylineError):
    """Input data that cannot be read: names the file (and line) and what to do."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
