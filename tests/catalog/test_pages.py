from __future__ import annotations

import pytest

from playground.catalog.entries import catalog_entries
from playground.jobs import runtime, services
from playground.jobs import selectors as job_selectors
from playground.jobs.models import JobStatus, TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def _nav(html: str) -> str:
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


def test_home_offers_a_way_in_for_visitors_students_and_teachers(alice):
    html = alice.client.get("/").content.decode()
    assert "/catalog/mlp/" in html and "/catalog/" in html
    # Class sessions are built: the teacher's card says what a teacher can do and links there.
    assert "Coming soon" not in html and "not built yet" not in html
    assert 'href="/classes/"' in html  # a student joins there
    assert 'href="/accounts/login/?next=/classes/new/"' in html and 'href="/accounts/signup/"' in html
    assert "/admin/" not in html and "/api/docs" not in html  # a visitor sees neither


def test_visitors_and_students_see_no_admin_or_api_link_teachers_see_the_api_staff_both(alice, admin_client):
    from playground.classes.services import teacher_add

    visitor_nav = _nav(alice.client.get("/catalog/").content.decode())
    assert "/admin/" not in visitor_nav and "/api/docs" not in visitor_nav
    assert 'href="/classes/"' in visitor_nav and 'href="/jobs/"' in visitor_nav

    teacher, _ = teacher_add(username="ms-frizzle", password=None)
    alice.client.force_login(teacher)
    teacher_home = alice.client.get("/").content.decode()
    assert "/api/docs" in _nav(teacher_home) and "/admin/" not in _nav(teacher_home)
    assert 'href="/classes/new/"' in teacher_home  # an approved teacher sets a session up from the home page

    staff_home = admin_client.get("/").content.decode()
    assert "/api/docs" in _nav(staff_home) and 'href="/admin/"' in _nav(staff_home)
    assert "Open the admin" in staff_home


def test_catalog_lists_every_entry_and_marks_the_trainable(alice):
    html = alice.client.get("/catalog/").content.decode()
    for entry in catalog_entries():
        assert f"/catalog/{entry.slug}/" in html, entry.slug
    assert "Trainable" in html


def test_every_catalog_entry_has_a_page(alice):
    for entry in catalog_entries():
        response = alice.client.get(f"/catalog/{entry.slug}/")
        assert response.status_code == 200, entry.slug
        html = response.content.decode()
        if entry.trainable:
            assert 'name="dataset"' in html
        else:
            assert 'type="submit"' not in html  # a coming entry never shows a broken Train button
    assert alice.client.get("/catalog/no-such-thing/").status_code == 404


def test_mlp_form_is_generated_from_the_schema(alice):
    html = alice.client.get("/catalog/mlp/").content.decode()
    for knob in (
        "hidden_layers",
        "activation",
        "optimizer",
        "learning_rate",
        "batch_size",
        "epochs",
        "l1",
        "l2",
        "dropout",
        "seed",
    ):
        assert f'name="{knob}"' in html, knob
    assert 'name="data__noise"' in html and 'name="data__test_ratio"' in html
    assert 'value="spiral" selected' in html or 'value="spiral"\n' in html or "selected" in html


def test_posting_the_form_starts_a_job_and_shows_its_page(alice):
    response = alice.client.post(
        "/catalog/mlp/",
        {
            "dataset": "xor",
            "hidden_layers": "8",
            "activation": "tanh",
            "optimizer": "adam",
            "learning_rate": "0.05",
            "batch_size": "32",
            "epochs": "3",
            "l1": "0",
            "l2": "0",
            "dropout": "0",
            "seed": "1",
            "data__noise": "0.1",
            "data__test_ratio": "0.3",
            "data__n_samples": "200",
            "data__seed": "0",
        },
    )
    assert response.status_code == 302
    job = TrainingJob.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.config["hidden_layers"] == [8] and job.config["epochs"] == 3
    assert job.dataset.slug == "xor" and job.dataset_options["n_samples"] == 200
    page = alice.client.get(response["Location"]).content.decode()
    assert "job-data" in page and f"/ws/jobs/{job.pk}/" in page


