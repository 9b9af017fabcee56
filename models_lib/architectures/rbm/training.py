"""How the RBM trains, measures and draws itself. No backpropagation: each step runs a Gibbs chain
(contrastive divergence, :func:`~.model.cd_gradients`) and hands its estimate to an SGD optimizer as the
gradient, so momentum, weight decay, checkpoints and resume are the optimizer's own."""

from __future__ import annotations

import torch

from models_lib.data import TensorData
from models_lib.hparams import bad_knob
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import RBMHParams
from .model import RBM, apply_cd, build_model, cd_gradients
from .views import CHAIN_STEPS, VIEWS, chain_figure, filters_figure, reconstruction_figure

MAX_VISIBLE = 4096  # pixels times channels: 64 × 64 grey
SHOWN = 8  # test images in the reconstruction view, chains in the Gibbs view
EVAL_CHUNK = 1024
# Updates too large (a high learning rate with momentum) do not make the loss NaN: the weights grow without
# bound and every unit sticks on or off. Weights of this root-mean-square size mean that (a healthy run on
# digits stays under 4), and the run is stopped as diverged.
WEIGHT_RMS_LIMIT = 25.0


def binarise(x: torch.Tensor, threshold: float) -> torch.Tensor:
    """Values in 0..1 as on/off units (above ``threshold``); ``threshold`` 0 keeps them as they are."""
    return (x > threshold).float() if threshold > 0 else x.float()


