"""The pose estimator's live views: the predicted skeletons against the truth on fixed validation images,
one figure's heatmaps, PCK per body part over the run, and what the confidence threshold keeps."""

from __future__ import annotations

import numpy as np

from models_lib.data.builtin_pose import SKELETON_BODY, SKELETON_LEFT, SKELETON_RIGHT, draw_skeleton
from models_lib.kit.figures import PALETTE, axis, image_rows_figure, markup, rounded, top_matter
from models_lib.registry import View

SKELETONS = View(
    "skeletons",
    "Skeletons on validation images",
    "Fixed validation images (top row), their true skeletons, and the skeletons the network finds now, its "
    "left side red and its right side blue. A joint whose confidence is under the threshold knob is not drawn. "
    "The same images every epoch, so you see the limbs settle.",
)
HEATMAPS = View(
    "heatmaps",
    "One figure's heatmaps",
    "The first validation figure and the network's heatmap for each of its joints (bright where it puts the "
    "joint), left and right side by side. Early on they are blurs over the whole body; a trained network "
    "draws one tight spot per joint.",
)
JOINT_PCK = View(
    "joint_pck",
    "PCK per body part",
    "The share of each body part's joints found within a tenth of the figure's size, on the test split, epoch "
    "by epoch (left and right together). The head and the shoulders learn first; hands and feet, at the ends "
    "of two moving limbs, last, and the hips, close together, are easy to swap.",
)
CONFIDENCE = View(
    "confidence",
    "What the confidence threshold keeps",
    "On the test split, for a few thresholds: the share of the joints in the picture that would be drawn, and "
    "the share of the drawn joints that are right (within PCK's distance). A higher threshold draws fewer "
    "joints, but more of those it draws are right. The dotted line is the threshold knob.",
)

VIEWS = (SKELETONS, HEATMAPS, JOINT_PCK, CONFIDENCE)

# Body parts of the PCK view: joint names that share a part (left and right together)
PARTS = ("head", "neck", "shoulder", "elbow", "hand", "hip", "knee", "foot")
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
HEAT = np.array([[0, 0, 0], [90, 20, 120], [220, 60, 60], [250, 170, 40], [255, 255, 200]], np.float64)


def part_of(joint_name: str) -> str:
    """The body part a joint belongs to (``"left elbow"`` -> ``"elbow"``); a name outside the stick figures'
    is its own part."""
    return joint_name.split(" ")[-1] if joint_name.split(" ")[-1] in PARTS else joint_name


def heat_colours(v: np.ndarray) -> np.ndarray:
    """Values in 0..1 as uint8 ``[..., 3]`` from black through purple and red to pale yellow."""
    pos = np.clip(v, 0, 1) * (len(HEAT) - 1)
    low = np.floor(pos).astype(int).clip(0, len(HEAT) - 2)
    t = (pos - low)[..., None]
    return np.rint(HEAT[low] * (1 - t) + HEAT[low + 1] * t).astype(np.uint8)


def _legend_traces() -> list[dict]:
    """The colour key of the skeletons: traces that draw nothing."""
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"symbol": "square", "size": 10, "color": "#{:02x}{:02x}{:02x}".format(*rgb)},
            "name": name,
            "hoverinfo": "skip",
        }
        for name, rgb in (
            ("left side", SKELETON_LEFT),
            ("right side", SKELETON_RIGHT),
            ("head and body", SKELETON_BODY),
        )
    ]


def skeletons_figure(
    images: np.ndarray,
    truth: np.ndarray,
    pred: np.ndarray,
    confidence: np.ndarray,
    threshold: float,
    scale: int,
    where: str,
) -> dict:
    """Three rows of tiles: the images (uint8 ``[n, h, w, 3]``), the true skeletons (keypoints ``[n, K, 3]``)
    and the predicted ones (``[n, K, 2]``, the joints with ``confidence`` under ``threshold`` left out)."""

    def up(a: np.ndarray) -> np.ndarray:
        return a.repeat(scale, 0).repeat(scale, 1)

    def faded(a: np.ndarray) -> np.ndarray:  # the figure dimmed, so the skeleton drawn over it stands out
        return up((0.4 * a).astype(np.uint8))

    kept = confidence >= threshold
    rows = [
        [up(im) for im in images],
        [draw_skeleton(faded(im), t[:, :2], scale, t[:, 2] > 0) for im, t in zip(images, truth, strict=True)],
        [draw_skeleton(faded(im), p, scale, k) for im, p, k in zip(images, pred, kept, strict=True)],
    ]
    hidden = int((~kept).sum())
    labels = [f"{where} images", "true skeletons", f"found ({hidden} joints under {threshold:g} not drawn)"]
    fig = image_rows_figure(rows, labels, "skeletons")
    fig["data"] += _legend_traces()
    top_matter(fig["layout"], "", ["left side", "right side", "head and body"])
    return fig


