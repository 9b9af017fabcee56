"""The detector's live views: predicted against true boxes on fixed validation images (with a score and
an NMS-IoU slider that filter on the page), and the average precision of each class over the run. The loss
split and the mAP curve are metric charts."""

from __future__ import annotations

import torch
from torchvision.ops import batched_nms

from models_lib.kit.figures import (
    PALETTE,
    class_history_figure,
    image_figure,
    image_tiles,
    markup,
    tile_grid,
    top_matter,
)
from models_lib.registry import View

BOXES_VIEW = View(
    "boxes",
    "Predicted and true boxes",
    "Fixed validation images with their true boxes (dashed white) and the boxes the network finds now, "
    "coloured by class with their scores. Move the sliders: a higher score keeps only sure boxes; a lower "
    "NMS IoU merges overlapping boxes of one class into the surest.",
)
CLASS_AP = View(
    "class_ap",
    "Average precision per class",
    "How well each class is found on the test split, epoch by epoch: the area under its precision-recall "
    "curve, a box counting as found when it overlaps a true one by half (IoU 0.5). The dashed line is their "
    "mean, the mAP@0.5.",
)

PROPOSALS_VIEW = View(
    "proposals",
    "The region proposals (two-stage)",
    "What the first stage hands the second: the region proposal network's best boxes on two images, the "
    "surest drawn boldest, before the head names any of them. Early on they are anchors scattered at "
    "random; as the network learns they crowd onto the objects (true boxes dashed white). Only the "
    "two-stage detector draws this.",
    when=(("variant", "two_stage"),),
)

VIEWS = (BOXES_VIEW, CLASS_AP, PROPOSALS_VIEW)

TILE = 128  # px: each validation image is scaled up to this side
GAP = 4
COLS = 3
DEFAULT_SCORE = 0.3  # the score slider's starting point
MAX_CLASSES_DRAWN = 10


def class_colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def _rect(x0: float, y0: float, x1: float, y1: float) -> tuple[list, list]:
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def kept_boxes(candidates: list[list[float]], score: float, nms_iou: float) -> list[list[float]]:
    """The candidates (rows of tile, x0, y0, x1, y1, score, class) the page shows at these slider settings:
    score at least ``score``, then non-maximum suppression per tile and class (torchvision's; the page
    does the same in ``static/js/box-filter.js``)."""
    rows = [r for r in candidates if r[5] >= score]
    if not rows:
        return []
    t = torch.tensor(rows, dtype=torch.float64)
    groups = t[:, 0] * 1000 + t[:, 6]
    keep = batched_nms(t[:, 1:5], t[:, 5], groups.long(), nms_iou)
    return [rows[i] for i in sorted(keep.tolist())]


def truth_trace(truths: list[torch.Tensor], place) -> dict:
    """Every true box of the shown images as one dashed white trace; ``place(i, box)`` puts image ``i``'s
    box where its tile is drawn."""
    xs, ys = [], []
    for i, truth in enumerate(truths):
        for row in truth:
            x, y = _rect(*place(i, row[1:5]))
            xs += x
            ys += y
    return {
        "type": "scatter",
        "mode": "lines",
        "x": xs or [None],
        "y": ys or [None],
        "name": "true boxes",
        "line": {"color": "#ffffff", "width": 1.5, "dash": "dash"},
        "hoverinfo": "skip",
    }


def predicted_traces(candidates: list[list[float]], class_names: list[str], score: float, nms_iou: float) -> list[dict]:
    """One trace per class: its kept boxes as closed outlines, each labelled with its score on hover."""
    traces = []
    kept = kept_boxes(candidates, score, nms_iou)
    for k, name in enumerate(class_names):
        xs, ys, text = [], [], []
        for row in kept:
            if int(row[6]) != k:
                continue
            x, y = _rect(*row[1:5])
            xs += x
            ys += y
            text += [f"{row[5]:.2f}"] * 5 + [None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs or [None],
                "y": ys or [None],
                "text": text or [None],
                "name": name,
                "meta": "predicted",
                "line": {"color": class_colour(k), "width": 2},
                "hovertemplate": markup("%{fullData.name}<br>score %{text}<extra></extra>"),
            }
        )
    return traces


