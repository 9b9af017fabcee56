"""Pure-PyTorch core of the Playground: architectures, datasets, the Trainer.

Never imports Django or the web project. Importing it registers every
architecture in ``models_lib.architectures``.
"""

from models_lib import (
    architectures,  # noqa: F401  (fills the registry)
    registry,  # noqa: F401
)
from models_lib.registry import all, get  # noqa: A004

__all__ = ["all", "get", "registry"]
