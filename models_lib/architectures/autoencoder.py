"""Autoencoders: an encoder squeezes the input into a short code, a decoder rebuilds the input
from it, and the loss is the reconstruction error, so no labels are needed.

Variants: dense (fully connected), convolutional (strided convolutions down, upsampling and
convolutions back up), denoising (the dense net fed a corrupted input, asked for the clean one),
sparse (an L1 penalty on a ReLU code), contractive (a penalty on the encoder's Jacobian, in closed
form for the ReLU network) and LSTM (recurrent encoder and decoder over windows of a time series).
Every run also fits PCA with the same code size on the training split: the linear baseline the
network has to beat.

The building blocks (convolutional trunks, PCA, the image and scatter figures, data preparation)
are shared with :mod:`models_lib.architectures.vae`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.figures import PALETTE, image_figure, sample_indices, tile_grid, upscale
from models_lib.hparams import HParams, HParamsError, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    TrainingModule,
    fit_module,
    prepare_run,
    small_step,
    to_device,
)

__all__ = [
    "Autoencoder",
    "AutoencoderHParams",
    "AutoencoderModule",
    "ConvDecoder",
    "ConvEncoder",
    "DenseEncoder",
    "LSTMAutoencoder",
    "Prepared",
    "build_model",
    "build_optimizer",
    "check_conv_depth",
    "check_fits",
    "conv_sides",
    "cosine_lr",
    "dense_stack",
    "error_histogram_figure",
    "image_rows_figure",
    "image_tiles",
    "pca_errors",
    "pca_fit",
    "pick_shown",
    "prepare_data",
    "project_2d",
    "rounded",
    "run",
    "scatter_figure",
    "sequence_reconstruction_figure",
    "spec",
    "table_reconstruction_figure",
]

MAX_CHANNELS = 256
EVAL_CHUNK = 512  # test samples per forward pass in evaluation
MAX_POINTS = 500  # points drawn in the code-space view
MAX_TILES = 10  # samples shown in the reconstruction grid
MAX_FEATURES = 40  # table columns shown in the reconstruction heatmaps
N_SEQUENCES = 3  # windows drawn in the sequence reconstruction view
N_WORST = 6  # highest-error samples shown in the anomaly view
HIST_BINS = 30
TILE = 32  # image tiles are scaled up to at least this side
MAX_TILE = 48  # and larger images shrunk to at most this side
PCA_ROWS = 5000  # PCA is fitted on at most this many training rows
DENSE_VARIANTS = ("dense", "denoising", "sparse", "contractive")


class AutoencoderHParams(HParams):
    variant: Literal["dense", "convolutional", "denoising", "sparse", "contractive", "lstm"] = knob(
        "convolutional",
        group="architecture",
        title="Variant",
        choice_labels={
            "dense": "Dense",
            "convolutional": "Convolutional (images)",
            "denoising": "Denoising",
            "sparse": "Sparse (L1 on the code)",
            "contractive": "Contractive (Jacobian penalty)",
            "lstm": "LSTM (time series)",
        },
        description="Dense: fully connected layers. Convolutional: convolutions down and back up (images only). "
        "Denoising, sparse and contractive: the dense network trained with corrupted inputs, an L1 penalty on "
        "the code, or a penalty on how fast the code moves with the input. LSTM: recurrent encoder and decoder "
        "over windows of a time series (time series only).",
        effect="Convolutional rebuilds images far better than dense for the same code size; the penalties trade "
        "some reconstruction error for a code that is sparser or steadier.",
    )
    code_size: int = knob(
        8,
        ge=1,
        le=256,
        group="architecture",
        title="Code size",
        description="Numbers in the bottleneck code, the compressed form of each sample.",
        effect="Larger codes rebuild better but compress less; as large as the input, the network could just copy it.",
    )
    hidden_units: int = knob(
        128,
        ge=4,
        le=1024,
        group="architecture",
        title="Hidden units",
        description="Units per dense hidden layer (dense variants, and the dense layer next to the code in the "
        "convolutional one), or the LSTM's hidden state size.",
        effect="More units fit more detail but train slower and overfit small datasets sooner.",
    )
    channels: int = knob(
        32,
        ge=2,
        le=128,
        group="architecture",
        title="Channels (convolutional)",
        description="Filters in the full-size convolutions; each stride-2 stage doubles them (at most 256).",
        effect="More channels capture more shapes and rebuild sharper images, at a higher cost per step.",
    )
    depth: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Depth",
        description="Hidden layers of the dense encoder, stride-2 stages of the convolutional one (each halves "
        "the image), or stacked LSTM layers. The decoder mirrors the encoder.",
        effect="Deeper encoders can follow more curved data but are harder to train; larger images want more "
        "stages (fewer weights before the code), 8x8 digits one.",
    )
    activation: Literal["silu", "relu"] = knob(
        "silu",
        group="architecture",
        title="Activation (convolutional)",
        choice_labels={"silu": "SiLU (smooth)", "relu": "ReLU"},
        description="Non-linearity after every convolution and dense hidden layer of the convolutional variant "
        "(the dense variants use ReLU).",
        effect="SiLU is smooth, so gradients never switch off and the rebuilt strokes come out finer; ReLU is "
        "a little cheaper and can leave units dead.",
    )
    batch_norm: bool = knob(
        True,
        group="architecture",
        title="Batch normalisation (convolutional)",
        description="Normalise each channel over the batch after every convolution.",
        effect="Trains faster and usually generalises better to held-out images.",
    )
    noise: float = knob(
        0.2,
        ge=0.0,
        le=2.0,
        group="regularisation",
        title="Input noise (denoising)",
        description="Standard deviation of the Gaussian noise added to each input value in the denoising variant "
        "(images are 0..1; tables are standardised, so 1 is one standard deviation).",
        effect="More noise forces the network to learn what real data looks like; too much and it only "
        "rebuilds an average sample.",
    )
    sparsity: float = knob(
        0.05,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Sparsity weight (sparse)",
        description="Weight of the mean absolute code value added to the loss in the sparse variant.",
        effect="Higher silences more code units (each one specialises); too high and the code carries too "
        "little to rebuild the input.",
    )
    contraction: float = knob(
        0.01,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Contraction weight (contractive)",
        description="Weight of the squared Frobenius norm of the encoder's Jacobian (per input value) added to the "
        "loss in the contractive variant.",
        effect="Higher makes the code ignore small changes of the input (steadier, smoother code); too high "
        "flattens it and the reconstructions blur.",
    )
    window: int = knob(
        48,
        ge=4,
        le=512,
        group="data",
        title="Window (LSTM)",
        description="Time steps in each window of the series the LSTM autoencoder rebuilds.",
        effect="Longer windows hold more of the pattern (whole seasons) but are harder to squeeze into the code.",
    )
    optimizer: Literal["sgd", "sgd_momentum", "adam"] = knob(
        "adam",
        group="optimisation",
        title="Optimizer",
        choice_labels={"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam"},
        description="Rule that turns gradients into weight updates.",
        effect="adam adapts the step per weight and is forgiving; plain sgd needs a well-chosen, larger learning rate.",
    )
    learning_rate: float = knob(
        0.003,
        ge=1e-5,
        le=10.0,
        group="optimisation",
        title="Learning rate",
        description="Size of each update step (the peak, with the cosine schedule).",
        effect="Higher learns faster until it overshoots and the loss jumps or becomes NaN; lower is steady but slow.",
    )
    weight_decay: float = knob(
        1.0,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Weight decay",
        description="Each step shrinks every weight matrix and filter by this factor times the learning rate "
        "(AdamW's decoupled decay with Adam, so 1 with a rate of 0.003 takes 0.3% off per step; L2 decay with "
        "SGD). Biases and batch-norm scales are left alone.",
        effect="A little keeps weights small so the network generalises to unseen samples; too much and it "
        "rebuilds only a blurred average.",
    )
    lr_schedule: Literal["cosine", "constant"] = knob(
        "cosine",
        group="optimisation",
        title="Learning-rate schedule",
        choice_labels={"cosine": "cosine decay to zero", "constant": "constant"},
        description="Keep the learning rate fixed, or let it fall along a half cosine to zero by the last step.",
        effect="The cosine decay settles into a lower reconstruction error at the end; constant keeps learning "
        "at full speed but jitters.",
    )
    batch_size: int = knob(
        32,
        ge=1,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Samples per gradient step.",
        effect="Smaller batches give noisier, more frequent updates (which also regularise); larger ones are "
        "smoother and faster on a GPU.",
    )
    epochs: int = knob(
        50,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description="Passes over the training data.",
        effect="More epochs lower the training error; the test error stops falling once the network starts memorising.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights, the batch order and the noise.",
        effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
    )


def _bad(field: str, message: str) -> HParamsError:
    return HParamsError([{"field": field, "message": message}])


# ------------------------------------------------------------------------------ data


@dataclass
class Prepared:
    """What an autoencoder trains on: flat tables, images or (time-major) windows, on the CPU.

    ``colour`` holds one number per test sample for the code-space view: a class index
    (``colour_kind == "class"``) or a value such as a regression target or a season phase.
    """

    kind: str  # "images" | "tabular" | "timeseries"
    train: torch.Tensor
    test: torch.Tensor
    val: torch.Tensor | None
    colour: np.ndarray
    colour_kind: str  # "class" | "value"
    colour_name: str
    class_names: list[str]
    val_colour: np.ndarray | None = None
    # time series only: window starts and the window means removed, to draw in original units
    val_starts: np.ndarray | None = None
    val_offsets: np.ndarray | None = None
    series_mean: float = 0.0
    series_std: float = 1.0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train.shape[1:])

    @property
    def n_values(self) -> int:
        return int(np.prod(self.sample_shape))

    @property
    def shown(self) -> torch.Tensor:
        """The split the reconstruction views draw from: validation when there is one."""
        return self.val if self.val is not None and len(self.val) else self.test

    @property
    def shown_colour(self) -> np.ndarray:
        return (
            self.val_colour if self.val is not None and len(self.val) and self.val_colour is not None else self.colour
        )


def _series_windows(norm: np.ndarray, a: int, b: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows lying wholly in ``[a, b)``, each minus its own mean: (starts, windows N×L×C, means N×1×C)."""
    starts = np.arange(a, b - window + 1, dtype=np.int64)
    W = (
        norm[starts[:, None] + np.arange(window)[None, :]]
        if len(starts)
        else np.zeros((0, window, norm.shape[1]), np.float32)
    )
    off = W.mean(1, keepdims=True) if len(starts) else np.zeros((0, 1, norm.shape[1]), np.float32)
    return starts, (W - off).astype(np.float32), off.astype(np.float32)


