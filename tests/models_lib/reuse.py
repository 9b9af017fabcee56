"""A check shared by the autoencoder and VAE tests: a view drawn at the step the test pass ran
takes the codes of its samples from that pass instead of running the encoder again."""

import torch


def assert_points_reuse_the_test_pass(module, read, first_of=lambda out: out) -> None:
    """``read()`` gives the codes of ``module.points``; ``first_of`` picks them from the encoder's output."""
    module.setup(torch.device("cpu"))
    module.model.eval()
    with torch.no_grad():
        module.test_metrics()
        encoded = first_of(module.model.encode(module.X_test.index_select(0, module.points)))
        calls = []
        real = module.model.encode
        module.model.encode = lambda x: calls.append(len(x)) or real(x)
        torch.testing.assert_close(read(), encoded, rtol=1e-5, atol=1e-5)
        assert calls == []  # no second encoder pass at the step the test pass ran
        module._steps += 1  # a training step later the codes are stale: encoded again
        read()
        assert calls == [len(module.points)]
