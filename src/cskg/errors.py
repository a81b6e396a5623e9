"""Errors the command line turns into exit codes (see README, "Exit codes")."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # the data does not conform to the shapes
EXIT_ERROR = 2  # the tool could not do its job: bad input, bad query, store down
EXIT_DIFFERENT = 1  # `cskg diff`: the two releases differ (as diff(1))


class CskgError(Exception):
    """A failure the user can act on; printed as one message, never a traceback."""

    exit_code = EXIT_ERROR


class SourceSyntaxError(CskgError):
    """A source file does not parse. Carries the position for `file:line:column: message`."""

    def __init__(self, path: str, line: int | None, column: int | None, message: str) -> None:
        self.path, self.line, self.column, self.message = path, line, column, message
        where = path + "".join(f":{n}" for n in (line, column) if n is not None)
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(CskgError):
    """A SPARQL query does not parse."""


class InvalidData(CskgError):
    """The data violates the shapes."""

    exit_code = EXIT_INVALID
