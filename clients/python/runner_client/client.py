"""The client: a Runner cluster from Python, the way ``optuna.load_study`` or ``wandb.Api`` reach theirs."""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import frames, uploads
from ._connection import Connection, error_of
from .errors import RunnerError

#: How often :meth:`Client.wait` asks for progress.
POLL_SECONDS = 1.0
#: Trials per request when paging through a sweep (the API's largest page).
PAGE = 500


class SweepWarning(UserWarning):
    """The sweep validator's warning: the sweep runs, but may not be what was meant (e.g. classes smaller than dataset_size)."""


@dataclass(frozen=True)
class Submitted:
    """What the coordinator said to a submission; ``warnings`` are the validator's (each also raised as a Python warning)."""

    sweep_id: str
    trials: int
    already_known: bool
    reused: int
    warnings: tuple[str, ...] = ()


class Client:
    """
    A coordinator's API. ``address`` is ``"host:port"``, a URL, or several (a list or ``"a:1,b:2"``: a coordinator and
    its standbys, the active one is used); ``token`` an API token (``runner token create``); ``ca`` the cluster's CA
    certificate (``ca.crt``: HTTPS, trusting only that CA); ``cert`` a client certificate as PEM (a file with the key,
    or ``(cert, key)``). Each defaults to the variable the ``runner`` command reads: ``RUNNER_COORDINATOR`` (else
    ``127.0.0.1:4080``), ``RUNNER_TOKEN``, ``RUNNER_CA``, ``RUNNER_TLS``.

    Calls that return rows give pandas DataFrames when pandas is installed, lists of dicts otherwise.
    """

    def __init__(
        self,
        address: str | Iterable[str] | None = None,
        *,
        token: str | None = None,
        ca: str | None = None,
        cert: str | tuple[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._api = Connection(address, token=token, ca=ca, cert=cert, timeout=timeout)

    @property
    def url(self) -> str:
        """The coordinator in use (the active one of a list)."""
        return self._api.url

    # -- submitting -------------------------------------------------------------------------------------------

    def submit(
        self,
        sweep: str | os.PathLike[str] | dict[str, Any],
        *,
        base_dir: str | os.PathLike[str] | None = None,
        new: bool = False,
        rerun: bool = False,
        progress: uploads.ProgressCallback | bool | None = None,
    ) -> Submitted:
        """
        Submits a sweep: a sweep file's path, or a dict in the same schema (docs/sweep-file.md). The coordinator
        validates it (:class:`~runner_client.errors.SweepValidationError` with each problem's line and column) and
        names the files it needs: the weight file and image folder, which are uploaded first (only what the
        coordinator lacks; an interrupted upload resumes), read relative to the file's folder (for a dict,
        ``base_dir``, default the working folder). ``progress``: a callback ``(what, sent, total)``, or True for a bar
        (tqdm when installed, else a line per file). Submitting the same sweep again is harmless (same id);
        ``new`` allows a changed definition under a name the cluster has; ``rerun`` runs every trial again.
        """
        if isinstance(sweep, dict):
            text, name = json.dumps(sweep, indent=2), "sweep (dict)"
            folder = Path(base_dir or os.getcwd())
        else:
            path = Path(sweep)
            try:
                text = path.read_text()
            except OSError as e:
                raise RunnerError(f"{path}: cannot read the sweep file ({e.strerror or e})") from None
            name, folder = path.name, Path(base_dir) if base_dir else path.resolve().parent
        report = _progress_reporter(progress)
        files: dict[str, str] = {}
        # At most twice: once to learn which files the sweep names, once with them uploaded.
        for _ in range(3):
            reply = self._api.post_expecting("sweeps/file", {"file": text, "name": name, "files": files, "new": new, "rerun": rerun}, (200, 422))
            if "uploads" not in reply:
                said = tuple(reply.get("warnings", ()))
                for line in said:
                    warnings.warn(line, SweepWarning, stacklevel=2)
                return Submitted(reply["sweep_id"], reply["trials"], reply["already_known"], reply["reused"], said)
            for wanted in reply["uploads"]:
                files[wanted["path"]] = self._upload(folder, wanted, report)
        raise RunnerError("the coordinator kept asking for uploads it was sent; submit again")

    def _upload(self, folder: Path, wanted: dict[str, Any], report: uploads.ProgressCallback | None) -> str:
        local = (folder / wanted["path"]).resolve()
        if wanted["kind"] == "image-folder":
            # A folder of class folders, or a list of labelled images (.csv, .jsonl) beside the images it names.
            if not local.is_dir() and not local.is_file():
                raise RunnerError(f"target.dataset.path: {local}: no such folder or list")
            archive = uploads.folder_archive(local, wanted["extensions"])
            what = f"image {'list' if local.is_file() else 'folder'} {local.name}"
        else:
            if not local.is_file():
                raise RunnerError(f"base.weights: {local}: no such file")
            archive, what = local, f"weights {local.name}"
        sha = uploads.sha256_of(archive)
        uploads.upload(self._api, archive, sha, what, report)
        return sha

    # -- watching ---------------------------------------------------------------------------------------------

    def sweeps(self) -> Any:
        """Every sweep of the cluster with its counts (id, name, total, pending, running, completed, failed, cancelled)."""
        return frames.frame(self._api.get("sweeps"))

    def status(self, sweep: str) -> dict[str, Any]:
        """One sweep's counts (as :meth:`sweeps` rows)."""
        return self._api.get(f"sweeps/{sweep}")

    def progress(self, sweep: str) -> dict[str, Any]:
        """Live progress: ``status`` (counts), ``running`` (each trial's worker, epoch, metrics), the best so far."""
        return self._api.get(f"sweeps/{sweep}/progress")

    def wait(self, sweep: str, *, progress: bool = False, timeout: float | None = None, poll: float = POLL_SECONDS) -> dict[str, Any]:
        """
        Blocks until every trial of the sweep is finished (completed, failed or cancelled) and returns its counts.
        ``progress``: a bar (tqdm when installed) or a line whenever the counts change. ``timeout`` seconds: then
        :class:`TimeoutError`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar, last = None, None
        try:
            while True:
                state = self.progress(sweep)
                s = state["status"]
                done = s["completed"] + s["failed"] + s["cancelled"]
                if progress:
                    bar, last = _show_progress(sweep, state, done, bar, last)
                if done >= s["total"]:
                    return s
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"sweep {sweep}: {done}/{s['total']} trials finished after {timeout} s")
                time.sleep(poll)
        finally:
            if bar is not None:
                bar.close()

    def cancel(self, sweep: str) -> dict[str, Any]:
        """Cancels the sweep's unfinished trials (finished results stay). Needs an operator."""
        return self._api.post(f"sweeps/{sweep}/cancel")

    def resume(self, sweep: str) -> dict[str, Any]:
        """Wakes a sweep so that its unfinished trials are scheduled again. Needs an operator."""
        return self._api.post(f"sweeps/{sweep}/resume")

    # -- results ----------------------------------------------------------------------------------------------

    def results(
        self,
        sweep: str,
        *,
        rows: Iterable[str] | None = None,
        cols: Iterable[str] | None = None,
        metric: str | None = None,
        over: str | None = None,
        where: dict[str, Any] | None = None,
    ) -> Any:
        """
        The comparison table of ``runner results`` (the same options), one row per cell: the row and column
        parameters, the parameters chosen for the cell by the sweep's objective on validation, and ``mean``,
        ``std``, ``n`` (seeds finished), ``trials``, ``best``, ``missing``.
        """
        table = self._api.get(
            f"sweeps/{sweep}/table",
            rows=",".join(rows) if rows else None,
            cols=",".join(cols) if cols else None,
            metric=metric,
            over=over,
            where=[f"{k}={v}" for k, v in (where or {}).items()] or None,
        )
        cells, columns = frames.table_rows(table)
        return frames.frame(cells, columns)

    def trials(self, sweep: str, *, status: str | None = None) -> Any:
        """One row per trial in the public schema (docs/results-schema.md), without the per-epoch rows."""
        rows: list[dict[str, Any]] = []
        while True:
            page = self._api.get(f"sweeps/{sweep}/trials", offset=len(rows), limit=PAGE, status=status)
            rows.extend(page["rows"])
            if len(rows) >= page["total"] or not page["rows"]:
                break
        for row in rows:
            row.pop("epoch_metrics", None)
        return frames.frame(rows)

    def trial(self, sweep: str, trial: str) -> dict[str, Any]:
        """One trial in the public schema, its ``epoch_metrics`` included."""
        return self._api.get(f"sweeps/{sweep}/trials/{trial}")

    def trial_log(self, sweep: str, trial: str) -> Any:
        """The trial's epochs: epoch, train and validation loss and accuracy, seconds, images per second, …"""
        return frames.frame(self.trial(sweep, trial).get("epoch_metrics") or [])

    def models(self, sweep: str) -> list[str]:
        """The trials whose models the sweep kept (``sweep.keep``)."""
        return self._api.get(f"sweeps/{sweep}/models")["kept"]

    def export(self, sweep: str, trial: str, path: str | os.PathLike[str]) -> Path:
        """
        Writes a kept model's weights to ``path`` (``.safetensors``: its state_dict, torchvision's names, the new head
        included; load it with ``safetensors.torch.load_file``). :class:`~runner_client.errors.NotFound` says why a
        trial has none.
        """
        target = Path(path)
        if target.suffix != ".safetensors":
            raise RunnerError(f"{target}: the API hands out .safetensors files; for a .pt use `runner export` on the coordinator's state")
        response = self._api.open("GET", f"sweeps/{sweep}/trials/{trial}/model")
        with response:
            if response.status != 200:
                raise error_of(response.status, json.loads(response.read() or b"{}"))
            temp = target.with_name(target.name + ".part")
            with open(temp, "wb") as out:
                while piece := response.read(uploads.PIECE):
                    out.write(piece)
        temp.replace(target)
        return target


def _progress_reporter(progress: uploads.ProgressCallback | bool | None) -> uploads.ProgressCallback | None:
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    bars: dict[str, Any] = {}
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None

    def report(what: str, sent: int, total: int) -> None:
        if tqdm is not None:
            bar = bars.get(what) or bars.setdefault(what, tqdm(total=total, desc=f"uploading {what}", unit="B", unit_scale=True))
            bar.update(sent - bar.n)
            if sent >= total:
                bar.close()
        elif sent >= total:
            print(f"{what}: {total / 1048576:.1f} MiB at the coordinator", file=sys.stderr)

    return report


def _show_progress(sweep: str, state: dict[str, Any], done: int, bar: Any, last: Any) -> tuple[Any, Any]:
    s = state["status"]
    best = state.get("best_value")
    line = (f"{sweep}: {done}/{s['total']} done · running {s['running']}, failed {s['failed']}"
            + (f" · best {state.get('best_metric') or ''} {best:.4g}" if best is not None else ""))
    try:
        from tqdm import tqdm
    except ImportError:
        if line != last:
            print(line, file=sys.stderr)
        return None, line
    bar = bar or tqdm(total=s["total"], desc=sweep, unit="trial")
    bar.update(done - bar.n)
    bar.set_postfix_str(line.split(" · ", 1)[-1])
    return bar, line
