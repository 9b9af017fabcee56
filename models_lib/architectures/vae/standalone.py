"""The VAE's standalone training script: its model file (with the ELBO) and the shared blocks, the samples
as the network reads them (train.csv, test.csv) and the Playground's loop (one code drawn per sample,
reconstruction + beta x KL, the cosine schedule)."""

from __future__ import annotations

import json

from models_lib.export import Standalone
from models_lib.export.standalone import (
    BAD_KNOB,
    HEADER,
    OPTIMIZER_DECOUPLED,
    READ_SAMPLES,
    config_literal,
    model_source,
    samples_csv,
    section,
)
from models_lib.kit import blocks

from . import model as model_file

LOOP = """
SHAPE = __SHAPE__  # one sample's shape as the network reads it
KIND = __KIND__  # images or tabular


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    c = SimpleNamespace(**CONFIG)
    torch.manual_seed(c.seed)
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
    save_file(model.state_dict(), "weights.safetensors", {"config": json.dumps(CONFIG)})
    print("wrote weights.safetensors")


if __name__ == "__main__":
    main()
"""


def script(config, data) -> Standalone:
    from models_lib.kit.reconstruction import prepare_data

    prep = prepare_data(data)
    title = f"The Playground's variational autoencoder on {data.name or 'your data'}, trained again in plain PyTorch."
    text = (
        HEADER.format(title=title, config=config_literal(config))
        + section("the network (the Playground's shared blocks, then its model.py)")
        + BAD_KNOB
        + "\n\n"
        + model_source(blocks)
        + "\n\n"
        + model_source(model_file)
        + section("the data and the optimizer")
        + READ_SAMPLES
        + OPTIMIZER_DECOUPLED
        + section("training")
        + LOOP.replace("__SHAPE__", json.dumps(list(prep.sample_shape))).replace("__KIND__", json.dumps(prep.kind))
    )
    return Standalone({"train.py": text, "train.csv": samples_csv(prep.train), "test.csv": samples_csv(prep.test)})