def visible_data(data: TensorData, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The training and test images as flat rows of visible units, checked to lie in 0..1."""
    lo = float(min(data.X_train.min(), data.X_test.min()))
    hi = float(max(data.X_train.max(), data.X_test.max()))
    if lo < 0 or hi > 1:
        raise bad_knob(
            "threshold",
            f"a Bernoulli RBM reads values between 0 and 1 (on/off pixels or grey levels); this data runs from "
            f"{lo:.3g} to {hi:.3g}: rescale it to 0..1 (divide pixels by 255) and upload it again",
        )
    visible = int(data.X_train[0].numel())
    if visible > MAX_VISIBLE:
        raise bad_knob(
            "threshold",
            f"the images have {visible} values each (pixels times channels); an RBM here takes at most "
            f"{MAX_VISIBLE}: upload smaller or greyscale images",
        )
    return (
        binarise(data.X_train.reshape(len(data.X_train), -1), threshold),
        binarise(data.X_test.reshape(len(data.X_test), -1), threshold),
    )


class RBMModule(TrainingModule):
    manual_optimization = True

    def __init__(self, config: RBMHParams, data: TensorData, settings: RunSettings | None = None):
        if data.kind != "images":
            raise ValueError("the RBM takes images with values in 0..1")
        self.config = config
        self.data = data
        self.shape = tuple(data.X_train.shape[1:])
        self.train_v, self.test_v = visible_data(data, config.threshold)
        self.model: RBM = build_model(config, self.train_v.shape[1])
        self.model.requires_grad_(False)  # contrastive divergence: no autograd anywhere, no graph to record
        self.persistent = config.sampler == "pcd"
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        c = self.config
        self.device = device
        self.model.to(device)
        g = torch.Generator().manual_seed(c.seed + 1)  # fixed: the same flips, images and noise every epoch
        self.test = to_device(self.test_v, device)
        D = self.train_v.shape[1]
        # the unit each sample's pseudo-log-likelihood flips: the test images' own; the training rows come
        # shuffled, so a fixed row of flips is as random for them
        self.test_flip = to_device(torch.randint(0, D, (len(self.test_v),), generator=g), device)
        self.train_flip = to_device(torch.randint(0, D, (len(self.train_v),), generator=g), device)
        self._train_fe = None
        self.shown = self.test[:SHOWN]
        self.noise = to_device(torch.bernoulli(torch.full((SHOWN, D), 0.5), generator=g), device)
        return [to_device(self.train_v, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c, m = self.config, self.model
        return torch.optim.SGD(
            [
                {"params": [m.weight], "weight_decay": c.weight_decay},
                {"params": [m.visible_bias, m.hidden_bias], "weight_decay": 0.0},
            ],
            lr=c.learning_rate,
            momentum=c.momentum,
        )

    def manual_step(self, batch, optimizer, scaler):
        (v0,) = batch
        grads, _ = cd_gradients(self.model, v0, self.config.cd_k, self.persistent)
        apply_cd(self.model, grads, optimizer)
        # the batch itself is the record (a view of the epoch's shuffled rows, no copy): its reconstruction
        # error is measured once per flush over every batch since the last, in one pass
        return v0

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        """The training batches since the last measurement (at most as many rows as the test split: the rows
        come shuffled, so a random sample of them), measured in one pass with the weights as they are now."""
        v = torch.cat(records)[: len(self.test)]  # rows come shuffled: a random sample as large as the test split
        error, fe, pll = self._scores(v, self.train_flip[: len(v)])
        self._train_fe = fe  # the free-energy gap's training side, read by test_metrics just after
        blown = self.model.weight.detach().pow(2).mean().sqrt() > WEIGHT_RMS_LIMIT
        # the divergence check (on train_loss) reads blown-up weights as an infinite loss: no sync here
        return {
            "train_loss": torch.where(blown, torch.full_like(error, float("inf")), error),
            "train_free_energy": fe,
            "train_pll": pll,
        }

    @torch.no_grad()
    def _scores(self, v: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
        """Means of reconstruction cross-entropy, free energy and pseudo-log-likelihood over ``v``."""
        total = torch.zeros(3, device=v.device)
        for i in range(0, len(v), EVAL_CHUNK):
            total += torch.stack([s.sum() for s in self.model.scores(v[i : i + EVAL_CHUNK], flip[i : i + EVAL_CHUNK])])
        return total / len(v)

    def test_metrics(self) -> dict[str, torch.Tensor]:
        error, fe, pll = self._scores(self.test, self.test_flip)
        out = {"test_loss": error, "test_free_energy": fe, "test_pll": pll}
        if self._train_fe is not None:
            out["test_free_energy_gap"] = fe - self._train_fe
        return out

    def views(self) -> dict[str, dict]:
        rbm, figures = self.model, {}
        if "filters" in self.view_keys:
            figures["filters"] = filters_figure(rbm.weight, self.shape)
        if "reconstruction" in self.view_keys:
            figures["reconstruction"] = reconstruction_figure(
                self.shown.view(-1, *self.shape), rbm.reconstruct(self.shown).view(-1, *self.shape)
            )
        if "gibbs" in self.view_keys:
            # its own random stream, so drawing a frame leaves the training's samples as they were
            state = torch.get_rng_state()
            cuda = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
            torch.manual_seed(self.config.seed + 2)
            if cuda is not None:
                torch.cuda.manual_seed(self.config.seed + 2)
            try:
                v, done, shots = self.noise, 0, []
                for k in CHAIN_STEPS:
                    v = rbm.gibbs(v, k - done) if k > done else v
                    done = k
                    # the last step's visible probabilities: a smoother picture than the 0/1 sample
                    shots.append((rbm.visible_probs(rbm.hidden_probs(v)) if k else v).view(-1, *self.shape))
            finally:
                torch.set_rng_state(state)
                if cuda is not None:
                    torch.cuda.set_rng_state(cuda, self.device)
            figures["gibbs"] = chain_figure(shots, CHAIN_STEPS)
        return figures

    def divergence_hint(self) -> str:
        c = self.config
        return (
            f"the weights grew past a root-mean-square of {WEIGHT_RMS_LIMIT:g}, so every unit is stuck on or off: "
            f"lower the learning rate (now {c.learning_rate:g}) or the momentum (now {c.momentum:g})"
        )

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}) or hidden_units (now {c.hidden_units})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        on = float(self.train_v.mean())
        how = f"binarised at {c.threshold:g}" if c.threshold > 0 else "grey levels kept as probabilities"
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images of "
            f"{self.train_v.shape[1]} visible units ({how}, {on:.0%} on); {c.hidden_units} hidden units, "
            f"{'persistent CD' if self.persistent else 'CD'}-{c.cd_k}, no backpropagation"
        ]

    def single_thread(self) -> bool:
        return True  # a step is a few small matrix products
