"""The gated network's knobs: a small MLP's, and the gate its steps wait on."""

from __future__ import annotations

from models_lib.hparams import LayerWidths, knob
from models_lib.kit.knobs import training_knobs


class GatedKnobs(training_knobs(learning_rate=0.03, batch_size=32, epochs=20)):
    hidden_layers: LayerWidths = knob(
        [16, 16],
        group="architecture",
        title="Hidden layers",
        description="Width of each hidden tanh layer, e.g. 16,16; empty for none.",
        effect="More or wider layers bend the boundary more and train slower.",
    )
    gate: str = knob(
        "",
        max_length=1000,
        group="gate",
        title="Gate file",
        description="The absolute path of the file the test writes: go, hold, or the steps the run may take.",
        effect="While the file says hold (or the run has taken its steps) the run waits at its next flush.",
    )
