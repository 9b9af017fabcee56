"""One module per catalog entry; importing this package registers them all."""

from models_lib.architectures import (
    autoencoder,  # noqa: F401
    cnn,  # noqa: F401
    gan,  # noqa: F401
    mlp,  # noqa: F401
    rnn,  # noqa: F401
    vae,  # noqa: F401
)
