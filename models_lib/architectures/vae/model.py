"""Variational autoencoder: the encoder returns a distribution over codes (a mean and a spread),
the decoder rebuilds the input from a code drawn from it, and a KL term pulls every such
distribution toward the unit Gaussian, so codes drawn from that Gaussian decode to new samples.

The loss is the negative evidence lower bound (ELBO), per sample: the reconstruction term
(Bernoulli likelihood for images in 0..1, a unit-variance Gaussian for standardised tables)
plus ``beta`` times the KL divergence. ``beta`` > 1 is the β-VAE.
Encoder and decoder are dense, or convolutional (images), built from the kit's blocks (:mod:`models_lib.kit.blocks`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.hparams import bad_knob
from models_lib.kit.blocks import ConvDecoder, ConvEncoder, check_conv_depth, dense_stack
from models_lib.kit.reconstruction import Prepared

from .knobs import VAEHParams

LOGVAR_RANGE = 10.0  # the encoder's log-variance is clamped to ±this, against overflow of exp


class VAE(nn.Module):
    """``encoder`` gives ``2 * latent`` numbers (mean and log-variance); ``decoder`` gives the
    likelihood's parameters: logits for images, means for tables."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent: int, sample_shape: Sequence[int], images: bool):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.latent = latent
        self.sample_shape = tuple(sample_shape)
        self.images = images

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-LOGVAR_RANGE, LOGVAR_RANGE)

    def decode_raw(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (images) or means (tables), shaped like the samples."""
        return self.decoder(z).reshape(
            z.shape[0], *self.sample_shape
        )  # shape[0], not len(): an export keeps the batch free

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """What a code stands for: pixel intensities in 0..1, or table values."""
        out = self.decode_raw(z)
        return torch.sigmoid(out) if self.images else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])


def check_fits(config: VAEHParams, data: TensorData) -> None:
    if config.network == "convolutional":
        if data.kind != "images":
            raise bad_knob("network", "convolutional needs images; use dense for a table")
        check_conv_depth(int(data.X_train.shape[-1]), config.depth)
    n_values = int(np.prod(data.X_train.shape[1:]))
    if config.latent_size >= n_values:
        raise bad_knob(
            "latent_size",
            f"a latent size of {config.latent_size} is not smaller than the {n_values} input "
            f"values; use at most {max(n_values - 1, 1)}",
        )


def build_model(config: VAEHParams, prepared: Prepared) -> VAE:
    c = config
    shape = prepared.sample_shape
    k = c.latent_size
    if c.network == "convolutional":
        C, S = shape[0], shape[-1]
        enc = ConvEncoder(C, S, c.channels, c.depth, c.hidden_units, 2 * k, True)
        dec = ConvDecoder(k, C, S, c.channels, c.depth, c.hidden_units, True)
    else:
        D = prepared.n_values
        enc = nn.Sequential(nn.Flatten(), dense_stack([D, c.hidden_units, c.hidden_units, 2 * k]))
        dec = dense_stack([k, c.hidden_units, c.hidden_units, D])
    return VAE(enc, dec, k, shape, images=prepared.kind == "images")


def elbo_parts(
    model: VAE, x: torch.Tensor, eps: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction term (−log p(x|z), one z drawn), KL(q(z|x) ‖ N(0, I)) in nats, the
    decoder's raw output for that z (logits for images: training never needs the pixels) and the
    code means."""
    mu, logvar = model.encode(x)
    mu, logvar = mu.float(), logvar.float()
    eps = torch.randn_like(mu) if eps is None else eps
    z = mu + torch.exp(0.5 * logvar) * eps
    out = model.decode_raw(z).float()
    if model.images:
        recon = F.binary_cross_entropy_with_logits(out, x.float(), reduction="none").flatten(1).sum(1)
    else:
        recon = 0.5 * (out - x.float()).square().flatten(1).sum(1)
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1)
    return recon, kl, out, mu


def elbo_terms(model: VAE, x: torch.Tensor, eps: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction term (−log p(x|z), one z drawn) and KL(q(z|x) ‖ N(0, I)), in nats."""
    recon, kl, _, _ = elbo_parts(model, x, eps)
    return recon, kl