def check_series(window: int, data: TensorData) -> None:
    m = data.meta
    train_end, val_end, T = int(m["train_end"]), int(m["val_end"]), len(m["series"])
    if window > train_end // 2:
        raise _bad("window", f"the training part has {train_end} steps; use a window of at most {train_end // 2}")
    if window > T - val_end:
        raise _bad("window", f"the test part has only {T - val_end} steps; use a window of at most {T - val_end}")


def prepare_data(data: TensorData, window: int = 48) -> Prepared:
    """Tensors for an autoencoder: images ``[N, C, S, S]`` in 0..1, tables ``[N, F]`` (standardised) or
    windows ``[N, L, C]`` of a series (standardised with the train part, each window centred on its mean)."""
    val = data.meta.get("X_val")
    val = val if isinstance(val, torch.Tensor) and len(val) else None
    y_val = data.meta.get("y_val")
    if data.kind == "timeseries":
        m = data.meta
        series = np.asarray(m["series"], dtype=np.float32)
        if series.ndim == 1:
            series = series[:, None]
        mean, std = np.asarray(m["mean"], np.float32), np.asarray(m["std"], np.float32)
        norm = (series - mean) / std
        train_end, val_end = int(m["train_end"]), int(m["val_end"])
        _, tr, _ = _series_windows(norm, 0, train_end, window)
        te_starts, te, _ = _series_windows(norm, val_end, len(series), window)
        va_starts, va, va_off = _series_windows(norm, train_end, val_end, window)
        season = int(m.get("season") or 1)

        def colour(starts):
            return (starts % season).astype(np.float64) if season > 1 else starts.astype(np.float64)

        return Prepared(
            kind="timeseries",
            train=torch.from_numpy(tr),
            test=torch.from_numpy(te),
            val=torch.from_numpy(va) if len(va) else None,
            colour=colour(te_starts),
            colour_kind="value",
            colour_name=f"phase in the season of {season}" if season > 1 else "window start",
            class_names=[],
            val_colour=colour(va_starts),
            val_starts=va_starts,
            val_offsets=va_off[:, 0, 0],
            series_mean=float(mean[0]),
            series_std=float(std[0]),
        )
    classify = data.task == "classify"
    y_val_np = y_val.numpy() if isinstance(y_val, torch.Tensor) and val is not None else None
    return Prepared(
        kind=data.kind,
        train=data.X_train.float(),
        test=data.X_test.float(),
        val=val.float() if val is not None else None,
        colour=data.y_test.numpy().astype(np.float64),
        colour_kind="class" if classify else "value",
        colour_name="class" if classify else "target",
        class_names=list(data.class_names),
        val_colour=y_val_np.astype(np.float64) if y_val_np is not None else None,
    )


