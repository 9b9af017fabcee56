"""Setup links: the train form's state as query parameters (the dataset, every knob, the dataset's options,
the run options, named as the form posts them). Opening one fills the form; each value is validated through
its schema, and one that does not validate is named on the page with what the form uses instead.
"Train again with these settings" is one."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from models_lib import registry
from playground.forms import query_from_values, values_from_link
from playground.jobs import selectors as job_selectors
from playground.jobs import services as job_services
from playground.jobs.models import TrainingJob

TRAINABLE = [spec.slug for spec in registry.trainable()]


def _link(pairs: list[tuple[str, str]]) -> QueryDict:
    return QueryDict(urlencode(pairs))


def _read(spec, pairs):
    return values_from_link(spec.json_schema(), _link(pairs), validate=spec.validate)


# ---------------------------------------------------------------- the link itself


@pytest.mark.parametrize("slug", TRAINABLE)
def test_every_architectures_knobs_go_into_a_link_and_come_back_the_same(slug):
    spec = registry.get(slug)
    config = spec.defaults().model_dump()
    values, problems = _read(spec, query_from_values(spec.json_schema(), config))
    assert problems == [] and values == config


def test_lists_numbers_and_yes_or_no_keep_every_digit_through_a_link():
    mlp, cnn = registry.get("mlp"), registry.get("cnn")
    config = {**mlp.defaults().model_dump(), "hidden_layers": [5, 7], "learning_rate": 0.123456789, "l2": 1e-05}
    pairs = query_from_values(mlp.json_schema(), config)
    assert ("hidden_layers", "5,7") in pairs and ("learning_rate", "0.123456789") in pairs and ("l2", "1e-05") in pairs
    assert _read(mlp, pairs) == (config, [])
    assert _read(mlp, [("hidden_layers", "")])[0] == {"hidden_layers": []}  # no hidden layer
    flags = {**cnn.defaults().model_dump(), "batch_norm": not cnn.defaults().batch_norm}
    pairs = query_from_values(cnn.json_schema(), flags)
    assert ("batch_norm", "true" if flags["batch_norm"] else "false") in pairs
    assert _read(cnn, pairs) == (flags, [])


def test_a_value_that_does_not_validate_is_left_out_and_named_with_what_is_used_instead():
    mlp = registry.get("mlp")
    defaults = mlp.defaults()
    values, problems = _read(
        mlp,
        [
            ("learning_rate", "lots"),
            ("hidden_layers", "0,2000"),
            ("activation", "swish"),
            ("epochs", "12"),
        ],
    )
    assert values == {"epochs": 12}  # the good one is kept
    by_name = {p.name: p for p in problems}
    assert set(by_name) == {"learning_rate", "hidden_layers", "activation"}
    rate = by_name["learning_rate"]
    assert (rate.label, rate.given, rate.message) == ("Learning rate", "lots", "must be a number")
    assert rate.used == f"{defaults.learning_rate:g}"
    layers = by_name["hidden_layers"]
    assert layers.message == "entry 1 must be at least 1; entry 2 must be at most 1024"
    assert layers.used == ",".join(map(str, defaults.hidden_layers))
    assert by_name["activation"].message.startswith("must be one of")


def test_a_yes_or_no_knob_given_anything_else_is_named_not_read_as_no():
    cnn = registry.get("cnn")
    values, problems = _read(cnn, [("batch_norm", "maybe")])
    assert values == {} and [(p.name, p.message) for p in problems] == [("batch_norm", "must be true or false")]
    assert _read(cnn, [("batch_norm", "off")]) == ({"batch_norm": False}, [])


def test_more_epochs_than_fit_in_a_run_are_named_with_why():
    mlp = registry.get("mlp")
    limit = 60.0
    values, problems = values_from_link(
        mlp.json_schema(time_limit_s=limit),
        _link([("epochs", str(10**6))]),
        validate=lambda v: mlp.validate(v, time_limit_s=limit),
    )
    assert values == {} and "could not finish in time" in problems[0].message


# ---------------------------------------------------------------- the page that opens it


def _field_value(page: str, input_id: str) -> str:
    tag = re.search(rf'<(?:input|select)[^>]*id="{re.escape(input_id)}"[^>]*>', page)
    assert tag, input_id
    if tag[0].startswith("<select"):
        body = page[tag.end() : page.index("</select>", tag.end())]
        chosen = re.search(r'<option value="([^"]*)"[^>]* selected>', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        return chosen[1]  # a browser posts the first option when none is selected
    return html_lib.unescape(re.search(r'value="([^"]*)"', tag[0])[1])


def _form_values(page: str) -> dict[str, str]:
    """What the train form would post: every input's and select's value, the chosen dataset's options."""
    form = page[page.index('<form method="post"') : page.index("</form>", page.index('<form method="post"'))]
    chosen = _field_value(page, "id_dataset")
    values = {"dataset": chosen}
    for tag in re.finditer(r'<(?:input|select)[^>]*\bid="([^"]+)"[^>]*\bname="([^"]+)"', form):
        input_id, name = tag[1], tag[2]
        if name in ("csrfmiddlewaretoken", "dataset") or (
            name.startswith("data__") and f"id_{chosen}-" not in input_id
        ):
            continue
        values[name] = _field_value(form, input_id)
    return values


