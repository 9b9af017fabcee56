"""The gated MLP: a test's architecture. A small classifier of 2-D points whose run waits, at each
flush, on a gate file the test writes (see ``gate.py``): a fault test holds a run open for as long
as it needs, by construction, instead of guessing how long training takes.

It lives in ``tests/plugins/`` and is plugged in only where a test asks for it: in-process with
``registry.discover`` (undone by ``registry.undiscover``), in started processes through
``PLAYGROUND_ARCHITECTURES``.
"""

from models_lib.export import Inference, Method, examples
from models_lib.kit.metrics import TEST_ACCURACY, TEST_LOSS, TRAIN_ACCURACY, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Export

from .diagram import draw
from .knobs import GatedKnobs
from .training import VIEWS, GatedModule


def _inference(module, data) -> Inference:
    return Inference(
        Method(module.model), (examples(module.data.X_test),), ("points",), "logits", "points in, scores out"
    )


# Its training waits on a file the test writes, so no plain script could train it: the page says so.
EXPORT = Export(inference=_inference, refused={"script": "the gated network trains only inside the Playground"})

SPEC = ArchitectureSpec(
    slug="gated",
    card=Card(
        name="Gated MLP (test)",
        family="foundations",
        summary="A small MLP whose training waits on a gate the test controls.",
        purpose="classify",
        data="2-D points",
        order=999,
        compare_with=(("mlp", "The same kind of network, without the gate."),),
    ),
    knobs=GatedKnobs,
    accepts=(Accepts("points2d", "classify"),),
    module=GatedModule,
    views=VIEWS,
    metrics=(TRAIN_LOSS, TEST_LOSS, TRAIN_ACCURACY, TEST_ACCURACY),
    default_dataset="moons",
    diagram=Diagram(draw),
    export=EXPORT,
)