# ------------------------------------------------------------------------------ PCA


def pca_fit(X: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``[D]`` and the top ``k`` principal directions ``[k, D]`` of the rows of ``X`` (flattened)."""
    X = X.flatten(1).float()
    if len(X) > PCA_ROWS:
        X = X[torch.as_tensor(sample_indices(len(X), PCA_ROWS), device=X.device)]
    mean = X.mean(0)
    Xc = X - mean
    k = min(k, *Xc.shape)
    if Xc.shape[0] * Xc.shape[1] <= 20_000_000:
        _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
        return mean, Vh[:k]
    _, _, V = torch.svd_lowrank(Xc, q=min(k + 10, *Xc.shape), niter=4)
    return mean, V[:, :k].T


def pca_errors(X: torch.Tensor, mean: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Mean squared error per sample of the rank-``k`` PCA reconstruction."""
    Xc = X.flatten(1).float() - mean
    return (Xc @ basis.T @ basis - Xc).square().mean(1)


def project_2d(points: torch.Tensor, previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``[n, k]`` → ``[n, 2]``: as they are for k ≤ 2 (a zero column for k = 1), else onto the top two
    principal directions, signs turned to agree with ``previous`` so the picture does not flip between updates."""
    points = points.float()
    if points.shape[1] <= 2:
        pad = torch.zeros(len(points), 2 - points.shape[1], device=points.device)
        return torch.cat([points, pad], 1), torch.eye(2, device=points.device)
    centred = points - points.mean(0)
    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)
    basis = Vh[:2]
    if previous is not None and previous.shape == basis.shape:
        basis = basis * torch.where((basis * previous).sum(1, keepdim=True) < 0, -1.0, 1.0)
    return centred @ basis.T, basis


# ------------------------------------------------------------------------------ the networks


ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "silu": nn.SiLU}


def _act(name: str) -> nn.Module:
    return ACTIVATIONS[name](inplace=True)


def _conv_block(c_in: int, c_out: int, stride: int, bn: bool, act: str = "relu") -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(_act(act))
    return layers


def conv_sides(side: int, depth: int) -> list[int]:
    """Image side at the full size and after each stride-2 stage."""
    sides = [side]
    for _ in range(depth):
        sides.append((sides[-1] + 1) // 2)
    return sides


def check_conv_depth(side: int, depth: int) -> None:
    sides = conv_sides(side, depth)
    if any(s == 1 for s in sides[:-1]):
        most = sides.index(1)
        raise _bad(
            "depth",
            f"the {side}x{side} images shrink to 1x1 after {most} stride-2 stages; "
            f"use a depth of at most {max(most, 1)}",
        )


class ConvEncoder(nn.Module):
    """Two 3x3 convolutions at full size, ``depth`` stride-2 stages (each doubling the channels),
    then a dense hidden layer and a linear layer to ``n_out`` numbers."""

    def __init__(
        self,
        in_channels: int,
        side: int,
        channels: int,
        depth: int,
        hidden: int,
        n_out: int,
        bn: bool,
        act: str = "relu",
    ):
        super().__init__()
        layers = _conv_block(in_channels, channels, 1, bn, act) + _conv_block(channels, channels, 1, bn, act)
        c = channels
        for _ in range(depth):
            layers += _conv_block(c, min(2 * c, MAX_CHANNELS), 2, bn, act)
            c = min(2 * c, MAX_CHANNELS)
        s = conv_sides(side, depth)[-1]
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Sequential(nn.Linear(c * s * s, hidden), _act(act), nn.Linear(hidden, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: dense layers to the smallest feature map, then per stage a
    nearest-neighbour upsampling to the encoder's size there and a 3x3 convolution; returns the
    output before any squashing (logits or raw values)."""

    def __init__(
        self,
        n_in: int,
        out_channels: int,
        side: int,
        channels: int,
        depth: int,
        hidden: int,
        bn: bool,
        act: str = "relu",
    ):
        super().__init__()
        sides = conv_sides(side, depth)
        chans = [channels]
        for _ in range(depth):
            chans.append(min(2 * chans[-1], MAX_CHANNELS))
        c, s = chans[-1], sides[-1]
        self.head = nn.Sequential(
            nn.Linear(n_in, hidden), _act(act), nn.Linear(hidden, c * s * s), _act(act), nn.Unflatten(1, (c, s, s))
        )
        layers: list[nn.Module] = []
        for i in reversed(range(depth)):
            layers += [
                nn.Upsample(size=sides[i], mode="bilinear", align_corners=False),
                *_conv_block(chans[i + 1], chans[i], 1, bn, act),
            ]
        layers += _conv_block(channels, channels, 1, bn, act) + [nn.Conv2d(channels, out_channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.head(z))


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


def dense_stack(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


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
        out = out.reshape(len(z), *self.sample_shape)
        return torch.sigmoid(out) if self.squash else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def check_fits(config: AutoencoderHParams, data: TensorData) -> None:
    """Refuse a variant or a size that does not suit the dataset, naming the knob."""
    c = config
    if data.kind == "timeseries":
        if c.variant != "lstm":
            raise _bad("variant", f"{c.variant} does not read sequences; use lstm for a time series")
        check_series(c.window, data)
        n_values = c.window * int(np.asarray(data.meta["series"]).reshape(len(data.meta["series"]), -1).shape[1])
    else:
        if c.variant == "lstm":
            raise _bad(
                "variant",
                f"lstm reads time series, and this dataset is {data.kind}; "
                "use convolutional or dense for images, dense for a table",
            )
        if c.variant == "convolutional" and data.kind != "images":
            raise _bad("variant", "convolutional needs images; use dense, denoising, sparse or contractive for a table")
        if c.variant == "convolutional":
            check_conv_depth(int(data.X_train.shape[-1]), c.depth)
        n_values = int(np.prod(data.X_train.shape[1:]))
    if c.code_size >= n_values:
        raise _bad(
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


def build_optimizer(
    kind: str, lr: float, model: nn.Module, device: torch.device, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """Adam (AdamW: decoupled decay when ``weight_decay`` > 0) or SGD; fused kernels on CUDA.

    Decay applies to weight matrices and filters only, not to biases or batch-norm scales."""
    extra = {"fused": True} if device.type == "cuda" else {}
    params = list(model.parameters())
    groups: list[dict] | list[nn.Parameter] = params
    if weight_decay > 0:
        groups = [
            {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
        ]
    if kind == "adam":
        opt = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
        return opt(groups, lr=lr, **extra)
    return torch.optim.SGD(groups, lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0, **extra)


def cosine_lr(peak: float, step: int, total: int) -> float:
    """Half a cosine from ``peak`` at step 0 to zero at ``total``."""
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


SMALL_BATCH_MACS = (
    50e6  # multiply-adds per step below which one CPU thread beats several (measured: 2 threads win at ~90e6)
)


# ------------------------------------------------------------------------------ figures


def rounded(values, decimals: int = 3) -> list:
    """Rounded floats for JSON; NaN and infinities (a diverging run) become None, which JSON has."""
    a = np.round(np.asarray(values, dtype=np.float64), decimals)
    return np.where(np.isfinite(a), a, None).tolist() if not np.isfinite(a).all() else a.tolist()


def image_tiles(images: torch.Tensor, side: int = TILE, max_side: int = MAX_TILE) -> list[np.ndarray]:
    """``[N, C, S, S]`` in 0..1 as uint8 tiles: small images scaled up (nearest) to at least ``side``
    pixels, large ones averaged down to at most ``max_side`` on the device (figures stay small)."""
    images = images.detach().float().clamp(0, 1)
    if images.shape[-1] > max_side:
        images = F.adaptive_avg_pool2d(images, max_side)
    return [upscale(to_uint8_hwc(img), side) for img in images.cpu()]


def image_rows_figure(
    rows: Sequence[Sequence[np.ndarray]], labels: Sequence[str], key: str, title: str = "", label_h: int = 14
) -> dict:
    """Rows of equal-size tiles, each under a white band holding its label (Plotly hides annotations
    outside the axes' range, so the labels sit inside the image)."""
    cols = max(len(r) for r in rows)
    blank = np.full_like(rows[0][0], 255)
    strips = [tile_grid(list(r) + [blank] * (cols - len(r)), cols=cols, gap=3)[0] for r in rows]
    band = np.full((label_h,) + strips[0].shape[1:], 255, np.uint8)
    img = np.concatenate([part for strip in strips for part in (band, strip)], 0)
    h = strips[0].shape[0]
    ann = [
        {
            "x": 0,
            "y": i * (h + label_h) + label_h - 2,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "text": text,
            "font": {"size": 10},
        }
        for i, text in enumerate(labels)
        if text
    ]
    fig = image_figure(img, key, ann, margin={"l": 10, "r": 10, "t": 30 if title else 10, "b": 10})
    if title:
        fig["layout"]["title"] = {"text": title, "font": {"size": 12}}
    return fig


DIVERGING = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]  # blue below the mean, red above


def table_reconstruction_figure(
    inputs: np.ndarray, outputs: np.ndarray, feature_names: Sequence[str], key: str, title: str
) -> dict:
    """Two heatmaps side by side, samples as rows and (standardised) columns as columns."""
    f = min(inputs.shape[1], MAX_FEATURES)
    names = [str(n)[:12] for n in list(feature_names)[:f]]
    rows = [f"#{i}" for i in range(len(inputs))]
    lim = float(max(np.abs(inputs[:, :f]).max(), 1e-6))
    common = {
        "type": "heatmap",
        "x": names,
        "y": rows,
        "zmin": -lim,
        "zmax": lim,
        "colorscale": DIVERGING,
        "hovertemplate": "%{y}, %{x}: %{z}<extra></extra>",
    }
    return {
        "data": [
            {**common, "z": rounded(inputs[:, :f], 2), "xaxis": "x", "yaxis": "y", "showscale": False},
            {
                **common,
                "z": rounded(outputs[:, :f], 2),
                "xaxis": "x2",
                "yaxis": "y",
                "colorbar": {"title": {"text": "std. units"}, "thickness": 10, "len": 0.8},
            },
        ],
        "layout": {
            "uirevision": key,
            "title": {"text": title, "font": {"size": 12}},
            "xaxis": {"domain": [0, 0.45], "tickangle": -60, "tickfont": {"size": 9}},
            "xaxis2": {"domain": [0.5, 0.95], "tickangle": -60, "tickfont": {"size": 9}},
            "yaxis": {"autorange": "reversed", "type": "category"},
            "annotations": [
                {
                    "text": "input",
                    "x": 0.225,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                },
                {
                    "text": "reconstruction",
                    "x": 0.725,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                },
            ],
            "margin": {"l": 40, "r": 10, "t": 44, "b": 90},
        },
    }


def sequence_reconstruction_figure(
    starts: np.ndarray, inputs: np.ndarray, outputs: np.ndarray, key: str, title: str
) -> dict:
    """One small panel per window: the input (grey) and its reconstruction (coloured), original units."""
    n = len(starts)
    traces: list[dict] = []
    layout: dict = {
        "uirevision": key,
        "title": {"text": title, "font": {"size": 12}},
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "legend": {"orientation": "h", "y": -0.15},
    }
    gap = 0.06
    height = (1 - gap * (n - 1)) / n
    for i in range(n):
        t = (starts[i] + np.arange(inputs.shape[1])).tolist()
        suffix = "" if i == 0 else str(i + 1)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": t,
                "y": rounded(inputs[i]),
                "name": "input",
                "legendgroup": "input",
                "showlegend": i == 0,
                "line": {"color": "#7f7f7f", "width": 1.5},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": t,
                "y": rounded(outputs[i]),
                "name": "reconstruction",
                "legendgroup": "reconstruction",
                "showlegend": i == 0,
                "line": {"color": PALETTE[3], "width": 2},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        top = 1 - i * (height + gap)
        layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "title": {"text": "time step" if i == n - 1 else ""}}
        layout[f"yaxis{suffix}"] = {"domain": [max(top - height, 0), top], "anchor": f"x{suffix}"}
    return {"data": traces, "layout": layout}


def scatter_figure(
    points: np.ndarray,
    colour: np.ndarray,
    colour_kind: str,
    colour_name: str,
    class_names: Sequence[str],
    key: str,
    axis_titles: tuple[str, str],
    title: str,
    hover_ids: np.ndarray | None = None,
) -> dict:
    """Points coloured by class (one legend entry each) or by a value (a colour scale)."""
    ids = hover_ids if hover_ids is not None else np.arange(len(points))
    traces: list[dict] = []
    if colour_kind == "class":
        for c, name in enumerate(class_names):
            mask = colour == c
            if not mask.any():
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": str(name),
                    "x": rounded(points[mask, 0]),
                    "y": rounded(points[mask, 1]),
                    "customdata": ids[mask].tolist(),
                    "hovertemplate": f"{name}<br>sample #%{{customdata}}<extra></extra>",
                    "marker": {"size": 6, "color": PALETTE[c % len(PALETTE)], "opacity": 0.85},
                }
            )
    else:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": colour_name,
                "x": rounded(points[:, 0]),
                "y": rounded(points[:, 1]),
                "customdata": np.stack([ids, np.round(colour, 3)], 1).tolist(),
                "hovertemplate": f"sample #%{{customdata[0]}}<br>{colour_name} %{{customdata[1]}}<extra></extra>",
                "marker": {
                    "size": 6,
                    "color": rounded(colour),
                    "colorscale": "Viridis",
                    "opacity": 0.85,
                    "colorbar": {"title": {"text": colour_name}, "thickness": 10, "len": 0.8},
                },
            }
        )
    return {
        "data": traces,
        "layout": {
            "uirevision": key,
            "title": {"text": title, "font": {"size": 12}},
            "xaxis": {"title": {"text": axis_titles[0]}, "zeroline": False},
            "yaxis": {"title": {"text": axis_titles[1]}, "zeroline": False},
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
            "legend": {"orientation": "v", "x": 1.02, "y": 1.0, "yanchor": "top", "title": {"text": colour_name}},
        },
    }


def error_histogram_figure(
    errors: np.ndarray, worst: np.ndarray, tiles: list[np.ndarray] | None, pca_mse: float
) -> dict:
    """Histogram of per-sample errors with the highest ones marked; for images, those samples (input
    above reconstruction) in a strip underneath."""
    errors = np.nan_to_num(errors, nan=0.0, posinf=0.0, neginf=0.0)
    hi = float(errors.max()) if len(errors) else 1.0
    edges = np.linspace(0.0, hi * 1.0001 + 1e-12, HIST_BINS + 1)
    counts, _ = np.histogram(errors, edges)
    centres = (edges[:-1] + edges[1:]) / 2
    traces: list[dict] = [
        {
            "type": "bar",
            "x": rounded(centres, 6),
            "y": counts.tolist(),
            "width": float(edges[1] - edges[0]),
            "marker": {"color": PALETTE[0]},
            "name": "test samples",
            "hovertemplate": "error ≈ %{x:.3g}<br>%{y} samples<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": rounded(errors[worst], 6),
            "y": [0] * len(worst),
            "marker": {"symbol": "triangle-up", "size": 10, "color": PALETTE[3]},
            "name": "highest errors",
            "customdata": worst.tolist(),
            "hovertemplate": "test sample #%{customdata}<br>error %{x:.4g}<extra></extra>",
        },
    ]
    top = int(counts.max()) if len(counts) else 1
    layout: dict = {
        "uirevision": "error_histogram",
        "title": {
            "text": f"test reconstruction error per sample; dotted: PCA's mean ({pca_mse:.3g})",
            "font": {"size": 12},
        },
        "xaxis": {"title": {"text": "mean squared error of the sample", "standoff": 4}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "samples"}},
        "shapes": [
            {
                "type": "line",
                "x0": pca_mse,
                "x1": pca_mse,
                "y0": 0,
                "y1": top,
                "yref": "y",
                "line": {"color": "#7f7f7f", "dash": "dot", "width": 1.5},
            }
        ],
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "showlegend": False,
        "bargap": 0.05,
    }
    if tiles:
        n = len(worst)
        strip_in, _ = tile_grid(tiles[:n], cols=n, gap=4)
        strip_out, _ = tile_grid(tiles[n:], cols=n, gap=4)
        fig = image_rows_figure(
            [tiles[:n], tiles[n:]],
            ["the highest errors (red marks above): inputs", "reconstructions"],
            "error_histogram",
        )
        img = fig["data"][0]
        traces.append({**img, "xaxis": "x2", "yaxis": "y2"})
        w = strip_in.shape[1]
        h = 2 * (strip_in.shape[0] + 14)
        axis = {"visible": False, "showgrid": False, "zeroline": False}
        layout["yaxis"]["domain"] = [0.55, 1.0]
        layout["xaxis2"] = {**axis, "range": [-0.5, w - 0.5], "anchor": "y2", "domain": [0.0, 1.0]}
        layout["yaxis2"] = {
            **axis,
            "range": [h - 0.5, -0.5],
            "scaleanchor": "x2",
            "anchor": "x2",
            "domain": [0.0, 0.36],
        }
        layout["annotations"] = [{**a, "xref": "x2", "yref": "y2"} for a in fig["layout"]["annotations"]]
        layout["margin"]["b"] = 10
    return {"data": traces, "layout": layout}


