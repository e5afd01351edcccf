"""
Real Runner processes for the client's tests: a coordinator and a worker started from the built ``runner`` on
loopback ports that were free, each run in a folder of its own, killed at the end. Plain HTTP, or mutual TLS with
certificates and tokens made by ``runner certs`` and ``runner token``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import time
import urllib.request
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SUBSET = REPO / "data" / "fashion-mnist-subset"


def runner_executable() -> Path | None:
    built = Path(os.environ.get("RUNNER_EXE") or REPO / "src" / "Runner.Cli" / "bin" / "Release" / "net10.0" / "runner").resolve()
    return built if built.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, folder: Path, tls: bool = False, coordinator_args: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.exe = runner_executable()
        self.state = folder / "coordinator"
        self.api_port, self.cluster_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", RUNNER_COORDINATOR="", RUNNER_TOKEN="", RUNNER_CA="", RUNNER_TLS="")
        self.certs = folder / "certs"
        tls_of = lambda name: ["--tls", str(self.certs / f"{name}.pfx")] if tls else []  # noqa: E731
        if tls:
            self.cli("certs", "init", str(self.certs))
            self.cli("certs", "issue", str(self.certs), "coordinator", "--host", "127.0.0.1")
            self.cli("certs", "issue", str(self.certs), "worker")
        self.address = f"127.0.0.1:{self.api_port}"
        self.ca = str(self.certs / "ca.crt") if tls else None
        try:
            self.start("coordinator", "coordinator", "--port", str(self.cluster_port), "--api-port", str(self.api_port),
                       "--state", str(self.state), *tls_of("coordinator"), *coordinator_args)
            self.wait_for_api(tls)
            self.start("worker", "worker", "--seed-nodes", f"127.0.0.1:{self.cluster_port}", "--port", str(free_port()),
                       "--devices", "cpu", "--threads", "1", "--data", str(SUBSET), "--state", str(folder / "worker"), *tls_of("worker"))
        except BaseException:
            # A cluster that did not come up leaves no process behind: the fixture never gets to stop it.
            self.stop()
            raise

    def start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")
        self.processes.append(subprocess.Popen([str(self.exe), *args], cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, env=self.env))

    def cli(self, *args: str) -> str:
        """A ``runner`` command's output; its error output in the exception when it fails."""
        done = subprocess.run([str(self.exe), *args], cwd=self.folder, capture_output=True, env=self.env, timeout=300)
        if done.returncode != 0:
            raise AssertionError(f"runner {' '.join(args)} exited {done.returncode}: {done.stderr.decode()}{done.stdout.decode()}")
        return done.stdout.decode()

    def token(self, role: str) -> str:
        return self.cli("token", "create", "--role", role, "--state", str(self.state)).strip()

    def wait_for_api(self, tls: bool) -> None:
        """Until the API answers: with TLS it answers 401 to a caller without a credential, which is enough."""
        import ssl
        import urllib.error

        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        url = f"{'https' if tls else 'http'}://{self.address}/health"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2, context=context) as r:
                    if json.load(r).get("role") == "coordinator":
                        return
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    return
            except OSError:
                pass
            if self.processes[0].poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"the coordinator did not answer at {url}: {self.log('coordinator')[-2000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for p in self.processes:
            p.kill()
        for p in self.processes:
            p.wait(timeout=30)


def tiny_sweep(name: str, dataset_sizes: list[int] = [10], seeds: list[int] = [1, 2]) -> dict:  # noqa: B006
    """A sweep of a few seconds: convnet4 from scratch on the shipped Fashion-MNIST subset, one epoch."""
    return {
        "name": name,
        "base": {"model": "convnet4"},
        "target": {"dataset": "fashion-mnist", "classes": [5, 6, 7], "validation_per_class": 10},
        "train": {"epochs": 1, "batch_size": 16, "optimizer": "adam"},
        "sweep": {
            "method": "grid",
            "parameters": {"initialization": ["scratch"], "learning_rate": [1e-3, 3e-3], "dataset_size": dataset_sizes},
            "seeds": seeds,
        },
    }


def png(path: Path, pixels: list[list[int]]) -> None:
    """A grayscale PNG written with the standard library (zlib), so the tests need no imaging package."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def image_folder(root: Path, per_class: int = 30) -> Path:
    """Two classes anyone can tell apart (a bright left half, a bright right half), with noise, 28x28."""
    import random

    rng = random.Random(7)
    for label, bright_left in (("left", True), ("right", False)):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            rows = [[min(255, (200 if (x < 14) == bright_left else 30) + rng.randrange(40)) for x in range(28)] for _ in range(28)]
            png(root / label / f"{i:03}.png", rows)
    return root
