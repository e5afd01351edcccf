"""Rows as pandas DataFrames when pandas is installed, else as the lists of dicts they were made from."""

from __future__ import annotations

from typing import Any

try:  # pandas is optional: the core of the client is the standard library.
    import pandas as _pandas
except ImportError:  # pragma: no cover - exercised where pandas is absent
    _pandas = None


def has_pandas() -> bool:
    return _pandas is not None


def frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> Any:
    """A DataFrame of ``rows`` (columns in this order when given), or the rows themselves without pandas."""
    if _pandas is None:
        return rows
    return _pandas.DataFrame(rows, columns=columns)


def table_rows(table: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """
    A comparison table (``GET /sweeps/ID/table``, the shape of ``runner results --format json``) as one row per
    cell: its row and column parameters, the parameters chosen for it (``chosen``, e.g. ``learning_rate``), then the
    metric's ``mean``, ``std``, ``n`` (seeds finished), ``trials``, ``best`` (the best cell of its column) and
    ``missing`` (why a cell has no value), ``short_classes`` (some class had fewer training images than the cell's
    dataset_size and trained on all it had), ``tuned_by`` (a tuned cell: how its configuration was found, "tpe, 12
    trials"; None otherwise).
    """
    rows: list[dict[str, Any]] = []
    chosen_names: list[str] = []
    for cell in table["cells"]:
        row: dict[str, Any] = {}
        row.update({k: _number(v) for k, v in cell["row"].items()})
        row.update({k: _number(v) for k, v in cell["column"].items()})
        for name, value in _chosen(cell.get("chosen")).items():
            row[name] = value
            if name not in chosen_names:
                chosen_names.append(name)
        row.update(mean=cell["mean"], std=cell["std"], n=cell["seeds"], trials=cell["trials"], best=cell["best"], missing=cell["missing"],
                   short_classes=cell.get("short_classes", False), tuned_by=cell.get("tuned_by"))
        rows.append(row)
    columns = list(table["rows"]) + list(table["columns"]) + chosen_names + ["mean", "std", "n", "trials", "best", "missing", "short_classes", "tuned_by"]
    return rows, columns


def _chosen(text: str | None) -> dict[str, Any]:
    """``"learning_rate=0.001, strategy=fine-tune"`` → ``{"learning_rate": 0.001, "strategy": "fine-tune"}``."""
    if not text:
        return {}
    pairs = (part.split("=", 1) for part in text.split(", ") if "=" in part)
    return {name: _number(value) for name, value in pairs}


def _number(text: Any) -> Any:
    """Parameter values come as text: numbers become numbers, everything else stays as it is."""
    if not isinstance(text, str):
        return text
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
