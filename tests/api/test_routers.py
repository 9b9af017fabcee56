"""The API is one router per app (``playground/<app>/api.py``), mounted by ``playground.api.api``.
The published contract is the same as when it was one module: every path, method, operation id
and status code."""

from __future__ import annotations

import pytest

# (method, path, operation id without its "playground_api_api_" prefix, status codes, the app whose router has it)
OPERATIONS = [
    ("GET", "/api/architectures", "architectures", (200,), "catalog"),
    ("GET", "/api/architectures/{slug}/diagram", "architecture_diagram", (200, 404, 422), "catalog"),
    ("POST", "/api/architectures/{slug}/diagram", "architecture_diagram_post", (200, 404, 422), "catalog"),
    ("GET", "/api/architectures/{slug}/estimate", "architecture_estimate", (200, 404, 422), "catalog"),
    ("POST", "/api/backprop/start", "backprop_start", (200, 422), "catalog"),
    ("POST", "/api/backprop/step", "backprop_step", (200, 422), "catalog"),
    ("POST", "/api/backprop/surface", "backprop_surface", (200, 422), "catalog"),
    ("POST", "/api/classes", "class_create", (201, 403, 422), "classes"),
    ("POST", "/api/classes/join", "class_join", (200, 403, 404, 409, 422, 429), "classes"),
    ("GET", "/api/classes/{class_id}", "class_detail", (200, 404), "classes"),
    ("POST", "/api/classes/{class_id}/budget", "class_budget", (200, 403, 404, 422), "classes"),
    ("GET", "/api/classes/{class_id}/dashboard", "class_dashboard", (200, 403, 404), "classes"),
    ("POST", "/api/classes/{class_id}/duplicate", "class_duplicate", (201, 403, 404, 409, 422), "classes"),
    ("POST", "/api/classes/{class_id}/end", "class_end", (200, 403, 404, 409), "classes"),
    ("POST", "/api/classes/{class_id}/joining", "class_joining", (200, 403, 404, 409), "classes"),
    ("GET", "/api/classes/{class_id}/leaderboard", "class_leaderboard", (200, 404), "classes"),
    ("GET", "/api/classes/{class_id}/results.csv", "class_results", (200, 403, 404), "classes"),
    ("POST", "/api/classes/{class_id}/spotlight", "class_spotlight", (200, 403, 404), "classes"),
    ("POST", "/api/classes/{class_id}/stop_all", "class_stop_all", (200, 403, 404), "classes"),
    ("GET", "/api/datasets", "datasets", (200,), "datasets"),
    ("POST", "/api/datasets", "dataset_create", (201, 403, 413, 422), "datasets"),
    ("DELETE", "/api/datasets/{dataset_id}", "dataset_delete", (204, 403, 404), "datasets"),
    ("GET", "/api/datasets/{dataset_id}", "dataset_detail", (200, 404), "datasets"),
    ("POST", "/api/datasets/{dataset_id}/options", "dataset_options", (200, 404, 409, 422), "datasets"),
    ("GET", "/api/jobs", "job_list", (200,), "jobs"),
    ("POST", "/api/jobs", "job_create", (201, 403, 404, 409, 422, 429), "jobs"),
    ("GET", "/api/jobs/compare", "job_compare", (200, 404, 422), "jobs"),
    ("GET", "/api/jobs/compare/views", "job_compare_views", (200, 404, 422), "jobs"),
    ("POST", "/api/jobs/sweep", "job_sweep", (201, 403, 422, 429), "jobs"),
    ("GET", "/api/jobs/{job_id}", "job_detail", (200, 404), "jobs"),
    ("POST", "/api/jobs/{job_id}/cancel", "job_cancel", (200, 404), "jobs"),
    ("GET", "/api/jobs/{job_id}/exports", "job_exports", (200, 404), "jobs"),
    ("GET", "/api/jobs/{job_id}/exports/{key}", "job_export_file", (200, 404, 409, 413, 503), "jobs"),
    ("GET", "/api/jobs/{job_id}/events", "job_events", (200, 404), "jobs"),
    ("POST", "/api/jobs/{job_id}/resume", "job_resume", (200, 404, 409, 429), "jobs"),
    ("POST", "/api/jobs/{job_id}/share", "job_share", (200, 404), "jobs"),
    ("GET", "/api/jobs/{job_id}/try", "job_try_describe", (200, 404, 409), "jobs"),
    ("POST", "/api/jobs/{job_id}/try", "job_try", (200, 404, 409, 413, 422), "jobs"),
    ("GET", "/api/session", "session", (200,), "api"),
]


def test_every_operation_keeps_its_path_id_and_answers(alice):
    schema = alice.client.get("/api/openapi.json").json()
    published = sorted(
        (method.upper(), path, op["operationId"], tuple(sorted(int(code) for code in op["responses"])))
        for path, item in schema["paths"].items()
        for method, op in item.items()
    )
    assert published == sorted((m, p, f"playground_api_api_{name}", codes) for m, p, name, codes, _ in OPERATIONS)


@pytest.mark.parametrize("app", ["catalog", "datasets", "jobs", "classes"])
def test_each_app_declares_its_own_operations_on_its_own_router(app):
    import importlib

    router = importlib.import_module(f"playground.{app}.api").router
    declared = {
        (method, f"/api{path}", operation.view_func.__name__)
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    assert declared == {(m, p, name) for m, p, name, _, owner in OPERATIONS if owner == app}
