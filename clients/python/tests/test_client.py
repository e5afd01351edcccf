"""The client against real coordinator and worker processes (see cluster.py)."""

from __future__ import annotations

import json
import shutil
import struct

import pytest

from cluster import image_folder, tiny_sweep
from runner_client import (
    AuthenticationError,
    Client,
    CoordinatorUnreachable,
    NotFound,
    PermissionDenied,
    SweepValidationError,
    SweepWarning,
    TlsError,
    TooLarge,
)
from runner_client.errors import RunnerError

pd = pytest.importorskip("pandas", reason="python3-pandas is not installed (apt-get install python3-pandas)")


def test_a_sweep_from_a_dict_runs_and_its_table_equals_runner_results(plain, monkeypatch):
    client = Client(plain.address)
    submitted = client.submit(tiny_sweep("from-dict"))
    assert (submitted.trials, submitted.already_known) == (4, False)
    final = client.wait(submitted.sweep_id, timeout=300)
    assert final["completed"] == 4, plain.log("worker")[-3000:]

    table = client.results(submitted.sweep_id)
    expected = json.loads(plain.cli("results", submitted.sweep_id, "--format", "json", "--state", str(plain.state)))
    assert len(table) == len(expected["cells"]) == 1
    for (_, row), cell in zip(table.iterrows(), expected["cells"]):
        assert row["mean"] == cell["mean"] and row["std"] == cell["std"]
        assert (row["n"], row["trials"], bool(row["best"])) == (cell["seeds"], cell["trials"], cell["best"])
        assert row["initialization"] == cell["row"]["initialization"] and row["dataset_size"] == int(cell["column"]["dataset_size"])
        # The learning rate the objective chose for the cell, as a column of its own.
        assert cell["chosen"] == f"learning_rate={row['learning_rate']}"

    by_rate = client.results(submitted.sweep_id, cols=["learning_rate"], metric="best_val_accuracy")
    assert sorted(by_rate["learning_rate"]) == [0.001, 0.003]

    trials = client.trials(submitted.sweep_id)
    assert len(trials) == 4 and set(trials["status"]) == {"completed"}
    assert list(trials.columns[:3]) == ["sweep_id", "trial_id", "status"]   # the public schema's order
    assert trials["test_accuracy"].between(0, 1).all()
    log = client.trial_log(submitted.sweep_id, trials["trial_id"][0])
    assert list(log["epoch"]) == [1] and {"train_loss", "val_accuracy", "images_per_second"} <= set(log.columns)

    again = client.submit(tiny_sweep("from-dict"))
    assert (again.sweep_id, again.already_known) == (submitted.sweep_id, True)
    assert client.sweeps()["sweep_id"].tolist().count(submitted.sweep_id) == 1

    # Without pandas, the same calls give the rows as lists of dicts.
    monkeypatch.setattr("runner_client.frames._pandas", None)
    plain_rows = client.results(submitted.sweep_id)
    assert plain_rows == table.to_dict("records")
    assert [t["trial_id"] for t in client.trials(submitted.sweep_id)] == trials["trial_id"].tolist()


def test_a_yaml_file_with_an_image_folder_only_the_client_has(plain, tmp_path):
    images = image_folder(tmp_path / "shapes")
    sweep = tmp_path / "shapes.yaml"
    sweep.write_text("""\
name: shapes
base: { model: convnet4 }
target:
  dataset: { type: image-folder, path: shapes }   # relative to this file
  validation_per_class: 5
train: { epochs: 2, batch_size: 8, optimizer: adam, learning_rate: 3e-3 }
sweep:
  parameters: { initialization: [scratch], dataset_size: [15] }
  seeds: [1]
  keep: all
""")
    sent: list[tuple[str, int, int]] = []
    client = Client(plain.address)
    submitted = client.submit(sweep, progress=lambda what, done, total: sent.append((what, done, total)))
    assert submitted.trials == 1
    assert sent and sent[-1][0] == "image folder shapes" and sent[-1][1] == sent[-1][2]
    # From now on the folder exists nowhere but in the coordinator's store.
    shutil.move(images, tmp_path / "moved")
    assert client.wait(submitted.sweep_id, timeout=300)["completed"] == 1, plain.log("worker")[-3000:]
    trial = client.trials(submitted.sweep_id).iloc[0]
    assert trial["test_accuracy"] > 0.6, "two classes a glance tells apart, trained above chance"
    assert not trial["data_path"].startswith(str(tmp_path))

    # The same file through `runner submit` is the same sweep: trial ids do not depend on the door.
    shutil.move(tmp_path / "moved", images)
    out = plain.cli("submit", str(sweep), "--coordinator", plain.address)
    assert f"sweep {submitted.sweep_id} was already submitted" in out

    # The trial's model (keep: all) as a safetensors file: 8 bytes of header length, then the header's JSON.
    path = client.export(submitted.sweep_id, trial["trial_id"], tmp_path / "model.safetensors")
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
    assert "head.weight" in header