# ------------------------------------------------------------------------------ training


def pick_shown(prepared: Prepared, n: int) -> np.ndarray:
    """Fixed indices into ``prepared.shown``: one sample per class first (for class data), then in order."""
    colour = prepared.shown_colour
    total = len(prepared.shown)
    if prepared.colour_kind != "class" or colour is None:
        return np.linspace(0, total - 1, min(n, total)).round().astype(np.int64) if total else np.zeros(0, np.int64)
    first = [int(np.flatnonzero(colour == c)[0]) for c in range(len(prepared.class_names)) if (colour == c).any()]
    rest = [i for i in range(total) if i not in set(first)]
    return np.asarray((first + rest)[:n], dtype=np.int64)


class AutoencoderModule(TrainingModule):
    def __init__(self, config: AutoencoderHParams, data: TensorData):
        self.config = config
        self.data = data
        self.prep = prepare_data(data, config.window)
        if not len(self.prep.train) or not len(self.prep.test):
            raise ValueError("the dataset has no training or no test samples to rebuild")
        self.model = build_model(config, self.prep)
        self.view_keys = [v.key for v in spec.views_for(data)]
        self._steps = 0
        # (step, test errors, test penalty, test codes)
        self._cache: tuple[int, torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._basis: torch.Tensor | None = None

    # -- data --------------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        p, c = self.prep, self.config
        self.device = device
        self.model.to(device)
        train = to_device(p.train, device)
        self.X_test = to_device(p.test, device)
        self.X_val = to_device(p.val, device) if p.val is not None else None
        mean, basis = pca_fit(train, c.code_size)
        self.pca_test = pca_errors(self.X_test, mean, basis)  # per test sample
        self.pca_mse = float(self.pca_test.mean())
        self.pca_rmse = torch.tensor(math.sqrt(self.pca_mse), device=device)
        self.total_steps = math.ceil(len(train) / max(1, min(c.batch_size, len(train)))) * c.epochs
        shown = pick_shown(p, MAX_TILES if p.kind == "images" else (N_SEQUENCES if p.kind == "timeseries" else 8))
        self.shown_index = shown
        self.shown = to_device(p.shown[torch.as_tensor(shown)], device)
        # fixed corruption for the views and the test loss of the denoising variant
        g = torch.Generator().manual_seed(c.seed + 1)
        self.shown_noise = to_device(torch.randn(self.shown.shape, generator=g), device)
        self.points = torch.as_tensor(sample_indices(len(p.test), MAX_POINTS, c.seed), device=device)
        return [train]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        self.optimizer = build_optimizer(
            self.config.optimizer, self.config.learning_rate, self.model, device, self.config.weight_decay
        )
        return self.optimizer

    # -- training ----------------------------------------------------------------------------
    def _corrupt(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        noise = torch.randn_like(x) if noise is None else noise
        return x + self.config.noise * noise

    def _objective(
        self, x: torch.Tensor, x_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction error per sample, penalty, reconstruction, code) for input ``x_in`` and
        target ``x``."""
        c, model = self.config, self.model
        penalty = torch.zeros((), device=x.device)
        if c.variant == "contractive":
            code, jac = model.encoder.code_and_jacobian_penalty(x_in)
            penalty = c.contraction * jac
        else:
            code = model.encode(x_in)
            if c.variant == "sparse":
                penalty = c.sparsity * code.float().abs().mean()
        out = model.decode(code)
        err = (out.float() - x.float()).square().flatten(1).mean(1)
        return err, penalty, out, code

    def training_step(self, batch):
        (x,) = batch
        c = self.config
        if c.lr_schedule == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = cosine_lr(c.learning_rate, self._steps, self.total_steps)
        self._steps += 1
        x_in = self._corrupt(x) if c.variant == "denoising" else x
        err, penalty, _, _ = self._objective(x, x_in)
        recon = err.mean()
        loss = recon + penalty
        return loss, (loss.detach(), recon.detach())

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        return {"train_loss": torch.stack([r[0] for r in records]).float().mean()}

    def _test(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample reconstruction errors on the clean test split and the mean penalty; reused while no
        training step has happened since."""
        if self._cache is not None and self._cache[0] == self._steps:
            return self._cache[1], self._cache[2]
        errs, pens, codes = [], [], []
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            x = self.X_test[i : i + EVAL_CHUNK]
            err, pen, _, code = self._objective(x, x)
            errs.append(err)
            pens.append(pen * len(x))
            codes.append(code)
        errors = torch.cat(errs)
        penalty = torch.stack(pens).sum() / len(self.X_test)
        self._cache = (self._steps, errors, penalty, torch.cat(codes))
        return errors, penalty

    def _point_codes(self) -> torch.Tensor:
        """The codes of the code-space view's test samples: from the test pass when no step has
        happened since (views wait for the epoch end), else encoded now."""
        if self._cache is not None and self._cache[0] == self._steps:
            return self._cache[3].index_select(0, self.points)
        return self.model.encode(self.X_test.index_select(0, self.points))

    def test_metrics(self) -> dict[str, torch.Tensor]:
        errors, penalty = self._test()
        mse = errors.mean()
        out = {"test_loss": mse + penalty, "test_rmse": mse.sqrt(), "test_pca_baseline_rmse": self.pca_rmse}
        if self.X_val is not None:
            err, _, _, _ = self._objective(self.X_val[: EVAL_CHUNK * 4], self.X_val[: EVAL_CHUNK * 4])
            out["val_rmse"] = err.mean().sqrt()
        return out

    # -- views -------------------------------------------------------------------------------
    def views(self) -> dict[str, dict]:
        figs: dict[str, dict] = {}
        keys = self.view_keys
        if "reconstructions" in keys:
            figs["reconstructions"] = self._reconstructions_figure()
        if "code_space" in keys:
            figs["code_space"] = self._code_space_figure()
        if "error_histogram" in keys:
            figs["error_histogram"] = self._error_figure()
        return figs

    def _reconstructions_figure(self) -> dict:
        p, c = self.prep, self.config
        x = self.shown
        split = "validation" if p.val is not None else "test"
        if c.variant == "denoising":
            noisy = self._corrupt(x, self.shown_noise)
            out = self.model(noisy)
        else:
            noisy, out = None, self.model(x)
        if p.kind == "images":
            rows = [image_tiles(x)]
            labels = [f"{split} images"]
            if noisy is not None:
                rows.append(image_tiles(noisy))
                labels.append(f"with noise (std {c.noise:g}), as the encoder sees them")
            rows.append(image_tiles(out))
            labels.append("reconstructions")
            return image_rows_figure(rows, labels, "reconstructions")
        if p.kind == "timeseries":
            idx = self.shown_index
            scale, mean = p.series_std, p.series_mean
            off = p.val_offsets[idx][:, None] if p.val is not None else 0.0
            inputs = (x[:, :, 0].float().cpu().numpy() + off) * scale + mean
            outputs = (out[:, :, 0].float().cpu().numpy() + off) * scale + mean
            starts = p.val_starts[idx] if p.val is not None else idx
            target = (self.data.meta.get("channels") or ["value"])[0]
            return sequence_reconstruction_figure(
                starts, inputs, outputs, "reconstructions", f"{split} windows of {target}: input vs reconstruction"
            )
        note = " (the noisy inputs are not shown)" if noisy is not None else ""
        return table_reconstruction_figure(
            x.float().cpu().numpy(),
            out.float().cpu().numpy(),
            self.data.feature_names,
            "reconstructions",
            f"{split} rows: input vs reconstruction{note}",
        )

    def _code_space_figure(self) -> dict:
        p, c = self.prep, self.config
        codes = self._point_codes().float()
        flat, self._basis = project_2d(codes, self._basis)
        pts = flat.cpu().numpy()
        if c.code_size == 1:
            pts[:, 1] = np.random.default_rng(0).uniform(-1, 1, len(pts))  # a strip: the spread has no meaning
            axes = ("code", "random jitter (no meaning)")
        elif c.code_size == 2:
            axes = ("code 1", "code 2")
        else:
            axes = ("first principal direction of the code", "second principal direction")
        title = f"codes of {len(pts)} test samples" + (
            f", projected from {c.code_size} numbers by PCA" if c.code_size > 2 else ""
        )
        if c.variant == "sparse":
            zero = float((codes == 0).float().mean())
            title += f"; {zero:.0%} of the code values are exactly zero"
        ids = self.points.cpu().numpy()
        return scatter_figure(
            pts, p.colour[ids], p.colour_kind, p.colour_name, p.class_names, "code_space", axes, title, hover_ids=ids
        )

    def _error_figure(self) -> dict:
        errors, _ = self._test()
        worst = torch.topk(errors, min(N_WORST, len(errors))).indices
        tiles = None
        if self.prep.kind == "images":
            x = self.X_test.index_select(0, worst)
            tiles = image_tiles(x) + image_tiles(self.model(x))
        return error_histogram_figure(errors.float().cpu().numpy(), worst.cpu().numpy(), tiles, self.pca_mse)

    # -- messages ----------------------------------------------------------------------------
    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        c = self.config
        lr = c.learning_rate
        hint = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        if c.variant == "contractive":
            hint += f", or the contraction weight (now {c.contraction:g})"
        if c.variant == "convolutional" and not c.batch_norm:
            hint += ", or turn on batch normalisation"
        return hint

    def out_of_memory_hint(self) -> str:
        c = self.config
        what = (
            f"channels (now {c.channels})" if c.variant == "convolutional" else f"hidden_units (now {c.hidden_units})"
        )
        extra = f", the window (now {c.window})" if c.variant == "lstm" else ""
        return f"lower batch_size (now {c.batch_size}), {what}{extra} or depth"

    def start_messages(self) -> list[str]:
        d, c, p = self.data, self.config, self.prep
        what = {"images": "images", "tabular": "rows", "timeseries": f"windows of {c.window} steps"}[p.kind]
        shape = "x".join(str(s) for s in p.sample_shape)
        return [
            f"dataset {d.name or 'uploaded'}: {len(p.train):,} train / {len(p.test):,} test {what} of {shape} values; "
            f"{c.variant} autoencoder, code of {c.code_size}",
            f"PCA with the same code size ({c.code_size} components, fitted on the training split): test MSE "
            f"{self.pca_mse:.4g} (RMSE {math.sqrt(self.pca_mse):.4g}), the linear baseline to beat",
        ]


VIEWS = (
    ViewSpec(
        "reconstructions",
        "Input vs reconstruction",
        "A few fixed validation samples and what the decoder rebuilds from their codes: images above their "
        "rebuilds, table rows as colour maps, time-series windows as lines.",
    ),
    ViewSpec(
        "code_space",
        "Code space",
        "Where the encoder puts each test sample, in two dimensions (the top two principal directions when "
        "the code is wider), coloured by class, target or season phase. The labels are only used for colour.",
    ),
    ViewSpec(
        "error_histogram",
        "Reconstruction errors (anomalies)",
        "How many test samples rebuild with each error; the tail holds the unusual ones, marked and, for "
        "images, shown. The dotted line is PCA's mean error with the same code size.",
    ),
)


@register(
    slug="autoencoder",
    name="Autoencoders",
    family="generative",
    task="classify, regress, forecast",
    data_kinds=("images", "tabular", "timeseries"),
    hparams=AutoencoderHParams,
    views=VIEWS,
    default_dataset="digits",
    summary="An encoder squeezes each sample into a short code and a decoder rebuilds it; trained on the "
    "reconstruction error alone, no labels needed. Dense, convolutional, denoising, sparse, contractive and LSTM.",
)
def run(
    config: AutoencoderHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 1.0,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train an autoencoder: images, tables (labels only colour the views) or windows of a time series."""
    config, device, generator = prepare_run(spec, config, data, device)
    check_fits(config, data)
    module = AutoencoderModule(config, data)
    return fit_module(
        module,
        config,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=small_step(module.model, module.prep.train[:1], config.batch_size, SMALL_BATCH_MACS),
        resume=resume,
    )


spec = run.spec
