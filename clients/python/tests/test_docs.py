"""docs/python.md's code blocks, run in order against a real cluster, so that the page cannot drift from the client."""

from __future__ import annotations

import re

import pytest

from cluster import REPO

pytest.importorskip("pandas", reason="python3-pandas is not installed (apt-get install python3-pandas)")


def test_the_python_page_runs(plain, tmp_path, monkeypatch):
    page = (REPO / "docs" / "python.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", page, flags=re.S | re.M)
    assert len(blocks) >= 3
    monkeypatch.setenv("RUNNER_COORDINATOR", plain.address)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/python.md (python block {number})", "exec"), scope)
    assert (tmp_path / "best-model.safetensors").stat().st_size > 0
    assert len(scope["table"]) == 2 and scope["table"]["n"].tolist() == [2, 2]