def boxes_figure(
    images: torch.Tensor,
    truths: list[torch.Tensor],
    found: list[dict[str, torch.Tensor]],
    class_names: list[str],
    where: str,
    nms_iou: float,
) -> dict:
    """The images in a grid, their true boxes dashed, the predicted ones by class; ``layout.meta`` holds every
    candidate box so that the page's sliders can filter them (``static/js/box-filter.js``)."""
    side = int(images.shape[-1])
    tiles = image_tiles(images, side=TILE, max_side=TILE)
    scale = tiles[0].shape[0] / side
    grid, step = tile_grid(tiles, cols=COLS, gap=GAP)
    fig = image_figure(grid, "boxes")

    def place(i: int, box) -> list[float]:
        r, c = divmod(i, COLS)
        return [
            round(c * step + float(box[0]) * scale, 1),
            round(r * step + float(box[1]) * scale, 1),
            round(c * step + float(box[2]) * scale, 1),
            round(r * step + float(box[3]) * scale, 1),
        ]

    fig["data"].append(truth_trace(truths, place))
    candidates = [
        [i, *place(i, box), round(float(s), 3), int(label)]
        for i, f in enumerate(found)
        for box, s, label in zip(f["boxes"], f["scores"], f["labels"], strict=True)
    ]
    fig["data"] += predicted_traces(candidates, class_names, DEFAULT_SCORE, nms_iou)
    fig["layout"]["meta"] = {
        "filter": "boxes",
        "candidates": candidates,
        "score": DEFAULT_SCORE,
        "nms_iou": nms_iou,
    }
    top_matter(fig["layout"], f"{where} images: found (by class) and true (dashed)", ["true boxes", *class_names])
    return fig


SHOWN_PROPOSALS_PER_IMAGE = 15
PROPOSAL_COLOUR = "#ffd23f"


def proposals_figure(
    images: torch.Tensor,
    truths: list[torch.Tensor],
    proposals: list[tuple[torch.Tensor, torch.Tensor]],
    where: str,
) -> dict:
    """The images side by side, their true boxes dashed and the RPN's best proposals on each, the line's
    opacity its objectness (hover for the number and the rank)."""
    side = int(images.shape[-1])
    tiles = image_tiles(images, side=2 * TILE, max_side=2 * TILE)
    scale = tiles[0].shape[0] / side
    cols = len(tiles)
    grid, step = tile_grid(tiles, cols=cols, gap=GAP)
    fig = image_figure(grid, "proposals")

    def place(i: int, box) -> list[float]:
        return [
            round(i * step + float(box[k]) * scale, 1) if k % 2 == 0 else round(float(box[k]) * scale, 1)
            for k in range(4)
        ]

    fig["data"].append(truth_trace(truths, place))
    for i, (boxes, scores) in enumerate(proposals):
        for rank, (box, score) in enumerate(zip(boxes[:SHOWN_PROPOSALS_PER_IMAGE], scores, strict=False)):
            x, y = _rect(*place(i, box))
            fig["data"].append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x,
                    "y": y,
                    "name": "proposals",
                    "legendgroup": "proposals",
                    "showlegend": i == 0 and rank == 0,
                    "opacity": round(0.25 + 0.75 * float(score), 3),
                    "line": {"color": PROPOSAL_COLOUR, "width": 2 if rank < 3 else 1},
                    "hovertemplate": markup(f"proposal {rank + 1}<br>objectness {float(score):.2f}<extra></extra>"),
                }
            )
    top_matter(
        fig["layout"],
        f"{where} images: the {SHOWN_PROPOSALS_PER_IMAGE} best proposals of each (bolder: surer) and the true boxes",
        ["true boxes", "proposals"],
    )
    return fig


def class_ap_figure(history: list[tuple[float, list[float | None]]], class_names: list[str]) -> dict:
    """One line per class (the first ``MAX_CLASSES_DRAWN``): its AP@0.5 at each measured epoch; their mean dashed."""
    colours = [class_colour(k) for k in range(len(class_names))]
    return class_history_figure(
        history,
        class_names,
        colours,
        score="AP at IoU 0.5",
        mean="mAP@0.5",
        key="class_ap",
        title="test AP@0.5 per class",
        most=MAX_CLASSES_DRAWN,
    )
