"""The pose estimator's targets, losses and scores: Gaussian heatmaps at the true joints, the heatmap losses
(cross-entropy over the pixels, or squared error per pixel) and the soft-argmax loss (distance to the true joint), reading the joints off the
heatmaps (the peak, or soft-argmax) with a confidence, and PCK (a joint is right when it lands within a
share of the figure's size of the truth)."""

from __future__ import annotations

import torch

PCK_ALPHA = 0.1  # PCK@0.1: within a tenth of the figure's size


def gaussian_heatmaps(keypoints: torch.Tensor, side: int, sigma: float) -> torch.Tensor:
    """``[N, K, side, side]``: a bump of height 1 and spread ``sigma`` pixels at each visible joint of
    ``keypoints`` ``[N, K, 3]`` (x, y in pixels, visibility), all zeros for an invisible one. A pixel's
    value is taken at its centre (``+0.5``); the bump is the product of one Gaussian along x and one along y."""
    centres = torch.arange(side, device=keypoints.device, dtype=torch.float32) + 0.5
    x, y, visible = keypoints[..., 0:1].float(), keypoints[..., 1:2].float(), keypoints[..., 2:3].float()
    gx = torch.exp(-((centres - x) ** 2) / (2 * sigma**2))  # [N, K, side]
    gy = torch.exp(-((centres - y) ** 2) / (2 * sigma**2)) * visible
    return gy[..., :, None] * gx[..., None, :]


def mse_heatmap_loss(heatmaps: torch.Tensor, keypoints: torch.Tensor, sigma: float) -> torch.Tensor:
    """Squared error between the heatmaps and the Gaussian bumps, summed over a map's pixels and averaged
    over the visible joints (a joint outside the picture has no place to be drawn, so it is left out)."""
    target = gaussian_heatmaps(keypoints, heatmaps.shape[-1], sigma)
    visible = keypoints[..., 2].float()
    per_map = (heatmaps.float() - target).pow(2).sum((-2, -1))
    return (per_map * visible).sum() / visible.sum().clamp(min=1)


def cross_entropy_heatmap_loss(heatmaps: torch.Tensor, keypoints: torch.Tensor, sigma: float) -> torch.Tensor:
    """Cross-entropy between each heatmap's softmax over its pixels and the Gaussian bump made a
    distribution (divided by its sum), averaged over the visible joints."""
    n, k, h, w = heatmaps.shape
    target = gaussian_heatmaps(keypoints, h, sigma).reshape(n, k, h * w)
    target = target / target.sum(-1, keepdim=True).clamp(min=1e-12)
    visible = keypoints[..., 2].float()
    ce = -(target * heatmaps.float().reshape(n, k, h * w).log_softmax(-1)).sum(-1)
    return (ce * visible).sum() / visible.sum().clamp(min=1)


def soft_argmax(heatmaps: torch.Tensor) -> torch.Tensor:
    """``[N, K, 2]``: each heatmap's softmax over its pixels, and the average pixel centre under it (x, y)."""
    n, k, h, w = heatmaps.shape
    probs = heatmaps.float().reshape(n, k, h * w).softmax(-1).reshape(n, k, h, w)
    xs = torch.arange(w, device=heatmaps.device, dtype=torch.float32) + 0.5
    ys = torch.arange(h, device=heatmaps.device, dtype=torch.float32) + 0.5
    return torch.stack([(probs.sum(-2) * xs).sum(-1), (probs.sum(-1) * ys).sum(-1)], -1)


