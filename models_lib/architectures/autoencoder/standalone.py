"""The autoencoder's standalone training script: its model file and the shared blocks, the samples as the
network reads them (train.csv, test.csv: images in 0..1, standardised rows or centred windows of a series)
and the Playground's loop (the variant's corruption or penalty, AdamW's decay, the cosine schedule)."""

from __future__ import annotations

from models_lib.export import Standalone
from models_lib.export.standalone import reconstruction_script, samples_csv

from . import model as model_file

LOOP = """
SHAPE = __SHAPE__  # one sample's shape as the network reads it
KIND = __KIND__  # images, tabular or timeseries


def main():
    args, c = options()
    X_train, X_test = read_samples("train.csv", SHAPE), read_samples("test.csv", SHAPE)
    prepared = SimpleNamespace(kind=KIND, sample_shape=tuple(SHAPE), n_values=int(np.prod(SHAPE)))
    model = build_model(c, prepared)
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate, c.weight_decay, decoupled=True)
    order = torch.Generator().manual_seed(c.seed)
    total = -(-len(X_train) // c.batch_size) * args.epochs
    step = 0

    def objective(x, x_in):
        penalty = torch.zeros(())
        if c.variant == "contractive":
            code, jacobian = model.encoder.code_and_jacobian_penalty(x_in)
            penalty = c.contraction * jacobian
        else:
            code = model.encode(x_in)
            if c.variant == "sparse":
                penalty = c.sparsity * code.abs().mean()
        error = (model.decode(code) - x).square().flatten(1).mean(1)
        return error, penalty

    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
            if c.lr_schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(c.learning_rate, step, total)
            step += 1
            x = X_train[batch]
            x_in = x + c.noise * torch.randn_like(x) if c.variant == "denoising" else x
            error, penalty = objective(x, x_in)
            loss = error.mean() + penalty
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        if c.variant == "contractive":
            error = torch.cat([objective(X_test[i : i + 512], X_test[i : i + 512])[0] for i in range(0, len(X_test), 512)])
        else:
            with torch.no_grad():
                error = torch.cat([objective(X_test[i : i + 512], X_test[i : i + 512])[0] for i in range(0, len(X_test), 512)])
        print(f"epoch {epoch}: test reconstruction RMSE {error.mean().sqrt().item():.4f}", flush=True)
    save(model)
"""


def script(config, data) -> Standalone:
    from models_lib.kit.reconstruction import prepare_data

    prep = prepare_data(data, config.window)
    return Standalone(
        {
            "train.py": reconstruction_script(
                title=f"The Playground's {config.variant} autoencoder on {data.name or 'your data'}, trained again in plain PyTorch.",
                config=config,
                model_file=model_file,
                loop=LOOP,
                prepared=prep,
            ),
            "train.csv": samples_csv(prep.train),
            "test.csv": samples_csv(prep.test),
        }
    )