def test_a_csv_list_of_uneven_classes_only_the_client_has(plain, tmp_path):
    images = image_folder(tmp_path / "photos", per_class=30)
    # A list in the folder above the images: 30 "left" and 12 "right" images, relative paths, labels renamed.
    rows = ["path,label"] + [f"photos/left/{i:03}.png,bright-left" for i in range(30)] + [f"photos/right/{i:03}.png,bright-right" for i in range(12)]
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    sweep = tmp_path / "listed.yaml"
    sweep.write_text("""\
name: listed
base: { model: convnet4 }
target:
  dataset: { type: image-list, path: labels.csv }
  validation_per_class: 3
train: { epochs: 2, batch_size: 8, optimizer: adam, learning_rate: 3e-3 }
sweep:
  parameters: { initialization: [scratch], dataset_size: [15] }
  seeds: [1]
""")
    client = Client(plain.address)
    with pytest.warns(SweepWarning, match=r"dataset_size 15: 1 of 2 classes have fewer training images: 'bright-right' \(7\)"):
        submitted = client.submit(sweep)
    assert len(submitted.warnings) == 1
    # The list and its images exist nowhere but in the coordinator's store once sent.
    shutil.move(images, tmp_path / "moved")
    assert client.wait(submitted.sweep_id, timeout=300)["completed"] == 1, plain.log("worker")[-3000:]
    trial = client.trials(submitted.sweep_id).iloc[0]
    # 24 "left" images train on 3 validation + 15; "right" keeps 12 - 2 (a fifth is test) - 3 = 7.
    assert list(trial["train_images_per_class"]) == [15, 7]
    assert trial["data_path"].endswith("labels.csv") and not trial["data_path"].startswith(str(tmp_path))
    cell = client.results(submitted.sweep_id).iloc[0]
    assert bool(cell["short_classes"])

    shutil.move(tmp_path / "moved", images)
    out = plain.cli("submit", str(sweep), "--coordinator", plain.address)
    assert f"sweep {submitted.sweep_id} was already submitted" in out


def test_an_interrupted_upload_resumes_where_the_coordinator_stopped(plain, tmp_path):
    from runner_client import uploads
    from runner_client._connection import Connection

    images = image_folder(tmp_path / "resumed", per_class=20)
    archive = uploads.folder_archive(images, [".png"])
    sha, size = uploads.sha256_of(archive), archive.stat().st_size
    half = size // 2
    # A client that died half-way: the coordinator keeps what arrived.
    api = Connection(plain.address)
    with archive.open("rb") as f, api.open("PUT", f"artifacts/{sha}", data=f.read(half),
                                            headers={"Upload-Offset": "0", "Upload-Length": str(size)}) as partial:
        assert partial.status == 202
    sent: list[int] = []
    submitted = Client(plain.address).submit({
        "name": "resumed",
        "base": {"model": "convnet4"},
        "target": {"dataset": {"type": "image-folder", "path": "resumed"}, "validation_per_class": 2},
        "train": {"epochs": 1},
        "sweep": {"parameters": {"initialization": ["scratch"], "dataset_size": [4]}, "seeds": [1]},
    }, base_dir=tmp_path, progress=lambda what, done, total: sent.append(done))
    assert submitted.trials == 1
    assert sent[0] > half and sent[-1] == size, "the second attempt sent only the rest"


