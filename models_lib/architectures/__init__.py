"""One module per catalog entry; importing this package registers them all."""
from models_lib.architectures import mlp  # noqa: F401
