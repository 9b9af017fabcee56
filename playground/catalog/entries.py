"""The catalog: every architecture the Playground teaches, trainable or coming.

The trainable ones are those registered in ``models_lib``; their schema, views and default
dataset come from there. The rest are listed so the catalog is whole from day one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from models_lib import registry

# Entries that are live without a training job: their page is the demo.
INTERACTIVE = frozenset({"backprop"})

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
    # Neighbours worth reading next, each with the one-line reason to compare: ((slug, why), ...).
    compare_with: tuple[tuple[str, str], ...] = ()
    # What the guide matches on: goals this entry serves and kinds of data it takes (see guide.py).
    goals: tuple[str, ...] = ()
    data_tags: tuple[str, ...] = ()

    @property
    def icon(self) -> str:
        return f"images/catalog/{self.slug}.svg"

    @property
    def template(self) -> str:
        return f"catalog/entries/{self.slug}.html"

    @property
    def compare_entries(self) -> list[tuple[CatalogEntry, str]]:
        return [(e, why) for slug, why in self.compare_with if (e := catalog_entry(slug)) is not None]

    @property
    def search_text(self) -> str:
        return " ".join((self.name, self.task, self.data, self.summary, " ".join(self.data_tags))).lower()

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
    def interactive(self) -> bool:
        """Usable today without a training job (the step-through backprop explainer)."""
        return self.slug in INTERACTIVE

    @property
    def url(self) -> str:
        return f"/catalog/{self.slug}/"

    @property
    def family_name(self) -> str:
        return dict(FAMILIES)[self.family]


_ENTRIES = (
    CatalogEntry(
        "backprop",
        "Backpropagation and gradient descent",
        "foundations",
        "explain",
        "a handful of points",
        "Step through one forward pass, the loss, the chain rule flowing right to left, and the weight update.",
        compare_with=(
            ("mlp", "The network whose weights these steps are training."),
            ("rbm", "Learns without backpropagation at all: contrastive divergence instead."),
            ("som", "Another learner with no gradient: competition and neighbourhoods."),
        ),
        goals=("explain",),
        data_tags=("points",),
    ),
    CatalogEntry(
        "mlp",
        "Multilayer perceptron",
        "foundations",
        "classify, regress",
        "2-D points, tables",
        "Layers of weighted sums and non-linearities: the network that bends straight lines into any boundary.",
        compare_with=(
            ("cnn", "Same layers, but local and shared: what changes when the input is an image."),
            ("backprop", "How every weight in an MLP is actually learned."),
            ("dbn", "An MLP whose layers are pre-trained as RBMs before fine-tuning."),
        ),
        goals=("predict_class", "predict_number"),
        data_tags=("table", "points"),
    ),
    CatalogEntry(
        "cnn",
        "Convolutional network",
        "vision",
        "classify",
        "images",
        "Small filters slide over an image and share their weights, so the net learns edges, then shapes, then objects.",
        compare_with=(
            ("mlp", "Why sharing weights beats connecting every pixel to every unit."),
            ("detection", 'A CNN backbone plus boxes: from "what" to "what and where".'),
            ("transformer", "Attention instead of local filters, the other way to read images today."),
        ),
        goals=("predict_class", "predict_number"),
        data_tags=("images",),
    ),
    CatalogEntry(
        "detection",
        "Object detection",
        "vision",
        "detect",
        "images with boxes",
        "Find every object in a picture, draw a box around it and name it: two-stage and single-shot detectors.",
        compare_with=(
            ("segmentation", "Boxes around objects versus an exact outline, pixel by pixel."),
            ("cnn", "The classifier every detector is built on."),
            ("pose", "Another way to say where things are: points instead of boxes."),
        ),
        goals=("find_objects",),
        data_tags=("images",),
    ),
    CatalogEntry(
        "segmentation",
        "Semantic segmentation (FCN, U-Net)",
        "vision",
        "segment",
        "images with masks",
        "Give every pixel a class: shrink the image for context, grow it back for detail.",
        compare_with=(
            ("detection", "An outline per pixel versus a box per object."),
            ("autoencoder", "The same shrink-then-grow shape, trained to rebuild instead of to label."),
            ("pose", "Dense per-pixel output too: heatmaps instead of class masks."),
        ),
        goals=("outline",),
        data_tags=("images",),
    ),
    CatalogEntry(
        "pose",
        "Pose estimation",
        "vision",
        "keypoints",
        "images of figures",
        "Predict one heatmap per joint and read the skeleton off the peaks.",
        compare_with=(
            ("detection", "Boxes say where a person is; keypoints say how they stand."),
            ("segmentation", "Also predicts a map the size of the image, one class per pixel."),
        ),
        goals=("keypoints",),
        data_tags=("images",),
    ),
    CatalogEntry(
        "rnn",
        "Recurrent networks (RNN, LSTM, GRU)",
        "sequences",
        "regress, generate",
        "sequences, text",
        "A loop carries memory from one step to the next; gates decide what to keep and what to forget.",
        compare_with=(
            ("transformer", "Attention replaced the loop: parallel training, longer memory."),
            ("seq2seq", "Two RNNs in a row turn one sequence into another."),
            ("recursive", "The same weights applied over a tree instead of along a line."),
        ),
        goals=("predict_number", "predict_class", "generate"),
        data_tags=("sequence", "text"),
    ),
    CatalogEntry(
        "recursive",
        "Recursive neural network",
        "sequences",
        "classify",
        "trees of words",
        "One composition function applied bottom-up over a parse tree, so a phrase is built from its parts.",
        compare_with=(
            ("rnn", "A chain is just a very lopsided tree."),
            ("gnn", "Message passing over any graph, not only trees."),
            ("transformer", "Learns structure from attention instead of being given a parse tree."),
        ),
        goals=("predict_class",),
        data_tags=("text",),
    ),
    CatalogEntry(
        "seq2seq",
        "Sequence to sequence",
        "sequences",
        "generate",
        "pairs of sequences",
        "An encoder reads, a decoder writes, and attention lets the writer look back at what was read.",
        compare_with=(
            ("rnn", "The encoder and the decoder are often recurrent nets."),
            ("transformer", "The encoder-decoder with attention everywhere and no recurrence."),
            ("autoencoder", "An encoder-decoder too, but it rebuilds its own input."),
        ),
        goals=("generate",),
        data_tags=("text", "sequence"),
    ),
    CatalogEntry(
        "transformer",
        "Transformer",
        "sequences",
        "classify, generate",
        "text, sequences",
        "Every position attends to every other at once: no recurrence, and training runs in parallel.",
        compare_with=(
            ("rnn", "A loop that passes state versus attention that looks everywhere at once."),
            ("seq2seq", "Where attention first appeared, as a helper for recurrent decoders."),
            ("gnn", "Self-attention is message passing on a fully connected graph."),
        ),
        goals=("predict_class", "generate", "embed"),
        data_tags=("text", "sequence"),
    ),
    CatalogEntry(
        "embeddings",
        "Word embeddings",
        "sequences",
        "embed",
        "text",
        "Words become points in space where distance carries meaning: Word2Vec, GloVe, FastText and friends.",
        compare_with=(
            ("transformer", "Vectors that depend on the whole sentence, not one per word."),
            ("gnn", "Node embeddings: the same idea for the points of a graph."),
            ("autoencoder", "Another way to find a small code that keeps what matters."),
        ),
        goals=("embed",),
        data_tags=("text",),
    ),
    CatalogEntry(
        "autoencoder",
        "Autoencoders",
        "generative",
        "reconstruct",
        "images, tables, sequences",
        "Squeeze the input through a narrow code and rebuild it: compression, denoising and anomaly spotting without labels.",
        compare_with=(
            ("vae", "Make the code a distribution and the autoencoder can generate."),
            ("rbm", "An older, energy-based way to learn features without labels."),
            ("som", "Another unsupervised map of the data, drawn on a visible grid."),
        ),
        goals=("compress",),
        data_tags=("table", "images", "sequence", "points"),
    ),
    CatalogEntry(
        "vae",
        "Variational autoencoder",
        "generative",
        "generate",
        "images",
        "An autoencoder whose code is a distribution, so sampling the code space makes new data.",
        compare_with=(
            ("autoencoder", "The plain version: a code, but no way to sample new data."),
            ("gan", "The other classic generator: sharper images, harder training."),
        ),
        goals=("generate", "compress"),
        data_tags=("images", "points", "table"),
    ),
    CatalogEntry(
        "rbm",
        "Restricted Boltzmann machine",
        "generative",
        "reconstruct",
        "binary images",
        "Two layers of stochastic units tied by an energy function, trained by contrastive divergence instead of backprop.",
        compare_with=(
            ("dbn", "Stack RBMs and you get a deep belief network."),
            ("autoencoder", "Learns a code by backpropagation instead of by sampling."),
            ("backprop", "The training method an RBM does not use."),
        ),
        goals=("compress", "generate"),
        data_tags=("images", "table"),
    ),
    CatalogEntry(
        "dbn",
        "Deep belief network",
        "generative",
        "classify",
        "images",
        "RBMs stacked and trained one layer at a time, then fine-tuned: how deep learning restarted in 2006.",
        compare_with=(
            ("rbm", "The building block, trained one layer at a time."),
            ("mlp", "The same network trained from scratch: does pre-training still help?"),
            ("autoencoder", "Stacked autoencoders: greedy pre-training with backprop instead."),
        ),
        goals=("predict_class", "compress"),
        data_tags=("images", "table"),
    ),
    CatalogEntry(
        "som",
        "Self-organizing map",
        "generative",
        "embed",
        "colours, tables",
        "A grid of units competes for each input and drags its neighbours along, drawing a map of the data.",
        compare_with=(
            ("autoencoder", "A learned low-dimensional code, without a fixed grid."),
            ("embeddings", "Another picture of data as points in a small space."),
            ("backprop", "SOMs learn by competition, not by gradients."),
        ),
        goals=("compress",),
        data_tags=("table", "points"),
    ),
    CatalogEntry(
        "gan",
        "Generative adversarial network",
        "generative",
        "generate",
        "2-D points, images",
        "A forger and a detective train against each other until the forgeries look real.",
        compare_with=(
            ("vae", "Generates too, with a stable loss and blurrier samples."),
            ("cnn", "DCGAN's generator and discriminator are convolutional nets."),
        ),
        goals=("generate",),
        data_tags=("images", "points"),
    ),
    CatalogEntry(
        "gnn",
        "Graph neural networks (GCN, GraphSAGE, GAT)",
        "graphs",
        "classify, embed",
        "graphs",
        "Nodes pass messages to their neighbours; after a few rounds each node knows its neighbourhood.",
        compare_with=(
            ("cnn", "A convolution is message passing on a grid of pixels."),
            ("transformer", "Attention is message passing where every node sees every other."),
            ("embeddings", "Skip-gram on random walks gives node vectors without a GNN."),
        ),
        goals=("predict_class", "predict_number", "embed"),
        data_tags=("graph",),
    ),
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