def test_zero_hidden_layers_is_allowed_from_the_form(alice):
    response = alice.client.post("/catalog/mlp/", {"dataset": "xor", "hidden_layers": "", "epochs": "2"})
    assert response.status_code == 302
    assert TrainingJob.objects.get().config["hidden_layers"] == []


def test_a_bad_form_value_is_shown_next_to_its_field_and_keeps_the_rest(alice):
    response = alice.client.post(
        "/catalog/mlp/", {"dataset": "spiral", "learning_rate": "lots", "epochs": "5000", "hidden_layers": "16,16"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "1 setting needs fixing" in html
    assert 'aria-invalid="true"' in html
    assert 'value="16,16"' in html  # what the visitor typed is kept
    assert TrainingJob.objects.count() == 0


def test_finished_job_page_needs_no_worker(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    runtime.job_execute(job_id=job.pk)
    html = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert "stored-views" in html and "decision_boundary" in html
    assert "SUCCEEDED" in html or "Succeeded" in html


def test_my_runs_lists_only_mine(alice, bob, spiral):
    mine = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    theirs = services.job_submit(viewer=bob.viewer, architecture="mlp", dataset=spiral, config={})
    html = alice.client.get("/jobs/").content.decode()
    assert f"/jobs/{mine.pk}/" in html and f"/jobs/{theirs.pk}/" not in html


def test_cancel_from_the_page(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    response = alice.client.post(f"/jobs/{job.pk}/cancel/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_admin_lists_jobs_and_cancels_them(admin_client, alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    listing = admin_client.get("/admin/jobs/trainingjob/?status__exact=QUEUED")
    assert listing.status_code == 200 and f"{job.pk}" in listing.content.decode()
    detail = admin_client.get(f"/admin/jobs/trainingjob/{job.pk}/change/")
    assert detail.status_code == 200 and "learning_rate" in detail.content.decode()
    response = admin_client.post(
        "/admin/jobs/trainingjob/", {"action": "cancel_jobs", "_selected_action": [job.pk]}, follow=True
    )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert admin_client.get("/admin/jobs/trainingjob/?q=mlp").status_code == 200


def test_train_again_starts_from_that_runs_settings(alice, bob, spiral):
    job = services.job_submit(
        viewer=alice.viewer,
        architecture="mlp",
        dataset=spiral,
        config={"hidden_layers": [5, 7], "learning_rate": 0.123},
        dataset_options={"noise": 0.33},
    )
    link = job_selectors.job_setup_url(job=job)
    html = alice.client.get(link).content.decode()
    assert 'value="5,7"' in html and 'value="0.123"' in html and 'value="0.33"' in html
    assert 'id="link-problems"' not in html
    # The settings travel in the link, not the run: whoever is given it gets the same form.
    assert 'value="5,7"' in bob.client.get(link).content.decode()


def test_the_final_status_event_carries_the_final_metrics(alice, spiral):
    from playground.jobs.models import JobEvent

    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    runtime.job_execute(job_id=job.pk)
    last = JobEvent.objects.filter(job=job).order_by("-seq").first()
    assert last.payload["status"] == "SUCCEEDED" and "test_accuracy" in last.payload["metrics"]


def test_every_entry_page_has_its_diagram_and_its_knobs(alice):
    import json
    import re

    for entry in catalog_entries():
        html = alice.client.get(f"/catalog/{entry.slug}/").content.decode()
        found = re.search(r'<script id="diagram-data" type="application/json">(.*?)</script>', html, re.S)
        assert found, entry.slug
        drawing = json.loads(found.group(1))
        assert drawing["nodes"] and drawing["edges"], entry.slug
        # Knobs: the train form's for trainable entries, the sketch's for the others.
        assert "<input" in html or "<select" in html, entry.slug


def test_the_mlp_diagram_follows_the_form_it_starts_from(alice, spiral):
    job = services.job_submit(
        viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"hidden_layers": [4, 8, 4]}
    )
    html = alice.client.get(job_selectors.job_setup_url(job=job)).content.decode()
    assert "Linear 4→8" in html or "4→8" in html
