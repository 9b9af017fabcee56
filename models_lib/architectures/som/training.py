"""How the self-organising map trains, measures and draws itself. It learns without back-propagation: the
Trainer's manual step (``manual_optimization``) hands it each batch and it moves its prototypes itself (online:
row by row, batch: all at once). The schedule runs on the rows seen so far, kept as plain numbers, so no step
waits for the device."""

from __future__ import annotations

import torch

from models_lib.data import TensorData
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import SOMHParams
from .model import ADJACENT, build_model, decayed
from .views import VIEWS, image_map_figure, labels_figure, planes_figure, rgb_map_figure, value_figure

EVAL_CHUNK = 4096  # rows per distance matrix when measuring
END_LR = 0.01  # the exponential schedule's last learning rate, as a share of the first
END_SIGMA = 1.0  # the linear and exponential schedules' last radius, in cells


def rows_of(X: torch.Tensor) -> torch.Tensor:
    return X.reshape(len(X), -1).float()


class SOMModule(TrainingModule):
    manual_optimization = True  # no gradients: the step moves the prototypes itself
    divergence_key = "train_quantization_error"

    def __init__(self, config: SOMHParams, data: TensorData, settings: RunSettings | None = None):
        self.config = config
        self.data = data
        self.rgb = bool(data.meta.get("rgb")) and data.n_features == 3
        self.images = data.kind == "images"
        self.X_train, self.X_test = rows_of(data.X_train), rows_of(data.X_test)
        self.labelled = data.task == "classify" and bool(data.class_names)
        self.model = build_model(config, self.X_train.shape[1])
        self.model.initialise(self.X_train, config.init, torch.Generator().manual_seed(config.seed))
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self.n = len(self.X_train)
        bs = min(config.batch_size, self.n)
        self.steps_per_epoch = -(-self.n // bs)
        self.total_rows = float(config.epochs * self.n)
        self._seen = 0  # rows learnt from so far: the schedule's clock
        self._batch = bs

    # -- setup ------------------------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        self.device = device
        self.model.to(device)
        self.test_rows = to_device(self.X_test, device)
        self.train_rows = to_device(self.X_train, device)
        self.adjacent = ADJACENT[self.config.topology]
        g = self.model.coords
        self.grid_d2 = ((g[:, None, :] - g[None]) ** 2).sum(-1)
        self.neighbours = (self.grid_d2 > 0) & (self.grid_d2 <= self.adjacent**2)
        if self.labelled:
            self.y_train = to_device(self.data.y_train.long(), device)
        return [self.train_rows]

    def configure_optimizer(self, device: torch.device) -> list:
        return []  # nothing to checkpoint beyond the prototypes and the step count

    def resume_at(self, step: int) -> None:
        epochs, index = divmod(step, self.steps_per_epoch)
        self._seen = epochs * self.n + min(index * self._batch, self.n)

    def schedule(self) -> tuple[float, float]:
        """The learning rate and radius now."""
        return self.schedule_at(self._seen)

    def schedule_at(self, seen: float) -> tuple[float, float]:
        """The learning rate and radius after ``seen`` rows."""
        c = self.config
        lr = decayed(c.learning_rate, seen, self.total_rows, c.decay, c.learning_rate * END_LR)
        sigma = decayed(c.sigma, seen, self.total_rows, c.decay, min(END_SIGMA, c.sigma))
        return lr, sigma

    # -- one step --------------------------------------------------------------------------------------
    def manual_step(self, batch, optimizer, scaler):
        (x,) = batch
        model = self.model
        # the record: each row's distance to its best unit before it moved the map (summed at the flush)
        if self.config.algorithm == "batch":
            _, sigma = self.schedule_at(self._seen - self._seen % self.n)  # one radius for the whole pass
            distances = model.batch_accumulate(x, sigma)
            self._seen += x.shape[0]
            if self._seen % self.n == 0:  # a pass over the data is summed: move the units
                model.batch_apply()
            return distances
        c, seen, total = self.config, self._seen, self.total_rows
        lr0, lr1, s0, s1 = c.learning_rate, c.learning_rate * END_LR, c.sigma, min(END_SIGMA, c.sigma)
        update, d2 = model.online_update, []
        for row in x.unbind(0):  # the schedule as plain numbers, row by row: nothing waits for the device
            d2.append(update(row, decayed(lr0, seen, total, c.decay, lr1), decayed(s0, seen, total, c.decay, s1)))
            seen += 1
        self._seen = seen
        return torch.stack(d2)  # squared

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        rows = torch.cat(records)
        if self.config.algorithm != "batch":
            rows = rows.sqrt()
        return {"train_quantization_error": rows.mean()}

    # -- measuring -------------------------------------------------------------------------------------
    def errors(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantisation error (mean distance to the BMU), topographic error (share of rows whose two best
        units are not grid neighbours) and each row's BMU."""
        qe, te, bmus = [], [], []
        for i in range(0, len(X), EVAL_CHUNK):
            d2 = self.model.squared_distances(X[i : i + EVAL_CHUNK].float())
            best = d2.topk(2, dim=1, largest=False)
            qe.append(best.values[:, 0].sqrt())
            a, b = best.indices[:, 0], best.indices[:, 1]
            te.append(self.grid_d2[a, b] > self.adjacent**2)
            bmus.append(a)
        return torch.cat(qe).mean(), torch.cat(te).float().mean(), torch.cat(bmus)

    def test_metrics(self) -> dict[str, torch.Tensor]:
        qe, te, _ = self.errors(self.test_rows)
        return {"test_quantization_error": qe, "test_topographic_error": te}

    def u_matrix(self) -> torch.Tensor:
        w = self.model.weight
        d = torch.cdist(w, w)
        nb = self.neighbours.float()
        return (d * nb).sum(1) / nb.sum(1).clamp(min=1)

    def views(self) -> dict[str, dict]:
        m = self.model
        coords = m.coords.cpu().numpy()
        topo = self.config.topology
        out: dict[str, dict] = {}
        weights = m.weight.float().cpu().numpy()
        if self.rgb:
            out["map"] = rgb_map_figure(weights, coords, topo)
        elif self.images:
            out["map"] = image_map_figure(weights, m.rows, m.columns, tuple(self.data.X_train.shape[1:]))
        else:
            out["map"] = planes_figure(weights, coords, topo, list(self.data.feature_names))
        out["umatrix"] = value_figure(
            self.u_matrix().cpu().numpy(), coords, topo, "mean distance to the grid neighbours", "Greys"
        )
        bmu = m.squared_distances(self.train_rows).argmin(1)
        units = coords.shape[0]
        hits = torch.bincount(bmu, minlength=units)
        out["hits"] = value_figure(hits.cpu().numpy(), coords, topo, "training rows per unit", "Blues")
        if "labels" in self.view_keys and self.labelled:
            k = len(self.data.class_names)
            counts = torch.zeros(units * k, device=bmu.device).index_add_(
                0, bmu * k + self.y_train, torch.ones_like(bmu, dtype=torch.float32)
            )
            counts = counts.view(units, k)
            majority = torch.where(counts.sum(1) > 0, counts.argmax(1), -1).cpu().numpy()
            out["labels"] = labels_figure(majority, coords, topo, list(self.data.class_names))
        return out

    # -- words -----------------------------------------------------------------------------------------
    def divergence_hint(self) -> str:
        return f"lower the initial learning rate (now {self.config.learning_rate:g}; above 2 the online map overshoots)"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower rows x columns (now {c.rows} x {c.columns}) or batch_size (now {c.batch_size})"

    def start_messages(self) -> list[str]:
        c, d = self.config, self.data
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test rows of "
            f"{self.X_train.shape[1]} numbers; a {c.rows} x {c.columns} {c.topology} map, {c.algorithm} "
            f"learning, {c.init} start, {c.decay} decay over {int(self.total_rows):,} rows"
        ]

    def single_thread(self) -> bool:
        return True  # many tiny operations per row
