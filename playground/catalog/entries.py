"""The catalog: every architecture the Playground teaches, trainable or coming.

The trainable ones are those registered in ``models_lib``; their schema, views and default
dataset come from there. The rest are listed so the catalog is whole from day one.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from models_lib import registry

FAMILIES: tuple[tuple[str, str], ...] = (
    ("foundations", "Foundations"),
    ("vision", "Vision"),
    ("sequences", "Sequences and language"),
    ("generative", "Unsupervised and generative"),
    ("graphs", "Graphs"),
)


@dataclass(frozen=True)
class CatalogEntry:
    slug: str
    name: str
    family: str
    task: str
    data: str
    summary: str

    @property
    def spec(self) -> registry.ArchitectureSpec | None:
        try:
            return registry.get(self.slug)
        except registry.UnknownArchitecture:
            return None

    @property
    def trainable(self) -> bool:
        return self.spec is not None

    @property
    def url(self) -> str:
        return f"/catalog/{self.slug}/"

    @property
    def family_name(self) -> str:
        return dict(FAMILIES)[self.family]


_ENTRIES = (
    CatalogEntry("backprop", "Backpropagation and gradient descent", "foundations", "explain", "a handful of points",
                 "Step through one forward pass, the loss, the chain rule flowing right to left, and the weight update."),
    CatalogEntry("mlp", "Multilayer perceptron", "foundations", "classify, regress", "2-D points, tables",
                 "Layers of weighted sums and non-linearities: the network that bends straight lines into any boundary."),
    CatalogEntry("cnn", "Convolutional network", "vision", "classify", "images",
                 "Small filters slide over an image and share their weights, so the net learns edges, then shapes, then objects."),
    CatalogEntry("detection", "Object detection", "vision", "detect", "images with boxes",
                 "Find every object in a picture, draw a box around it and name it: two-stage and single-shot detectors."),
    CatalogEntry("segmentation", "Semantic segmentation (FCN, U-Net)", "vision", "segment", "images with masks",
                 "Give every pixel a class: shrink the image for context, grow it back for detail."),
    CatalogEntry("pose", "Pose estimation", "vision", "keypoints", "images of figures",
                 "Predict one heatmap per joint and read the skeleton off the peaks."),
    CatalogEntry("rnn", "Recurrent networks (RNN, LSTM, GRU)", "sequences", "regress, generate", "sequences, text",
                 "A loop carries memory from one step to the next; gates decide what to keep and what to forget."),
    CatalogEntry("recursive", "Recursive neural network", "sequences", "classify", "trees of words",
                 "One composition function applied bottom-up over a parse tree, so a phrase is built from its parts."),
    CatalogEntry("seq2seq", "Sequence to sequence", "sequences", "generate", "pairs of sequences",
                 "An encoder reads, a decoder writes, and attention lets the writer look back at what was read."),
    CatalogEntry("transformer", "Transformer", "sequences", "classify, generate", "text, sequences",
                 "Every position attends to every other at once: no recurrence, and training runs in parallel."),
    CatalogEntry("embeddings", "Word embeddings", "sequences", "embed", "text",
                 "Words become points in space where distance carries meaning: Word2Vec, GloVe, FastText and friends."),
    CatalogEntry("autoencoder", "Autoencoders", "generative", "reconstruct", "images, tables, sequences",
                 "Squeeze the input through a narrow code and rebuild it: compression, denoising and anomaly spotting without labels."),
    CatalogEntry("vae", "Variational autoencoder", "generative", "generate", "images",
                 "An autoencoder whose code is a distribution, so sampling the code space makes new data."),
    CatalogEntry("rbm", "Restricted Boltzmann machine", "generative", "reconstruct", "binary images",
                 "Two layers of stochastic units tied by an energy function, trained by contrastive divergence instead of backprop."),
    CatalogEntry("dbn", "Deep belief network", "generative", "classify", "images",
                 "RBMs stacked and trained one layer at a time, then fine-tuned: how deep learning restarted in 2006."),
    CatalogEntry("som", "Self-organizing map", "generative", "embed", "colours, tables",
                 "A grid of units competes for each input and drags its neighbours along, drawing a map of the data."),
    CatalogEntry("gan", "Generative adversarial network", "generative", "generate", "2-D points, images",
                 "A forger and a detective train against each other until the forgeries look real."),
    CatalogEntry("gnn", "Graph neural networks (GCN, GraphSAGE, GAT)", "graphs", "classify, embed", "graphs",
                 "Nodes pass messages to their neighbours; after a few rounds each node knows its neighbourhood."),
)


@cache
def _by_slug() -> dict[str, CatalogEntry]:
    return {e.slug: e for e in _ENTRIES}


def catalog_entries() -> tuple[CatalogEntry, ...]:
    return _ENTRIES


def catalog_entry(slug: str) -> CatalogEntry | None:
    return _by_slug().get(slug)


def catalog_by_family() -> list[tuple[str, str, list[CatalogEntry]]]:
    return [(key, name, [e for e in _ENTRIES if e.family == key]) for key, name in FAMILIES]
