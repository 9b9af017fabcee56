"""The train form's "Sweep a knob" fold: it queues one run per value with the form's other settings and
opens the sweep's comparison; what cannot be swept is named on the form, which keeps what was typed."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from playground.jobs.models import TrainingJob
from tests.catalog.test_setup_links import _field_value, _form_values

pytestmark = pytest.mark.django_db(transaction=True)


def _post_sweep(visitor, slug="mlp", **fields):
    form = visitor.client.get(f"/catalog/{slug}/").content.decode()
    values = {**_form_values(form), "epochs": "2", **fields, "action": "sweep"}
    return visitor.client.post(f"/catalog/{slug}/", values)


def test_a_learning_rate_sweep_from_the_form_queues_three_runs_and_opens_their_comparison(alice):
    response = _post_sweep(alice, sweep__knob="learning_rate", sweep__values="0.01, 0.05 0.2")
    assert response.status_code == 302
    sweep = re.fullmatch(r"/jobs/compare/\?sweep=([0-9a-f-]{36})", response["Location"])[1]
    jobs = list(TrainingJob.objects.order_by("pk"))
    assert [j.config["learning_rate"] for j in jobs] == [0.01, 0.05, 0.2]
    assert {str(j.sweep) for j in jobs} == {sweep} and {j.config["epochs"] for j in jobs} == {2}
    page = alice.client.get(response["Location"]).content.decode()
    assert all(f"#{j.pk}" in page for j in jobs)
    # the sweep is marked in My runs, with a link to its comparison
    runs = alice.client.get("/jobs/").content.decode()
    assert runs.count(f"/jobs/compare/?sweep={sweep}") >= 1


def test_a_list_knob_takes_values_between_semicolons_and_a_second_knob_makes_a_grid(alice):
    response = _post_sweep(
        alice, sweep__knob="hidden_layers", sweep__values="8; 16,16", sweep__knob2="epochs", sweep__values2="1, 2, 3"
    )
    assert response.status_code == 302
    made = [(j.config["hidden_layers"], j.config["epochs"]) for j in TrainingJob.objects.order_by("pk")]
    assert made == [([8], 1), ([8], 2), ([8], 3), ([16, 16], 1), ([16, 16], 2), ([16, 16], 3)]


def test_a_value_that_does_not_work_is_named_on_its_knob_and_the_fold_keeps_what_was_typed(alice):
    response = _post_sweep(alice, sweep__knob="learning_rate", sweep__values="0.1, fast, 50")
    assert response.status_code == 422
    page = response.content.decode()
    assert '<details class="more-settings sweep-settings" id="sweep" open>' in page
    assert _field_value(page, "id_sweep-values") == "0.1, fast, 50"
    assert _field_value(page, "id_sweep-knob") == "learning_rate"
    error = html_lib.unescape(re.search(r'<p class="field-error" id="id_learning_rate-error">(.*?)</p>', page, re.S)[1])
    assert "with learning_rate = fast" in error and "with learning_rate = 50" in error
    assert not TrainingJob.objects.exists()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"sweep__knob": "", "sweep__values": "0.1, 0.2"}, "Pick a knob to sweep"),
        ({"sweep__knob": "learning_rate", "sweep__values": ""}, "Give Learning rate (learning_rate) the values to try"),
        ({"sweep__knob": "learning_rate", "sweep__values": "0.1 0.2 0.1"}, "more than once"),
        ({"sweep__knob": "epochs", "sweep__values": "1 2 3 4 5 6 7 8 9"}, "at most 8"),
    ],
)
def test_a_sweep_that_cannot_be_queued_is_named_in_the_fold_and_the_error_list(alice, fields, words):
    response = _post_sweep(alice, **fields)
    assert response.status_code == 422
    page = html_lib.unescape(response.content.decode())
    fold_error = re.search(r'<p class="field-error" id="id_sweep-error" role="alert">(.*?)</p>', page, re.S)[1]
    assert words in fold_error
    assert re.search(r'<a href="#id_sweep-knob">Sweep</a>: ' + re.escape(fold_error), page)
    assert not TrainingJob.objects.exists()


def test_train_still_trains_one_run_when_a_sweep_is_typed_in(alice):
    form = alice.client.get("/catalog/mlp/").content.decode()
    values = {**_form_values(form), "sweep__knob": "learning_rate", "sweep__values": "0.1, 0.2"}
    assert alice.client.post("/catalog/mlp/", values).status_code == 302
    assert TrainingJob.objects.count() == 1 and TrainingJob.objects.get().sweep is None


def test_a_setup_link_carries_a_sweep_and_opens_the_fold_with_it(alice):
    page = alice.client.get("/catalog/mlp/?sweep__knob=learning_rate&sweep__values=0.01%2C0.1").content.decode()
    assert 'id="link-problems"' not in page
    assert '<details class="more-settings sweep-settings" id="sweep" open>' in page
    assert _field_value(page, "id_sweep-values") == "0.01,0.1"


def test_a_class_run_offers_no_sweep():
    from playground.datasets.models import Dataset
    from tests.classes.conftest import Teacher, join, make_session
    from tests.django_fixtures import Visitor

    session = make_session(Teacher("ms-frizzle"), Dataset.objects.get(slug="spiral"))
    ada = Visitor("ada-visitor-id")
    join(ada, session, "Ada")
    page = ada.client.get(f"/catalog/mlp/?class={session.pk}").content.decode()
    assert 'id="sweep"' not in page and 'value="sweep"' not in page