def heatmaps_figure(image: np.ndarray, maps: np.ndarray, joint_names: list[str], scale: int) -> dict:
    """The image (uint8 ``[h, w, 3]``) and each joint's heatmap (``[K, h, w]`` in 0..1, each scaled to its
    own peak) in rows: the figure and the joints without a side, then the left and right joints in pairs
    (the first half of the stick figures' arms, then their legs)."""

    def up(a: np.ndarray) -> np.ndarray:
        return a.repeat(scale, 0).repeat(scale, 1)

    tiles = [up(heat_colours(m / max(float(m.max()), 1e-6))) for m in maps]
    middle = [k for k, n in enumerate(joint_names) if not n.startswith(("left ", "right "))]
    sided = [k for k, n in enumerate(joint_names) if n.startswith(("left ", "right "))]
    rows: list[list[np.ndarray]] = [[up(image)] + [tiles[k] for k in middle]]
    labels = ["the figure, " + ", ".join(joint_names[k] for k in middle)]
    half = -(-len(sided) // 2)
    half += half % 2  # keep a left joint and its right one on the same row
    for part in (sided[:half], sided[half:]):
        if part:
            rows.append([tiles[k] for k in part])
            parts = list(dict.fromkeys(part_of(joint_names[k]) for k in part))
            labels.append("left, right: " + ", ".join(parts))
    return image_rows_figure(rows, labels, "heatmaps")


def joint_pck_figure(history: list[tuple[float, list[float | None]]], parts: list[str]) -> dict:
    """One line per body part: its test PCK at each measured epoch, and all the joints dashed (the last
    column of each row)."""
    epochs = [e for e, _ in history]
    traces = []
    for k, name in enumerate([*parts, "all joints"]):
        last = k == len(parts)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(epochs) < 3 else "lines",
                "x": epochs,
                "y": rounded([row[k] if row[k] is not None else np.nan for _, row in history], 4),
                "name": name,
                "line": {
                    "color": "#000000" if last else PALETTE[k % len(PALETTE)],
                    "width": 2,
                    "dash": "dash" if last else "solid",
                },
                "hovertemplate": markup("%{fullData.name}<br>epoch %{x}<br>PCK %{y:.1%}<extra></extra>"),
            }
        )
    layout = {
        "uirevision": "joint_pck",
        "xaxis": axis("epoch"),
        "yaxis": axis("PCK@0.1", range=[0, 1.02], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {"data": traces, "layout": top_matter(layout, "test PCK per body part", [t["name"] for t in traces])}


def confidence_figure(drawn: list[float], right: list[float], threshold: float) -> dict:
    """For each of ``THRESHOLDS``: the share of the visible joints drawn and the share of the drawn joints
    that are right; the threshold knob as a dotted line."""
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": list(THRESHOLDS),
            "y": rounded(values, 4),
            "name": name,
            "line": {"color": colour, "width": 2},
            "hovertemplate": markup("%{fullData.name}<br>threshold %{x}<br>%{y:.1%}<extra></extra>"),
        }
        for name, values, colour in (
            ("joints drawn", drawn, PALETTE[0]),
            ("drawn joints that are right", right, PALETTE[2]),
        )
    ]
    layout = {
        "uirevision": "confidence",
        "xaxis": axis("confidence threshold", range=[-0.02, 0.92]),
        "yaxis": axis("share", range=[0, 1.02], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "shapes": [
            {
                "type": "line",
                "x0": threshold,
                "x1": threshold,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": "#555555", "dash": "dot", "width": 1},
            }
        ],
    }
    return {"data": traces, "layout": top_matter(layout, "test joints by confidence", [t["name"] for t in traces])}
