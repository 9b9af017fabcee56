"""The RBM's standalone training script: its model file (the RBM and contrastive divergence), the visible
units as the Playground trained on them (train.csv, test.csv: already binarised by the threshold) and a loop
of its own, since CD is no loss to back-propagate: each batch's Gibbs chain gives the update, which SGD
applies with the run's momentum and weight decay."""

from __future__ import annotations

import json

from models_lib.export import Standalone
from models_lib.export.standalone import READ_SAMPLES, assemble, samples_csv

from . import model as model_file

LOOP = """
VISIBLE = __VISIBLE__  # visible units per sample (pixels times channels)


def main():
    args, c = options()
    X_train = read_samples("train.csv", (VISIBLE,))
    X_test = read_samples("test.csv", (VISIBLE,))
    model = build_model(c, VISIBLE)
    optimizer = torch.optim.SGD(
        [
            {"params": [model.weight], "weight_decay": c.weight_decay},
            {"params": [model.visible_bias, model.hidden_bias], "weight_decay": 0.0},
        ],
        lr=c.learning_rate,
        momentum=c.momentum,
    )
    order = torch.Generator().manual_seed(c.seed)
    flips = torch.randint(0, VISIBLE, (len(X_test),), generator=torch.Generator().manual_seed(c.seed + 1))
    for epoch in range(1, args.epochs + 1):
        with torch.no_grad():
            for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
                grads, _ = cd_gradients(model, X_train[batch], c.cd_k, persistent=c.sampler == "pcd")
                apply_cd(model, grads, optimizer)
            pll = model.pseudo_log_likelihood(X_test, flips).mean()
            error = F.binary_cross_entropy(model.reconstruct(X_test).clamp(1e-6, 1 - 1e-6), X_test, reduction="sum")
        print(
            f"epoch {epoch}: test pseudo-log-likelihood {pll.item():.3f}, "
            f"reconstruction error {error.item() / len(X_test):.3f} nats",
            flush=True,
        )
    save(model)
"""


def script(config, data) -> Standalone:
    from .training import visible_data

    train, test = visible_data(data, config.threshold)
    return Standalone(
        {
            "train.py": assemble(
                title=f"The Playground's restricted Boltzmann machine on {data.name or 'your data'}, trained again "
                "in plain PyTorch by contrastive divergence.",
                config=config,
                network=[model_file],
                helpers=[READ_SAMPLES],
                loop=LOOP,
                tokens={"__VISIBLE__": json.dumps(int(train.shape[1]))},
            ),
            "train.csv": samples_csv(train),
            "test.csv": samples_csv(test),
        }
    )
