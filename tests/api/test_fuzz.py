"""The OpenAPI schema, fuzzed: schemathesis generates requests for every operation (valid and
invalid bodies, paths and queries) as a signed-in visitor; no request may end in a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.django_fixtures import Visitor

EXAMPLES_PER_OPERATION = 25


@pytest.mark.django_db(transaction=True)
def test_no_generated_request_is_a_server_error():
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    from playground.datasets.models import Dataset
    from playground.jobs import services

    visitor = Visitor("fuzzing-visitor")
    token = _get_new_csrf_string()
    # Real things of this visitor's, so generated requests reach past "no such job" half the time.
    spiral = Dataset.objects.get(slug="spiral")
    job = services.job_submit(viewer=visitor.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    real = {"job_id": job.pk, "dataset_id": spiral.pk, "slug": "mlp"}
    counter = iter(range(10**9))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case):
            if next(counter) % 2:
                for name, value in real.items():
                    if name in (case.path_parameters or {}):
                        case.path_parameters[name] = value
                if isinstance(case.body, dict) and "architecture" in case.body:
                    case.body.update(architecture="mlp", dataset="spiral")  # the config stays generated
            case.call_and_validate(
                cookies={"sessionid": visitor.session_key, "csrftoken": token},
                headers={"X-CSRFToken": token},
                checks=[not_a_server_error],
            )

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


@pytest.mark.django_db
def test_ids_beyond_the_database_range_are_refused_not_crashed():
    """Found by the fuzzer: a class session id of 2**64 reached SQLite and overflowed (500)."""
    visitor = Visitor("big-ids")
    huge = 2**64
    for path in (
        f"/api/jobs/{huge}",
        f"/api/datasets/{huge}",
        f"/api/classes/{huge}",
        "/api/jobs/1/events?after=" + str(huge),
    ):
        assert visitor.client.get(path).status_code in (404, 422), path
    token = _get_new_csrf_string()
    visitor.client.cookies["csrftoken"] = token
    for body in (
        {"architecture": "mlp", "dataset": "spiral", "class_session": huge},
        {"architecture": "mlp", "dataset": str(huge)},
    ):
        response = visitor.client.post("/api/jobs", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 422, (body, response.content)
