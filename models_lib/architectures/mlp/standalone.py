"""The MLP's standalone training script: its model file, the data as the network saw it (train.csv,
test.csv) and the Playground's loop (mini-batches in a seeded order, cross-entropy or squared error, L1 on
the weights, L2 as weight decay)."""

from __future__ import annotations

import json

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, READ_CSV, assemble, table_csv

from . import model as model_file

LOOP = """
CLASS_NAMES = __CLASS_NAMES__
CLASSIFY = __CLASSIFY__


def main():
    args, c = options()
    X_train, y_train = read_table("train.csv")
    X_test, y_test = read_table("test.csv")
    kind = torch.long if CLASSIFY else torch.float32
    y_train, y_test = torch.tensor(y_train, dtype=kind), torch.tensor(y_test, dtype=kind)
    model = build_model(c, X_train.shape[1], len(CLASS_NAMES) if CLASSIFY else 1)
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate, c.l2)
    weights = [p for p in model.parameters() if p.ndim > 1]
    order = torch.Generator().manual_seed(c.seed)

    def data_loss(out, y):
        return F.cross_entropy(out, y) if CLASSIFY else F.mse_loss(out.squeeze(-1), y)

    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
            loss = data_loss(model(X_train[batch]), y_train[batch])
            if c.l1 > 0:
                loss = loss + c.l1 * sum(w.abs().sum() for w in weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            out = model(X_test)
            if CLASSIFY:
                score = f"test accuracy {(out.argmax(1) == y_test).float().mean().item():.3f}"
            else:
                score = f"test RMSE {F.mse_loss(out.squeeze(-1), y_test).sqrt().item():.4g}"
        print(f"epoch {epoch}: test loss {data_loss(out, y_test).item():.4f}, {score}", flush=True)
    save(model)
"""


def script(config, data) -> Standalone:
    classify = data.task == "classify"
    names = list(data.feature_names) or [f"x{i}" for i in range(data.n_features)]
    text = assemble(
        title=f"The Playground's multilayer perceptron on {data.name or 'your data'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file],
        helpers=[READ_CSV, OPTIMIZER],
        loop=LOOP,
        tokens={"__CLASS_NAMES__": json.dumps(list(data.class_names)), "__CLASSIFY__": str(classify)},
    )
    return Standalone(
        {
            "train.py": text,
            "train.csv": table_csv(data.X_train, data.y_train, names),
            "test.csv": table_csv(data.X_test, data.y_test, names),
        }
    )
