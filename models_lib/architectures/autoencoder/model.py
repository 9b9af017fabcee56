"""Autoencoders: an encoder squeezes the input into a short code, a decoder rebuilds the input
from it, and the loss is the reconstruction error, so no labels are needed.

Variants: dense (fully connected), convolutional (strided convolutions down, upsampling and
convolutions back up), denoising (the dense net fed a corrupted input, asked for the clean one),
sparse (an L1 penalty on a ReLU code), contractive (a penalty on the encoder's Jacobian, in closed
form for the ReLU network) and LSTM (recurrent encoder and decoder over windows of a time series).
Every run also fits PCA with the same code size on the training split: the linear baseline the
network has to beat.

The blocks it shares with the VAE (convolutional trunks, PCA, data preparation, the image and scatter
figures) are in :mod:`models_lib.kit`.
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
from models_lib.kit.reconstruction import Prepared, check_series

from .knobs import AutoencoderHParams

DENSE_VARIANTS = ("dense", "denoising", "sparse", "contractive")


class DenseEncoder(nn.Module):
    """Linear layers with ReLU between them; the code is linear, or ReLU for a sparse code.

    :meth:`jacobian_penalty` gives the squared Frobenius norm of ∂code/∂input in closed form:
    for ReLU layers the Jacobian is ``D_L W_L … D_1 W_1`` with ``D`` the 0/1 masks of active units,
    built from the code side (k rows) so it costs about k backward passes of matrix products.
    """

    def __init__(self, sizes: Sequence[int], relu_code: bool = False):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.relu_code = relu_code

    def _run(self, x: torch.Tensor, keep_masks: bool):
        h, masks = x.flatten(1), []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            pre = layer(h)
            if i < last or self.relu_code:
                h = F.relu(pre)
                if keep_masks:
                    masks.append((pre > 0).to(pre.dtype))
            else:
                h = pre
                if keep_masks:
                    masks.append(None)
        return h, masks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, False)[0]

    def code_and_jacobian_penalty(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The code and the mean over the batch of ‖∂code/∂x‖²_F divided by the input size."""
        code, masks = self._run(x, True)
        G: torch.Tensor | None = None  # rows: ∂code_j / ∂(layer input), [B, k, width]
        for layer, mask in zip(reversed(self.layers), reversed(masks), strict=True):
            W = layer.weight
            if G is None:
                G = W.unsqueeze(0).expand(x.shape[0], -1, -1)
                if mask is not None:
                    G = G * mask.unsqueeze(2)
            else:
                if mask is not None:
                    G = G * mask.unsqueeze(1)
                G = G @ W
        assert G is not None
        return code, G.float().square().sum((1, 2)).mean() / G.shape[2]


class LSTMAutoencoder(nn.Module):
    """An LSTM reads the window into its last hidden state, a linear layer makes the code; the decoder
    LSTM starts from a state made of the code, is fed the code at every step and writes the window."""

    def __init__(self, channels: int, hidden: int, layers: int, code: int, window: int):
        super().__init__()
        self.window, self.layers = window, layers
        self.encoder = nn.LSTM(channels, hidden, layers, batch_first=True)
        self.to_code = nn.Linear(hidden, code)
        self.from_code = nn.Linear(code, hidden)
        self.decoder = nn.LSTM(code, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, channels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.encoder(x)
        return self.to_code(h[-1])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h0 = torch.tanh(self.from_code(z)).unsqueeze(0).expand(self.layers, -1, -1).contiguous()
        out, _ = self.decoder(z.unsqueeze(1).expand(-1, self.window, -1), (h0, torch.zeros_like(h0)))
        return self.head(out)


class Autoencoder(nn.Module):
    """``encoder`` and ``decoder``; image outputs go through a sigmoid (pixels are 0..1)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, sample_shape: Sequence[int], squash: bool):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.sample_shape = tuple(sample_shape)
        self.squash = squash

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.encode(x) if isinstance(self.encoder, LSTMAutoencoder) else self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = self.encoder.decode(z) if isinstance(self.encoder, LSTMAutoencoder) else self.decoder(z)
        out = out.reshape(z.shape[0], *self.sample_shape)  # shape[0], not len(): an export keeps the batch free
        return torch.sigmoid(out) if self.squash else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def check_fits(config: AutoencoderHParams, data: TensorData) -> None:
    """Refuse a variant or a size that does not suit the dataset, naming the knob."""
    c = config
    if data.kind == "timeseries":
        if c.variant != "lstm":
            raise bad_knob("variant", f"{c.variant} does not read sequences; use lstm for a time series")
        check_series(c.window, data)
        n_values = c.window * int(np.asarray(data.meta["series"]).reshape(len(data.meta["series"]), -1).shape[1])
    else:
        if c.variant == "lstm":
            raise bad_knob(
                "variant",
                f"lstm reads time series, and this dataset is {data.kind}; "
                "use convolutional or dense for images, dense for a table",
            )
        if c.variant == "convolutional" and data.kind != "images":
            raise bad_knob(
                "variant", "convolutional needs images; use dense, denoising, sparse or contractive for a table"
            )
        if c.variant == "convolutional":
            check_conv_depth(int(data.X_train.shape[-1]), c.depth)
        n_values = int(np.prod(data.X_train.shape[1:]))
    if c.code_size >= n_values:
        raise bad_knob(
            "code_size",
            f"a code of {c.code_size} is not smaller than the {n_values} input values, so the "
            f"network could just copy them; use at most {max(n_values - 1, 1)}",
        )


def build_model(config: AutoencoderHParams, prepared: Prepared) -> Autoencoder:
    c = config
    shape = prepared.sample_shape
    squash = prepared.kind == "images"
    if c.variant == "lstm":
        net = LSTMAutoencoder(shape[-1], c.hidden_units, c.depth, c.code_size, shape[0])
        return Autoencoder(net, nn.Identity(), shape, squash=False)
    if c.variant == "convolutional":
        C, S = shape[0], shape[-1]
        enc = ConvEncoder(C, S, c.channels, c.depth, c.hidden_units, c.code_size, c.batch_norm, c.activation)
        dec = ConvDecoder(c.code_size, C, S, c.channels, c.depth, c.hidden_units, c.batch_norm, c.activation)
        return Autoencoder(enc, dec, shape, squash)
    D = prepared.n_values
    sizes = [D] + [c.hidden_units] * c.depth + [c.code_size]
    return Autoencoder(DenseEncoder(sizes, relu_code=c.variant == "sparse"), dense_stack(sizes[::-1]), shape, squash)