def test_mistakes_come_back_as_one_exception_each(plain, tmp_path):
    client = Client(plain.address)
    bad = tiny_sweep("bad")
    bad["train"]["epochs"] = 0
    bad["sweep"]["parameters"]["freeze_depht"] = [0]
    with pytest.raises(SweepValidationError) as e:
        client.submit(bad)
    messages = [p.message for p in e.value.problems]
    assert any("epochs" in m for m in messages) and any("freeze_depht" in m and "freeze_depth" in m for m in messages)
    assert all(p.line > 0 and p.column > 0 for p in e.value.problems)

    # A bad search space gets the same validator's positions: an empty budget, a log range touching 0, and a
    # tuning cell that is not an axis.
    space = tiny_sweep("bad-search")
    space["sweep"].update({"method": "tpe", "trials": 0, "parameters": {"initialization": ["scratch"], "dataset_size": [10]},
                           "tune": {"per": ["initialization", "freeze_depth"], "budget": 4, "seeds_after": [1, 2],
                                    "params": {"learning_rate": {"distribution": "log_uniform", "min": 0, "max": 0.1}}}})
    with pytest.raises(SweepValidationError) as e:
        client.submit(space)
    messages = [p.message for p in e.value.problems]
    assert any("sweep.trials must be >= 1" in m for m in messages), messages
    assert any("log_uniform needs min > 0" in m for m in messages), messages
    assert any("tune.per names 'freeze_depth', which is not an axis of sweep.parameters" in m for m in messages), messages
    assert all(p.line > 0 and p.column > 0 for p in e.value.problems)

    with pytest.raises(RunnerError, match="no such folder"):
        client.submit({**tiny_sweep("missing"), "target": {"dataset": {"type": "image-folder", "path": "nowhere"}}}, base_dir=tmp_path)
    with pytest.raises(TooLarge, match="more than this coordinator takes"):
        client.submit(tiny_sweep("large", dataset_sizes=[5, 10, 15], seeds=list(range(1, 8))))
    with pytest.raises(NotFound, match="no sweep"):
        client.status("no-such-sweep")
    with pytest.raises(CoordinatorUnreachable, match="cannot reach the coordinator API") as unreachable:
        Client(f"127.0.0.1:{_closed_port()}").sweeps()
    assert "\n" not in str(unreachable.value)


def test_tls_with_viewer_and_operator_tokens(tls, tmp_path):
    operator, viewer = tls.token("operator"), tls.token("viewer")
    client = Client(tls.address, ca=tls.ca, token=operator)
    assert client.url.startswith("https://")
    images = image_folder(tmp_path / "shapes", per_class=12)
    submitted = client.submit({
        "name": "tls-folder",
        "base": {"model": "convnet4"},
        "target": {"dataset": {"type": "image-folder", "path": str(images.name)}, "validation_per_class": 2},
        "train": {"epochs": 1, "batch_size": 8},
        "sweep": {"parameters": {"initialization": ["scratch"], "learning_rate": [1e-3, 3e-3], "dataset_size": [6]}, "seeds": [1]},
    }, base_dir=tmp_path)
    watcher = Client(tls.address, ca=tls.ca, token=viewer)
    assert watcher.wait(submitted.sweep_id, timeout=300)["completed"] == 2, tls.log("worker")[-3000:]
    assert len(watcher.results(submitted.sweep_id)) == 1
    assert len(watcher.trials(submitted.sweep_id)) == 2

    with pytest.raises(PermissionDenied) as denied:
        watcher.cancel(submitted.sweep_id)
    assert denied.value.role_needed == "operator"
    with pytest.raises(PermissionDenied):
        watcher.submit(tiny_sweep("viewer-submits"))
    assert client.cancel(submitted.sweep_id)["completed"] == 2   # finished trials stay finished
    with pytest.raises(AuthenticationError, match="needs credentials"):
        Client(tls.address, ca=tls.ca).sweeps()
    with pytest.raises(AuthenticationError, match="unknown or revoked"):
        Client(tls.address, ca=tls.ca, token="runner_00000000_forged").sweeps()
    # Plain HTTP to a TLS coordinator, and a CA that did not sign its certificate: one line each.
    with pytest.raises(CoordinatorUnreachable, match="needs ca="):
        Client(tls.address, token=viewer).sweeps()
    other = tmp_path / "other-ca"
    tls.cli("certs", "init", str(other))
    with pytest.raises(TlsError, match="TLS handshake"):
        Client(tls.address, ca=str(other / "ca.crt"), token=viewer).sweeps()
    with pytest.raises(RunnerError, match="reads PEM"):
        Client(tls.address, ca=tls.ca, cert=str(tls.certs / "worker.pfx"))


def _closed_port() -> int:
    from cluster import free_port

    return free_port()
