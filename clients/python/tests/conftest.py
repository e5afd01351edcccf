from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package from the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import Cluster, runner_executable  # noqa: E402


def _cluster(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs):
    if runner_executable() is None:
        pytest.skip("no built runner: run `dotnet build Runner.sln -c Release` first (or set RUNNER_EXE)")
    cluster = Cluster(tmp_path_factory.mktemp(name), **kwargs)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def plain(tmp_path_factory):
    """A coordinator and a worker on loopback, plain HTTP (the zero-config default); sweeps of at most 40 trials."""
    yield from _cluster(tmp_path_factory, "plain", coordinator_args=("--max-trials", "40"))


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """The same with mutual TLS between the nodes; clients use the CA certificate and tokens."""
    yield from _cluster(tmp_path_factory, "tls", tls=True)