def soft_argmax_loss(heatmaps: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
    """The mean distance (L1, in pixels) from each visible joint's soft-argmax to the true joint."""
    visible = keypoints[..., 2].float()
    gap = (soft_argmax(heatmaps) - keypoints[..., :2].float()).abs().sum(-1)
    return (gap * visible).sum() / visible.sum().clamp(min=1)


def pose_loss(
    heatmaps: torch.Tensor, keypoints: torch.Tensor, readout: str, heatmap_loss: str, sigma: float
) -> torch.Tensor:
    if readout == "soft_argmax":
        return soft_argmax_loss(heatmaps, keypoints)
    if heatmap_loss == "mse":
        return mse_heatmap_loss(heatmaps, keypoints, sigma)
    return cross_entropy_heatmap_loss(heatmaps, keypoints, sigma)


def peaks(heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each heatmap's highest pixel: its centre (x, y) ``[N, K, 2]`` moved a quarter of a pixel towards the
    higher of its two neighbours along each axis (the usual correction for a peak that falls between
    pixels), and its height ``[N, K]``."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.float().reshape(n, k, h * w)
    height, index = flat.max(-1)
    row, col = index // w, index % w

    def at(r: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return flat.gather(-1, (r.clamp(0, h - 1) * w + c.clamp(0, w - 1))[..., None])[..., 0]

    dx = torch.sign(at(row, col + 1) - at(row, col - 1)) * ((col > 0) & (col < w - 1))
    dy = torch.sign(at(row + 1, col) - at(row - 1, col)) * ((row > 0) & (row < h - 1))
    xy = torch.stack([col.float() + 0.5 + 0.25 * dx, row.float() + 0.5 + 0.25 * dy], -1)
    return xy, height


def peak_mass(heatmaps: torch.Tensor) -> torch.Tensor:
    """``[N, K]``: the share of each heatmap's softmax within two pixels of its highest pixel (the 5 x 5
    pixels around it that lie in the picture; a bump of spread 1 pixel puts 97 % there). Read from the
    25 pixels and the map's log-sum-exp, without the whole softmax or a pooling over every pixel (that took a
    twentieth of the training time)."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.float().reshape(n, k, h * w)
    index = flat.argmax(-1)
    offsets = torch.arange(-2, 3, device=heatmaps.device)
    rows = (index // w)[..., None, None] + offsets[:, None]  # [N, K, 5, 1]
    cols = (index % w)[..., None, None] + offsets[None, :]  # [N, K, 1, 5]
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    near = flat.gather(-1, (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).reshape(n, k, 25)).reshape(n, k, 5, 5)
    return (torch.exp(near - flat.logsumexp(-1)[..., None, None]) * inside).sum((-2, -1))


def read_joints(
    heatmaps: torch.Tensor, readout: str, heatmap_loss: str = "cross_entropy"
) -> tuple[torch.Tensor, torch.Tensor]:
    """The joints ``[N, K, 2]`` (x, y in pixels) and their confidence ``[N, K]`` in 0..1: the peak
    (argmax) or the soft-argmax; the confidence is the softmax's share around the peak, or (heatmaps
    trained with squared error, not probabilities) the peak's height clipped to 0..1."""
    if readout == "soft_argmax":
        return soft_argmax(heatmaps), peak_mass(heatmaps)
    xy, height = peaks(heatmaps)
    return xy, height.clamp(0, 1) if heatmap_loss == "mse" else peak_mass(heatmaps)


def figure_size(keypoints: torch.Tensor) -> torch.Tensor:
    """``[N]``: the longest side of the box around each figure's visible true joints, in pixels (the
    reference length of PCK, as Yang and Ramanan's PCK takes it)."""
    visible = keypoints[..., 2:3] > 0
    xy = keypoints[..., :2].float()
    high = torch.where(visible, xy, torch.full_like(xy, -1e9)).amax(1)
    low = torch.where(visible, xy, torch.full_like(xy, 1e9)).amin(1)
    return (high - low).clamp(min=0).amax(-1)


def joint_hits(xy: torch.Tensor, keypoints: torch.Tensor, alpha: float = PCK_ALPHA) -> torch.Tensor:
    """bool ``[N, K]``: the visible joints found within ``alpha`` times their figure's size of the truth."""
    distance = (xy.float() - keypoints[..., :2].float()).norm(dim=-1)
    limit = alpha * figure_size(keypoints)[:, None]
    return (distance <= limit) & (keypoints[..., 2] > 0)


def pck(xy: torch.Tensor, keypoints: torch.Tensor, alpha: float = PCK_ALPHA) -> torch.Tensor:
    """The share of the visible joints found within ``alpha`` times their figure's size of the truth."""
    visible = (keypoints[..., 2] > 0).sum()
    return joint_hits(xy, keypoints, alpha).sum().float() / visible.clamp(min=1)


def pixel_error(xy: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
    """The mean distance in pixels from each visible joint to its truth."""
    visible = (keypoints[..., 2] > 0).float()
    distance = (xy.float() - keypoints[..., :2].float()).norm(dim=-1)
    return (distance * visible).sum() / visible.sum().clamp(min=1)
