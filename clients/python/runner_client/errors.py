"""The exceptions the client raises: one per thing a caller can act on, each with a one-line message."""

from __future__ import annotations

from dataclasses import dataclass


class RunnerError(Exception):
    """Anything that went wrong talking to a Runner coordinator. ``status`` is the HTTP status, when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CoordinatorUnreachable(RunnerError):
    """No coordinator answered at the address(es) given."""


class TlsError(RunnerError):
    """The TLS handshake failed: the coordinator's certificate is not the cluster CA's, or it refused ours."""


class AuthenticationError(RunnerError):
    """401: the API needs a credential (a token, ``RUNNER_TOKEN``) and got none, or an unknown or revoked one."""


class PermissionDenied(RunnerError):
    """403: the token's role may not do this. ``role_needed`` is the role that may (``operator``)."""

    def __init__(self, message: str, role_needed: str | None) -> None:
        super().__init__(message, 403)
        self.role_needed = role_needed


class NotFound(RunnerError):
    """404: no such sweep, trial or model."""


class Conflict(RunnerError):
    """409: a sweep name the cluster has with another definition (submit with ``new=True``), or a table it cannot make."""


class TooLarge(RunnerError):
    """413: a sweep with more trials, or a request larger, than this coordinator takes."""


@dataclass(frozen=True)
class Problem:
    """One problem of a sweep file, where the coordinator's validator found it (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SweepValidationError(RunnerError):
    """400: the sweep is not one Runner can run. ``problems`` lists each with its line and column."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message, 400)
        self.problems = problems
