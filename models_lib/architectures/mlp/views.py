"""The multilayer perceptron's live views (drawn by :mod:`models_lib.kit.figures`)."""

from models_lib.registry import View

DECISION_BOUNDARY = View(
    "decision_boundary",
    "Decision boundary",
    "What the network predicts at every point of the plane, with the training (filled) and test (open) points on top.",
    data_kinds=("points2d",),
)
CONFUSION_MATRIX = View(
    "confusion_matrix",
    "Confusion matrix",
    "How often each true class (rows) is predicted as each class (columns) on the test split.",
    tasks=("classify",),
)
VIEWS = (DECISION_BOUNDARY, CONFUSION_MATRIX)
