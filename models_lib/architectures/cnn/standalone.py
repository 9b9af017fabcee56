"""The CNN's standalone training script: its model file, the images as the network saw them (train.csv,
test.csv: one pixel per column, values 0..1) and the Playground's loop (seeded mini-batches, the same
augmentation, cross-entropy, L2 as weight decay)."""

from __future__ import annotations

import json

from models_lib.export import Standalone
from models_lib.export.standalone import BAD_KNOB, OPTIMIZER, READ_CSV, assemble, table_csv

from . import model as model_file

LOOP = """
CLASS_NAMES = __CLASS_NAMES__
IMAGE_SHAPE = __IMAGE_SHAPE__  # channels, height, width


def main():
    args, c = options()
    X_train, y_train = read_table("train.csv")
    X_test, y_test = read_table("test.csv")
    X_train, X_test = X_train.reshape(-1, *IMAGE_SHAPE), X_test.reshape(-1, *IMAGE_SHAPE)
    y_train, y_test = torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long)
    model = build_model(c, IMAGE_SHAPE[0], IMAGE_SHAPE[1], len(CLASS_NAMES))
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate, c.l2)
    augmenting = c.flip or c.shift > 0 or c.rotation > 0
    order = torch.Generator().manual_seed(c.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
            X = X_train[batch]
            if augmenting:
                X = augment(X, c.flip, c.shift, c.rotation)
            loss = F.cross_entropy(model(X), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            out = torch.cat([model(X_test[i : i + 512]) for i in range(0, len(X_test), 512)])
        accuracy = (out.argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch}: test loss {F.cross_entropy(out, y_test).item():.4f}, test accuracy {accuracy:.3f}", flush=True)
    save(model)
"""


def script(config, data) -> Standalone:
    shape = [int(d) for d in data.X_train.shape[1:]]
    columns = [f"pixel{i}" for i in range(shape[0] * shape[1] * shape[2])]
    text = assemble(
        title=f"The Playground's convolutional network on {data.name or 'your images'}, trained again in plain "
        "PyTorch.",
        config=config,
        network=[BAD_KNOB, model_file],
        helpers=[READ_CSV, OPTIMIZER],
        loop=LOOP,
        tokens={"__CLASS_NAMES__": json.dumps(list(data.class_names)), "__IMAGE_SHAPE__": json.dumps(shape)},
    )
    return Standalone(
        {
            "train.py": text,
            "train.csv": table_csv(data.X_train, data.y_train, columns, target="label"),
            "test.csv": table_csv(data.X_test, data.y_test, columns, target="label"),
        }
    )
