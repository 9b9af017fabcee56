"""Datasets as tensors: built-in generators and tables, and ``from_arrays`` for uploads."""

from models_lib.data import (
    builtin_colours,  # noqa: F401,E402  (registers colours)
    builtin_graphs,  # noqa: F401,E402  (registers karate, karate-4, sbm)
    builtin_images,  # noqa: F401,E402  (registers digits, shapes)
    builtin_pairs,  # noqa: F401,E402  (registers dates, number-words, reverse, sort)
    builtin_pose,  # noqa: F401,E402  (registers stick-figures)
    builtin_scenes,  # noqa: F401,E402  (registers scenes, scene-masks)
    builtin_sequences,  # noqa: F401,E402  (registers sine, sawtooth, seasonal, rivers_text)
    builtin_text,  # noqa: F401,E402  (registers keepers_log)
    builtin_trees,  # noqa: F401,E402  (registers sentiment-trees)
)
from models_lib.data.builtin import (
    BuiltinInfo,
    GaussiansOptions,
    PointsOptions,
    SplitOptions,
    UnknownDataset,
    builtin_all,
    builtin_get,
    load,
)
from models_lib.data.tensors import Graph, Ragged, Split, TensorData, from_arrays

__all__ = [
    "BuiltinInfo",
    "GaussiansOptions",
    "PointsOptions",
    "SplitOptions",
    "Graph",
    "Ragged",
    "Split",
    "TensorData",
    "UnknownDataset",
    "builtin_all",
    "builtin_get",
    "from_arrays",
    "load",
]
