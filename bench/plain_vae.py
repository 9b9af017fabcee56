"""The VAE's plain-PyTorch twin for ``bench/bench_job.py`` (it lives in ``plain_autoencoder``)."""

from bench.plain_autoencoder import plain_vae as plain_loop

__all__ = ["plain_loop"]