@pytest.mark.django_db
def test_opening_a_setup_link_fills_the_form(alice):
    link = (
        "/catalog/mlp/?dataset=moons&learning_rate=0.07&hidden_layers=5,7&activation=tanh&epochs=9"
        "&data__noise=0.3&run__patience=4"
    )
    page = alice.client.get(link).content.decode()
    assert 'id="link-problems"' not in page
    assert _field_value(page, "id_dataset") == "moons"
    assert _field_value(page, "id_learning_rate") == "0.07"
    assert _field_value(page, "id_hidden_layers") == "5,7"
    assert _field_value(page, "id_activation") == "tanh"
    assert _field_value(page, "id_epochs") == "9"
    assert _field_value(page, "id_moons-data__noise") == "0.3"
    assert _field_value(page, "id_run-run__patience") == "4"


@pytest.mark.django_db
def test_bad_values_in_a_link_are_named_on_the_page_and_the_form_uses_others(alice):
    defaults = registry.get("mlp").defaults()
    response = alice.client.get(
        "/catalog/mlp/?dataset=no-such-data&learning_rate=lots&epochs=7&data__noise=9&run__patience=-1&colour=red"
    )
    assert response.status_code == 200  # named, never a crash
    page = response.content.decode()
    box = page[page.index('id="link-problems"') : page.index("</div>", page.index('id="link-problems"'))]
    items = {
        m[1]: re.sub(r"<[^>]+>", "", html_lib.unescape(m[2]))
        for m in re.finditer(r'<li data-setting="([^"]*)">(.*?)</li>', box, re.S)
    }
    assert "5 settings in this link could not be used" in box
    assert items["dataset"].startswith("Dataset: “no-such-data” is not a dataset this network trains on")
    assert items["dataset"].endswith("using Spiral instead.")
    assert (
        items["learning_rate"] == f"Learning rate: “lots” must be a number; using {defaults.learning_rate:g} instead."
    )
    assert "“9” must be at most" in items["data__noise"] and "“-1” must be at least 0" in items["run__patience"]
    assert items["colour"] == "colour: “red” is not a setting of this form; it is left out."
    # each named setting is linked to its field, on the page (the fold opens for the folded ones)
    for anchor in ("id_learning_rate", "id_spiral-data__noise", "id_run-run__patience"):
        assert f'href="#{anchor}"' in box and f'id="{anchor}"' in page
    assert '<details class="more-settings" id="more-settings" open>' in page
    # the form shows what it uses: the good value, the defaults for the bad ones
    assert _field_value(page, "id_dataset") == "spiral"
    assert _field_value(page, "id_epochs") == "7"
    assert float(_field_value(page, "id_learning_rate")) == defaults.learning_rate


@pytest.mark.django_db(transaction=True)
def test_train_again_is_a_setup_link_that_gives_back_the_same_run(alice, bob):
    from playground.datasets.models import Dataset

    moons = Dataset.objects.get(slug="moons")
    job = job_services.job_submit(
        viewer=alice.viewer,
        architecture="mlp",
        dataset=moons,
        config={"hidden_layers": [6, 3], "learning_rate": 0.0421, "activation": "tanh", "seed": 7, "epochs": 3},
        dataset_options={"noise": 0.27, "n_samples": 300},
        run_options={"patience": 2},
    )
    run_page = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    link = html_lib.unescape(re.search(r'<a class="button" href="([^"]+)" id="train-again">', run_page)[1])
    assert link == job_selectors.job_setup_url(job=job)
    assert link.startswith("/catalog/mlp/?dataset=moons&") and "learning_rate=0.0421" in link and "seed=7" in link
    form = bob.client.get(link).content.decode()  # the link is the settings: anyone given it gets them
    assert 'id="link-problems"' not in form
    response = bob.client.post(link, _form_values(form))
    assert response.status_code == 302, response.content.decode()[:3000]
    again = TrainingJob.objects.exclude(pk=job.pk).get()
    assert again.owner_key == bob.visitor_id
    assert (again.config, again.dataset_options, again.run_options) == (
        job.config,
        job.dataset_options,
        job.run_options,
    )


@pytest.mark.django_db
def test_a_link_cannot_change_what_a_class_locks():
    from playground.datasets.models import Dataset
    from tests.classes.conftest import Teacher, join, make_session
    from tests.django_fixtures import Visitor

    session = make_session(Teacher("ms-frizzle"), Dataset.objects.get(slug="spiral"))  # locks the learning rate
    ada = Visitor("ada-visitor-id")
    join(ada, session, "Ada")
    page = ada.client.get(f"/catalog/mlp/?class={session.pk}&learning_rate=0.9&epochs=3&dataset=moons").content.decode()
    box = page[page.index('id="link-problems"') : page.index("</div>", page.index('id="link-problems"'))]
    assert "is fixed by your teacher for this class; using 0.05 instead." in box
    assert "“moons” is fixed by your teacher for this class; using Spiral" in html_lib.unescape(box)
    assert _field_value(page, "id_epochs") == "3"  # a free knob follows the link
