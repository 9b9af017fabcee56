"""Plain-PyTorch twins of the autoencoder and the VAE, for ``bench/bench_job.py``.

Both twins train the same model (the module's ``build_model``), optimizer (``build_optimizer``,
with the config's weight decay), cosine learning-rate schedule, data (the module's prepared
tensors), batch size, batch order and device as the job, and measure the held-out split at each
epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for metric flushes,
the live views, the event log and the live sends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.autoencoder import AutoencoderModule  # noqa: E402
from models_lib.architectures.vae import VAEModule, elbo_terms  # noqa: E402
from models_lib.training import seed_everything  # noqa: E402


def _loop(config, module, device: torch.device, loss_of: Callable, test_of: Callable) -> float:
    generator = seed_everything(config.seed)
    module.model.to(device)
    (X,) = module.setup(device)
    model = module.model
    optimizer = module.configure_optimizer(device)  # the same builder and decay as the job's
    return timed_epochs(
        model,
        optimizer,
        [X],
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda xb: loss_of(model, xb),
        held_out_loss=lambda: test_of(model, module.X_test),
    )


def _mse(model, x: torch.Tensor) -> torch.Tensor:
    return (model(x).float() - x.float()).square().mean()


def plain_autoencoder(config, data, device: torch.device) -> float:
    """The autoencoder's training (the default, convolutional variant: no penalty term); samples/s."""
    if config.variant not in ("dense", "convolutional"):
        raise ValueError("the plain twin times the dense and convolutional variants")
    return _loop(config, AutoencoderModule(config, data), device, _mse, _mse)


def plain_vae(config, data, device: torch.device) -> float:
    """The VAE's training: one reparameterised sample per input, reconstruction + beta x KL; samples/s."""

    def elbo(model, x: torch.Tensor) -> torch.Tensor:
        recon, kl = elbo_terms(model, x)
        return recon.mean() + config.beta * kl.mean()

    return _loop(config, VAEModule(config, data), device, elbo, elbo)


plain_loop = plain_autoencoder
