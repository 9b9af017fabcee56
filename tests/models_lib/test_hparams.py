import pytest

from models_lib.architectures.mlp import MLPHParams
from models_lib.hparams import HParamsError, hparams_json_schema, validate_hparams


def test_defaults():
    c = MLPHParams()
    assert c.hidden_layers == [16, 16]
    assert (c.activation, c.optimizer, c.batch_size, c.epochs) == ("tanh", "adam", 32, 60)
    assert (c.l1, c.l2, c.dropout, c.seed) == (0, 0, 0, 0)


def test_range_errors_name_fields():
    with pytest.raises(HParamsError) as info:
        validate_hparams(MLPHParams, {"learning_rate": 50, "batch_size": 0, "activation": "swish", "bogus": 1})
    errors = {e["field"]: e["message"] for e in info.value.errors}
    assert errors["learning_rate"] == "must be at most 10"
    assert errors["batch_size"] == "must be at least 1"
    assert "relu" in errors["activation"] and "tanh" in errors["activation"]
    assert "bogus" in errors


def test_layer_width_errors_use_dotted_path():
    with pytest.raises(HParamsError) as info:
        validate_hparams(MLPHParams, {"hidden_layers": [16, 2000]})
    assert info.value.errors == [{"field": "hidden_layers.1", "message": "must be at most 1024"}]
    with pytest.raises(HParamsError) as info:
        validate_hparams(MLPHParams, {"hidden_layers": [4] * 9})
    assert info.value.errors[0]["field"] == "hidden_layers"


@pytest.mark.parametrize(
    "posted, expected", [("16,16", [16, 16]), ("", []), (" 8 ", [8]), ("[4, 4]", [4, 4]), ([3], [3])]
)
def test_comma_string_widths(posted, expected):
    assert validate_hparams(MLPHParams, {"hidden_layers": posted}).hidden_layers == expected


def test_form_strings_are_coerced():
    c = validate_hparams(MLPHParams, {"learning_rate": "0.1", "epochs": "5"})
    assert c.learning_rate == 0.1 and c.epochs == 5
    with pytest.raises(HParamsError) as info:
        validate_hparams(MLPHParams, {"epochs": "many"})
    assert info.value.errors == [{"field": "epochs", "message": "must be a whole number"}]


def test_json_schema_is_inlined_and_complete():
    schema = hparams_json_schema(MLPHParams)
    assert "$defs" not in schema and "$ref" not in str(schema)
    props = schema["properties"]
    lr = props["learning_rate"]
    assert (lr["type"], lr["minimum"], lr["maximum"], lr["default"]) == ("number", 1e-5, 10.0, 0.03)
    assert lr["description"] and lr["effect"] and lr["group"] == "optimisation"
    assert props["activation"]["enum"] == ["relu", "tanh", "sigmoid", "gelu"]
    hl = props["hidden_layers"]
    assert hl["type"] == "array" and hl["items"]["type"] == "integer"
    assert (hl["items"]["minimum"], hl["items"]["maximum"], hl["maxItems"], hl["default"]) == (1, 1024, 8, [16, 16])
    for name, prop in props.items():
        assert prop.get("description"), name
        assert "default" in prop, name
