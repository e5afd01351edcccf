"""
A Python client for Runner clusters: submit transfer-learning sweeps, watch them, and read their results as
DataFrames (pandas optional). The standard library only for the core. See docs/python.md in Runner's repository.
"""

from .client import Client, Submitted, SweepWarning
from .errors import (
    AuthenticationError,
    Conflict,
    CoordinatorUnreachable,
    NotFound,
    PermissionDenied,
    Problem,
    RunnerError,
    SweepValidationError,
    TlsError,
    TooLarge,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Client",
    "Conflict",
    "CoordinatorUnreachable",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "RunnerError",
    "SweepWarning",
    "Submitted",
    "SweepValidationError",
    "TlsError",
    "TooLarge",
]
