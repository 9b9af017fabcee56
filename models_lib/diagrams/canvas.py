"""A tiny layered layout: builders place nodes on a grid of (column, row) cells,
the canvas turns cells into pixels, wraps long chains and boxes groups.

Columns run left to right (the direction of the forward pass); a chain longer
than ``per_row`` wraps onto the next row band. Fractional cells are allowed
(a tree's parent sits between its children). Each node keeps its cell (``col``,
``row``) beside its pixels: on a phone the page draws the diagram turned, the
forward pass running down the screen and each row a column (static/js/diagram.js).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

CELL_W, CELL_H = 150, 104  # grid pitch
NODE_W, NODE_H = 124, 52
PAD_X, PAD_TOP, PAD_BOTTOM = 20, 56, 28  # room for skip arcs above the first row and loops below
GROUP_PAD, GROUP_LABEL = 10, 20


def shape_text(shape: Iterable[int] | int | None) -> str:
    """(8, 28, 28) -> "8×28×28"; 16 -> "16"."""
    if shape is None:
        return ""
    if isinstance(shape, int):
        return str(shape)
    return "×".join(str(int(s)) for s in shape)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def trace(model: nn.Module, example: torch.Tensor | tuple, names: Sequence[str] | None = None) -> dict[str, tuple]:
    """Output shape (without the batch dimension) of each named submodule after one dummy forward.

    ``names`` defaults to the model's direct children. Tuples returned by
    recurrent layers (output, state) give the output's shape.
    """
    wanted = set(names) if names is not None else {n for n, _ in model.named_children()}
    shapes: dict[str, tuple] = {}

    def hook(name):
        def record(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            shapes[name] = tuple(out.shape[1:])

        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n in wanted]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*example) if isinstance(example, tuple) else model(example)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return shapes


def compress(n: int, limit: int) -> list[int | None]:
    """Indices of repeated blocks to draw: all when ``n <= limit``, else the first
    ``limit - 1``, ``None`` (the "× more" marker) and the last."""
    if n <= limit + 1:  # never hide a single block behind a marker
        return list(range(n))
    return [*range(limit - 1), None, n - 1]


class Canvas:
    def __init__(self, slug: str, title: str):
        self.slug, self.title = slug, title
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.groups: dict[str, str] = {}
        self.notes: list[str] = []
        self._ids: set[str] = set()

    # ------------------------------------------------------------ building
    def node(
        self,
        id: str,
        label: str,
        sublabel: str = "",
        kind: str = "op",
        *,
        col: float = 0,
        row: float = 0,
        group: str | None = None,
        params: int | None = None,
        w: int = NODE_W,
        h: int = NODE_H,
        cells: tuple | None = None,
    ) -> str:
        if id in self._ids:
            raise ValueError(f"duplicate diagram node {id!r}")
        self._ids.add(id)
        n: dict[str, Any] = {
            "id": id,
            "label": label,
            "sublabel": sublabel,
            "kind": kind,
            "col": col,
            "row": row,
            "w": w,
            "h": h,
        }
        if group:
            n["group"] = group
        if params is not None:
            n["params"] = int(params)
        if cells:
            n["cells"] = list(cells)
        self.nodes.append(n)
        return id

    def edge(self, a: str, b: str, kind: str = "forward", label: str | None = None) -> None:
        e = {"from": a, "to": b, "kind": kind}
        if label:
            e["label"] = label
        self.edges.append(e)

    def group(self, id: str, label: str) -> str:
        self.groups[id] = label
        return id

    def chain(
        self,
        items: Sequence[dict],
        *,
        col: float = 0,
        row: float = 0,
        per_row: int = 99,
        row_step: float = 1,
        group: str | None = None,
        after: str | None = None,
        edge_kind: str = "forward",
    ) -> list[str]:
        """Place ``items`` (node kwargs) one after another, wrapping after ``per_row``;
        link them with edges, starting from ``after`` when given."""
        ids = []
        prev = after
        for i, item in enumerate(items):
            item = dict(item)
            nid = item.pop("id")
            r, c = divmod(i, per_row)
            self.node(nid, col=col + c, row=row + r * row_step, group=item.pop("group", group), **item)
            if prev is not None:
                self.edge(prev, nid, edge_kind)
            prev = nid
            ids.append(nid)
        return ids

    def note(self, text: str) -> None:
        self.notes.append(text)

    # ------------------------------------------------------------ layout
    def finish(self, params: int | None = None) -> dict[str, Any]:
        nodes = []
        for n in self.nodes:
            n = dict(n)  # keeps its grid cell (col, row): a phone draws the diagram turned (rows as columns)
            col, row = n["col"], n["row"]
            n["x"] = round(PAD_X + col * CELL_W + (NODE_W - n["w"]) / 2)
            n["y"] = round(PAD_TOP + row * CELL_H + (NODE_H - n["h"]) / 2)
            nodes.append(n)
        groups = []
        for gid, label in self.groups.items():
            members = [n for n in nodes if n.get("group") == gid]
            if not members:
                continue
            x0 = min(n["x"] for n in members) - GROUP_PAD
            y0 = min(n["y"] for n in members) - GROUP_PAD - GROUP_LABEL
            x1 = max(n["x"] + n["w"] for n in members) + GROUP_PAD
            y1 = max(n["y"] + n["h"] for n in members) + GROUP_PAD
            groups.append({"id": gid, "label": label, "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0})
        width = max([n["x"] + n["w"] for n in nodes] + [g["x"] + g["w"] for g in groups] + [200]) + PAD_X
        height = max([n["y"] + n["h"] for n in nodes] + [g["y"] + g["h"] for g in groups] + [100]) + PAD_BOTTOM
        known = {n["id"] for n in nodes}
        for e in self.edges:
            if e["from"] not in known or e["to"] not in known:
                raise ValueError(f"diagram edge {e['from']}→{e['to']} names a missing node")
        return {
            "slug": self.slug,
            "title": self.title,
            "nodes": nodes,
            "edges": self.edges,
            "groups": groups,
            "width": int(width),
            "height": int(height),
            "params": int(params) if params is not None else None,
            "notes": self.notes,
        }


class Flow:
    """Places nodes one after another, ``per_row`` to a row band, each linked to the one before.

    A block that must stay on one row (a residual block with its skip arc) asks for its cells
    first with :meth:`need`.
    """

    def __init__(self, canvas: Canvas, *, per_row: int = 8, row_step: float = 1.7, row: float = 0.5):
        self.canvas, self.per_row, self.row_step = canvas, per_row, row_step
        self.col, self.row = 0, row
        self.last: str | None = None

    def need(self, cells: int) -> None:
        """Start a new row band unless ``cells`` more fit on this one."""
        if self.col and self.col + cells > self.per_row:
            self.col, self.row = 0, self.row + self.row_step

    def place(
        self,
        nid: str,
        label: str,
        sublabel: str = "",
        kind: str = "op",
        *,
        params: int | None = None,
        group: str | None = None,
        link: bool = True,
    ) -> str:
        self.need(1)
        self.canvas.node(nid, label, sublabel, kind, col=self.col, row=self.row, params=params, group=group)
        if link and self.last is not None:
            self.canvas.edge(self.last, nid)
        self.last = nid
        self.col += 1
        return nid


_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)
_ACTS = {
    nn.ReLU: "ReLU",
    nn.SiLU: "SiLU",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.GELU: "GELU",
    nn.LeakyReLU: "LReLU",
}
_WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def layer_runs(layers: Iterable[tuple[str, nn.Module]]) -> list[tuple[str, list[nn.Module]]]:
    """Layers grouped as a diagram draws them: a convolution or dense layer with the norms and
    activations right after it is one node (see :func:`run_node`). Each group is named after its last
    layer (the one whose output shape the node shows)."""
    groups: list[tuple[str, list[nn.Module]]] = []
    for name, m in layers:
        if isinstance(m, _NORMS + tuple(_ACTS)) and groups and isinstance(groups[-1][1][0], _WEIGHTED):
            groups[-1] = (name, [*groups[-1][1], m])
        else:
            groups.append((name, [m]))
    return groups


def run_node(group: Sequence[nn.Module], shape: Iterable[int] | int | str | None = None) -> tuple[str, str, str]:
    """(label, sublabel, node kind) of a group from :func:`layer_runs`: the layer itself as the label
    ("Conv 3×3 /2, 64"), what follows it and the output shape as the sublabel ("BN + ReLU → 64×4×4")."""
    head, rest = group[0], group[1:]
    extra = " + ".join("BN" if isinstance(m, _NORMS) else _ACTS.get(type(m), type(m).__name__) for m in rest)
    shape_part = shape if isinstance(shape, str) else shape_text(shape)
    sublabel = f"{extra} → {shape_part}" if extra and shape_part else extra or shape_part
    if isinstance(head, nn.Conv2d | nn.ConvTranspose2d):
        k = head.kernel_size[0]
        up = isinstance(head, nn.ConvTranspose2d)
        stride = (f" ×{head.stride[0]}" if up else f" /{head.stride[0]}") if head.stride[0] > 1 else ""
        return f"{'ConvT' if up else 'Conv'} {k}×{k}{stride}, {head.out_channels}", sublabel, "conv"
    if isinstance(head, nn.Linear):
        return f"Dense {head.in_features}→{head.out_features}", sublabel, "dense"
    if isinstance(head, nn.MaxPool2d | nn.AvgPool2d | nn.AdaptiveAvgPool2d):
        return ("Max pool" if isinstance(head, nn.MaxPool2d) else "Avg pool"), sublabel, "pool"
    if isinstance(head, nn.Upsample):
        return "Upsample", sublabel, "op"
    if isinstance(head, nn.Dropout):
        return f"Dropout {head.p:g}", sublabel, "dropout"
    if isinstance(head, nn.Flatten):
        return "Flatten", sublabel, "op"
    if isinstance(head, nn.Unflatten):
        return "Reshape", sublabel, "op"
    if type(head) in _ACTS:
        return _ACTS[type(head)], sublabel, "activation"
    return type(head).__name__, sublabel, "op"
