"""The VAE's standalone training script: its model file (with the ELBO) and the shared blocks, the samples
as the network reads them (train.csv, test.csv) and the Playground's loop (one code drawn per sample,
reconstruction + beta x KL, the cosine schedule)."""

from __future__ import annotations

from models_lib.export import Standalone
from models_lib.export.standalone import reconstruction_script, samples_csv

from . import model as model_file

LOOP = """
SHAPE = __SHAPE__  # one sample's shape as the network reads it
KIND = __KIND__  # images or tabular


def main():
    args, c = options()
    X_train, X_test = read_samples("train.csv", SHAPE), read_samples("test.csv", SHAPE)
    prepared = SimpleNamespace(kind=KIND, sample_shape=tuple(SHAPE), n_values=int(np.prod(SHAPE)))
    model = build_model(c, prepared)
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate)
    order = torch.Generator().manual_seed(c.seed)
    total = -(-len(X_train) // c.batch_size) * args.epochs
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
            if c.lr_schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(c.learning_rate, step, total)
            step += 1
            recon, kl = elbo_terms(model, X_train[batch])
            loss = recon.mean() + c.beta * kl.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            recon, kl = elbo_terms(model, X_test)
        print(f"epoch {epoch}: test loss {(recon.mean() + c.beta * kl.mean()).item():.3f} nats "
              f"(reconstruction {recon.mean().item():.3f}, KL {kl.mean().item():.3f})", flush=True)
    save(model)
"""


def script(config, data) -> Standalone:
    from models_lib.kit.reconstruction import prepare_data

    prep = prepare_data(data)
    return Standalone(
        {
            "train.py": reconstruction_script(
                title=f"The Playground's variational autoencoder on {data.name or 'your data'}, trained again in plain PyTorch.",
                config=config,
                model_file=model_file,
                loop=LOOP,
                prepared=prep,
            ),
            "train.csv": samples_csv(prep.train),
            "test.csv": samples_csv(prep.test),
        }
    )
