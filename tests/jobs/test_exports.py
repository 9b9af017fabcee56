"""A finished run's exports through the site: listed with their snippets, made on the first download and
kept, each loaded back and checked against the run's own model; refused with the reason where a run
cannot have one, and only for those who may see the run."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from playground.datasets.models import Dataset
from playground.jobs import runtime, services
from playground.jobs.exports import export_folder
from playground.jobs.models import JobStatus
from playground.jobs.trained import trained_run_load

pytestmark = pytest.mark.django_db(transaction=True)


def _trained(visitor, dataset, **config):
    job = services.job_submit(
        viewer=visitor.viewer, architecture="mlp", dataset=dataset, config={"epochs": 3, **config}
    )
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    return job


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def run(alice, spiral):
    return _trained(alice, spiral)


def test_the_list_names_every_format_with_its_snippet_or_why_not(alice, run):
    rows = {r["key"]: r for r in alice.client.get(f"/api/jobs/{run.pk}/exports").json()}
    assert list(rows) == ["safetensors", "onnx", "pt2", "script", "tensorboard", "csv"]
    assert rows["onnx"]["url"] == f"/jobs/{run.pk}/export/onnx/" and rows["onnx"]["size"] is None
    assert f'ort.InferenceSession("run-{run.pk}.onnx")' in rows["onnx"]["snippet"]
    assert "features = np.zeros((1, 2), dtype=np.float32)" in rows["onnx"]["snippet"]
    assert "2 class scores" in rows["onnx"]["snippet"]
    assert f'torch.export.load("run-{run.pk}.pt2")' in rows["pt2"]["snippet"]
    assert rows["csv"]["url"] == f"/jobs/{run.pk}/metrics.csv"
    assert rows["script"]["url"] == f"/jobs/{run.pk}/export/script/"
    assert f"cd run-{run.pk}-script\npython train.py" in rows["script"]["snippet"]
    page = alice.client.get(f"/jobs/{run.pk}/").content.decode()
    assert 'id="export"' in page and f'href="/jobs/{run.pk}/export/onnx/"' in page


def test_the_onnx_download_gives_the_runs_answers_and_is_kept(alice, run):
    import onnxruntime as ort

    response = alice.client.get(f"/jobs/{run.pk}/export/onnx/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}.onnx"'
    session = ort.InferenceSession(_body(response), providers=["CPUExecutionProvider"])
    loaded = trained_run_load(job=run)
    x = loaded.data.X_test[:50]
    with torch.no_grad():
        expected = loaded.module.model(x).numpy()
    np.testing.assert_allclose(session.run(None, {"features": x.numpy()})[0], expected, atol=1e-4, rtol=1e-4)
    kept = export_folder(run) / f"run-{run.pk}.onnx"
    made = kept.stat().st_mtime_ns
    assert alice.client.get(f"/api/jobs/{run.pk}/exports/onnx").status_code == 200
    assert kept.stat().st_mtime_ns == made, "made once, then served as kept"
    sizes = {r["key"]: r["size"] for r in alice.client.get(f"/api/jobs/{run.pk}/exports").json()}
    assert sizes["onnx"] == kept.stat().st_size


def test_the_weights_and_the_program_load_back_as_the_snippets_say(alice, run, tmp_path):
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(_body(alice.client.get(f"/jobs/{run.pk}/export/safetensors/")))
    with safe_open(str(weights), framework="pt") as f:
        meta = f.metadata()
    assert (meta["architecture"], meta["run"]) == ("mlp", str(run.pk))
    assert json.loads(meta["config"]) == run.config and json.loads(meta["class_names"]) == ["arm A", "arm B"]
    loaded = trained_run_load(job=run)
    fresh = loaded.spec.build(loaded.config, loaded.data)
    fresh.model.load_state_dict(load_file(str(weights)))
    fresh.model.eval()
    x = loaded.data.X_test[:20]
    program = tmp_path / "m.pt2"
    program.write_bytes(_body(alice.client.get(f"/jobs/{run.pk}/export/pt2/")))
    with torch.no_grad():
        assert torch.equal(fresh.model(x), loaded.module.model(x))
        torch.testing.assert_close(torch.export.load(str(program)).module()(x), loaded.module.model(x))


def test_tensorboard_holds_every_measured_point(alice, run, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from playground.jobs.selectors import job_metric_rows

    body = _body(alice.client.get(f"/jobs/{run.pk}/export/tensorboard/"))
    zipfile.ZipFile(io.BytesIO(body)).extractall(tmp_path)
    folder = next(p.parent for p in (tmp_path / f"run-{run.pk}").glob("events.out.tfevents.*"))
    acc = EventAccumulator(str(folder))
    acc.Reload()
    rows = job_metric_rows(job_id=run.pk)
    measured = [r for r in rows if "test_accuracy" in r["values"]]
    written = acc.Scalars("accuracy/test_accuracy")
    assert [e.step for e in written] == [r["step"] for r in measured]
    assert written[-1].value == pytest.approx(measured[-1]["values"]["test_accuracy"])


def test_what_a_run_cannot_have_is_refused_with_the_reason(alice, bob, spiral, run, settings):
    queued = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    refused = alice.client.get(f"/api/jobs/{queued.pk}/exports/onnx")
    assert refused.status_code == 409 and "only a run that finished" in refused.json()["detail"]
    page = alice.client.get(f"/jobs/{queued.pk}/")
    assert 'id="export-slot"' in page.content.decode() and 'id="export"' not in page.content.decode()
    assert alice.client.get(f"/jobs/{queued.pk}/exports/").status_code == 204
    assert alice.client.get(f"/jobs/{run.pk}/export/keras/").status_code == 404
    assert alice.client.get(f"/api/jobs/{run.pk}/exports/keras").status_code == 404
    # someone else's private run is not there; a shared one is
    assert bob.client.get(f"/jobs/{run.pk}/export/onnx/").status_code == 404
    assert bob.client.get(f"/api/jobs/{run.pk}/exports").status_code == 404
    services.job_share(job=run, public=True)
    assert bob.client.get(f"/jobs/{run.pk}/export/onnx/").status_code == 200
    # a file over the limit is refused and not kept
    settings.PLAYGROUND = {**settings.PLAYGROUND, "EXPORT_MAX_BYTES": 100}
    big = alice.client.get(f"/api/jobs/{run.pk}/exports/pt2")
    assert big.status_code == 413 and "over the 100\xa0bytes a download may be" in big.json()["detail"]
    assert not (export_folder(run) / f"run-{run.pk}.pt2").exists()
    assert not list(export_folder(run).glob("*.part-*"))


def test_a_run_trained_again_gets_fresh_files(alice, run):
    first = export_folder(run)
    assert alice.client.get(f"/jobs/{run.pk}/export/safetensors/").status_code == 200
    again = services.job_requeue(job=run)
    assert runtime.job_execute(job_id=run.pk, attempt=again.attempt) == JobStatus.SUCCEEDED
    run.refresh_from_db()
    assert export_folder(run) != first


def test_the_standalone_script_of_a_run_trains_outside_the_site(alice, run, tmp_path):
    import subprocess
    import sys

    body = _body(alice.client.get(f"/jobs/{run.pk}/export/script/"))
    zipfile.ZipFile(io.BytesIO(body)).extractall(tmp_path)
    folder = tmp_path / f"run-{run.pk}-script"
    done = subprocess.run(
        [sys.executable, "-I", "train.py", "--epochs", "1"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = trained_run_load(job=run)
    loaded.module.model.load_state_dict(load_file(str(folder / "weights.safetensors")))


def test_a_format_an_architecture_cannot_give_is_named_with_why(alice, spiral, gated, gates):
    moons = Dataset.objects.get(slug="moons")
    config = {"epochs": 1, "gate": str(gates(state="go"))}
    job = services.job_submit(viewer=alice.viewer, architecture="gated", dataset=moons, config=config)
    status = runtime.job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert status == JobStatus.SUCCEEDED, job.error_message
    rows = {r["key"]: r for r in alice.client.get(f"/api/jobs/{job.pk}/exports").json()}
    assert rows["script"]["url"] is None and "trains only inside the Playground" in rows["script"]["why"]
    assert rows["onnx"]["url"] is not None
    assert (
        "Not for this run: the gated network trains only inside"
        in alice.client.get(f"/jobs/{job.pk}/").content.decode()
    )
    back = alice.client.get(f"/jobs/{job.pk}/export/script/", follow=True)
    assert back.redirect_chain[-1][0] == f"/jobs/{job.pk}/#export"
    assert "Standalone training script cannot be had for this run" in back.content.decode()
    assert alice.client.get(f"/api/jobs/{job.pk}/exports/script").status_code == 409
