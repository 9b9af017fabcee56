"""The GAN's standalone training script: its model file (both players and their losses), the real samples
(train.csv: 2-D points, or images with pixels in 0..1 and their class) and the Playground's loop (k
discriminator steps per generator step, Adam with beta1 0.5, an epoch of about 100 steps)."""

from __future__ import annotations

import json

from models_lib.export import Standalone
from models_lib.export.standalone import BAD_KNOB, READ_CSV, assemble, table_csv

from . import model as model_file
from .knobs import EPOCH_STEPS

LOOP = '''
SHAPE = __SHAPE__  # one real sample's shape
N_CLASSES = __N_CLASSES__
EPOCH_STEPS = __EPOCH_STEPS__


def optimizer(kind, module, lr):
    """One per player, as the Playground builds them: Adam with beta1 = 0.5 (the usual GAN setting)."""
    if kind == "adam":
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999))
    if kind == "rmsprop":
        return torch.optim.RMSprop(module.parameters(), lr=lr)
    return torch.optim.SGD(module.parameters(), lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0)


def main():
    args, c = options()
    X, y = read_table("train.csv")
    X = X.reshape(-1, *SHAPE)
    images = len(SHAPE) == 3
    X = X * 2 - 1 if images else X  # pixels 0..1 to -1..1, the range of the generator's tanh
    y = torch.tensor(y, dtype=torch.long)
    data = SimpleNamespace(n_features=SHAPE[-1], X_train=X, n_classes=N_CLASSES)
    model = build_model(c, data)
    G, D = model.generator, model.discriminator
    g_opt, d_opt = optimizer(c.g_optimizer, G, c.g_learning_rate), optimizer(c.d_optimizer, D, c.d_learning_rate)
    conditional = c.variant == "conditional"
    repeats = max(1, math.ceil(EPOCH_STEPS * c.batch_size / len(X)))
    order = torch.Generator().manual_seed(c.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        indices = torch.arange(len(X)).repeat(repeats)
        indices = indices[: len(indices) // c.batch_size * c.batch_size]  # whole batches (batch norm)
        for batch in indices[torch.randperm(len(indices), generator=order)].split(c.batch_size):
            n = len(batch)
            for i in range(c.d_steps):
                if i:  # the extra discriminator steps see fresh real batches
                    batch = torch.randint(0, len(X), (n,))
                labels = y[batch] if conditional else None
                with torch.no_grad():
                    fake = G(torch.randn(n, c.noise_dim), labels)
                d_loss = d_loss_fn(c.loss, D(X[batch], labels), D(fake, labels))
                d_opt.zero_grad()
                d_loss.backward()
                d_opt.step()
            D.requires_grad_(False)
            g_loss = g_loss_fn(c.loss, D(G(torch.randn(n, c.noise_dim), labels), labels))
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
            D.requires_grad_(True)
        print(f"epoch {epoch}: discriminator loss {d_loss.item():.4f}, generator loss {g_loss.item():.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        labels = torch.arange(8) % max(1, N_CLASSES) if conditional else None
        samples = G(torch.randn(8, c.noise_dim), labels)
    print("8 samples:", tuple(samples.shape), "(pixels in -1..1)" if images else "")
    save(model)
'''


def script(config, data) -> Standalone:
    shape = [int(d) for d in data.X_train.shape[1:]]
    what = "images" if data.kind == "images" else "points"
    columns = [f"value{i}" for i in range(int(data.X_train[0].numel()))]
    text = assemble(
        title=f"The Playground's {config.variant} GAN on {data.name or 'your ' + what}, trained again in plain PyTorch.",
        config=config,
        network=[BAD_KNOB, model_file],
        helpers=[READ_CSV],
        loop=LOOP,
        tokens={
            "__SHAPE__": json.dumps(shape),
            "__N_CLASSES__": str(int(data.n_classes)),
            "__EPOCH_STEPS__": str(EPOCH_STEPS),
        },
        what="its model.py: both players and their losses",
    )
    return Standalone({"train.py": text, "train.csv": table_csv(data.X_train, data.y_train, columns, target="label")})
