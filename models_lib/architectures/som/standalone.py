"""The map's standalone training script: the model file, the rows as the map read them (data.npz) and its
own loop (not the gradient ``epoch_loop``): shuffled rows each pass, the online rule row by row or the batch
rule once a pass, the schedule on the rows seen, and the test errors after every pass."""

from __future__ import annotations

import io

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import assemble

from . import model as model_file

READ_NPZ = '''
def read_data(path):
    """Each split's rows, float32 [N, D], in the map's units (a table standardised as on the Playground)."""
    arrays = np.load(path)
    return {split: torch.tensor(arrays[split]) for split in ("train", "test")}
'''

LOOP = '''
END_LR = 0.01  # the exponential schedule's last learning rate, as a share of the first
END_SIGMA = 1.0  # the linear and exponential schedules' last radius, in cells


def errors(model, X, adjacent):
    """Quantisation error (mean distance to the best unit) and topographic error (share of rows whose two
    best units are not grid neighbours)."""
    with torch.no_grad():
        best = model.squared_distances(X).topk(2, dim=1, largest=False)
        g = model.coords
        gap = ((g[best.indices[:, 0]] - g[best.indices[:, 1]]) ** 2).sum(1)
        return best.values[:, 0].sqrt().mean().item(), (gap > adjacent**2).float().mean().item()


def main():
    args, c = options()
    data = read_data("data.npz")
    X_train, X_test = data["train"], data["test"]
    model = build_model(c, X_train.shape[1])
    model.initialise(X_train, c.init, torch.Generator().manual_seed(c.seed))
    n, total, seen = len(X_train), float(args.epochs * len(X_train)), 0
    order = torch.Generator().manual_seed(c.seed)
    for epoch in range(1, args.epochs + 1):
        for batch in torch.randperm(n, generator=order).split(min(c.batch_size, n)):
            x = X_train[batch]
            if c.algorithm == "batch":
                sigma = decayed(c.sigma, seen - seen % n, total, c.decay, min(END_SIGMA, c.sigma))
                model.batch_accumulate(x, sigma)
                seen += len(x)
                if seen % n == 0:
                    model.batch_apply()
                continue
            for row in x:
                lr = decayed(c.learning_rate, seen, total, c.decay, c.learning_rate * END_LR)
                sigma = decayed(c.sigma, seen, total, c.decay, min(END_SIGMA, c.sigma))
                model.online_update(row, lr, sigma)
                seen += 1
        qe, te = errors(model, X_test, ADJACENT[c.topology])
        print(f"epoch {epoch}: test quantisation error {qe:.4f}, topographic error {te:.3f}", flush=True)
    save(model)
'''


def rows(X) -> np.ndarray:
    return X.reshape(len(X), -1).float().numpy()


def data_npz(data) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, train=rows(data.X_train), test=rows(data.X_test))
    return out.getvalue()


def script(config, data) -> Standalone:
    text = assemble(
        title=f"The Playground's self-organising map on {data.name or 'your rows'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file],
        helpers=[READ_NPZ],
        loop=LOOP,
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
