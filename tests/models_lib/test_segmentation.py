"""Semantic segmentation: the scores checked against torchmetrics, FCN's up-sampling against bilinear
interpolation, the bars (U-Net and FCN on the default scenes, and U-Net ahead at equal time), knobs that do
not suit the data refused by name, and the views showing what they say."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import models_lib
from models_lib import data
from models_lib.architectures.segmentation.losses import (
    class_iou,
    confusion,
    dice_loss,
    mean_iou,
    pixel_classes,
    pixels_right,
    segmentation_loss,
)
from models_lib.architectures.segmentation.model import FCN, UNet, bilinear_kernel
from models_lib.hparams import HParamsError
from models_lib.kit.figures import labels_of, title_of
from tests.models_lib.recording import Record

VIEWS = {"masks", "class_iou", "pixel_confusion"}


@pytest.fixture(scope="module")
def spec():
    return models_lib.get("segmentation")


@pytest.fixture(scope="module")
def scenes():
    return data.load("scene-masks")


def test_spec(spec, scenes):
    assert (spec.slug, spec.family, spec.default_dataset) == ("segmentation", "vision", "scene-masks")
    assert spec.trainable and {v.key for v in spec.views} == VIEWS
    assert spec.accepts_data(data.builtin_get("scene-masks"))
    assert not spec.accepts_data(data.builtin_get("shapes")) and not spec.accepts_data(data.builtin_get("scenes"))
    for name, prop in spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect"), name
    assert scenes.X_train.shape[1:] == (3, 32, 32) and scenes.class_names[0] == "background"


def test_iou_matches_torchmetrics():
    from torchmetrics.classification import MulticlassJaccardIndex

    gen = torch.Generator().manual_seed(0)
    target = torch.randint(0, 4, (6, 16, 16), generator=gen)
    pred = torch.where(
        torch.rand(6, 16, 16, generator=gen) < 0.7, target, torch.randint(0, 4, (6, 16, 16), generator=gen)
    )
    counts = confusion(pred, target, 4)
    per_class = MulticlassJaccardIndex(num_classes=4, average=None)(pred, target)
    assert torch.allclose(class_iou(counts).float(), per_class, atol=1e-6)
    macro = MulticlassJaccardIndex(num_classes=4, average="macro")(pred, target)
    assert torch.isclose(mean_iou(counts).float(), macro, atol=1e-6)
    # a class neither true nor predicted anywhere does not count, as torchmetrics leaves it out too
    absent = torch.where(pred == 3, 0, pred), torch.where(target == 3, 0, target)
    ours = mean_iou(confusion(*absent, 4)).float()
    assert torch.isclose(ours, MulticlassJaccardIndex(num_classes=4, average="macro")(*absent), atol=1e-6)


@pytest.mark.parametrize("k", [2, 4, 17])
def test_the_quick_pixel_classes_are_argmax(k):
    gen = torch.Generator().manual_seed(k)
    logits, target = torch.randn(5, k, 9, 7, generator=gen), torch.randint(0, k, (5, 9, 7), generator=gen)
    assert torch.equal(pixel_classes(logits), logits.argmax(1))
    assert int(pixels_right(logits, target)) == int((logits.argmax(1) == target).sum())


def test_dice_loss_by_hand_and_at_its_ends():
    target = torch.tensor([[[0, 0], [1, 1]]])
    sure = F.one_hot(target, 2).permute(0, 3, 1, 2).float() * 50  # all but certain, and right
    assert dice_loss(sure, target) < 1e-3
    even = torch.zeros(1, 2, 2, 2)  # every pixel 50/50: overlap 1 of each class, areas 2 + 2
    assert torch.isclose(dice_loss(even, target), torch.tensor(1 - (2 * 1 + 1) / (4 + 1)))
    both = segmentation_loss(even, target, "cross_entropy_dice")
    assert torch.isclose(both, F.cross_entropy(even, target) + dice_loss(even, target))


def test_fcn_starts_out_as_bilinear_interpolation():
    """The learned up-sampling's first weights interpolate as ``F.interpolate`` does, away from the border."""
    up = torch.nn.ConvTranspose2d(2, 2, 8, stride=4, padding=2, bias=False)
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(2, 4))
    x = torch.randn(1, 2, 6, 6)
    ours = up(x)
    theirs = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    assert ours.shape == theirs.shape == (1, 2, 24, 24)
    assert torch.allclose(ours[..., 4:-4, 4:-4], theirs[..., 4:-4, 4:-4], atol=1e-5)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_both_networks_give_a_score_per_class_per_pixel(depth):
    x = torch.rand(2, 3, 32, 32)
    for model in (
        FCN(3, 5, [4 * 2**i for i in range(depth + 1)], True),
        UNet(3, 5, [4 * 2**i for i in range(depth + 1)], False, skips=depth % 2 == 0),
    ):
        assert model(x).shape == (2, 5, 32, 32)


@pytest.fixture(scope="module")
def unet_run(spec, scenes):
    """The default run: U-Net on the default scenes."""
    record = Record("test_miou")
    result = spec.run(spec.defaults(), scenes, device="cpu", callbacks=[record])
    return record, result


def test_unet_reaches_its_bar_and_shows_every_view(spec, scenes, unet_run):
    """U-Net: mean IoU at least 0.9 on the default scenes within 60 s (on two cores)."""
    record, result = unet_run
    m = result.metrics
    assert m["test_miou"] >= 0.9, m
    assert m["duration_s"] < 60, m
    assert m["test_pixel_accuracy"] > m["test_majority_pixel_accuracy"] + 0.1, m
    views = record.views
    assert set(views) == VIEWS
    masks = views["masks"]
    labels = labels_of(masks)
    assert labels[:3] == ["validation images", "true masks", "predicted masks"] and "mistakes in red" in labels[3]
    assert [t["name"] for t in masks["data"][1:]] == ["circle", "square", "triangle"]  # the colour key
    iou = views["class_iou"]
    assert title_of(iou) == "test IoU per class"
    assert [t["name"] for t in iou["data"]] == [*scenes.class_names, "mean IoU"]
    assert len(iou["data"][0]["x"]) >= spec.defaults().epochs  # one point per epoch end at least
    assert iou["data"][-1]["y"][-1] == pytest.approx(m["test_miou"], abs=1e-3)
    confusion_fig = views["pixel_confusion"]["data"][0]
    rows = np.array(confusion_fig["z"])
    assert rows.shape == (4, 4) and np.all(np.abs(rows.sum(1) - 100) <= 2)  # shares of each true class
    assert rows[0, 0] > 95  # the background is nearly always right


def test_fcn_reaches_its_bar_and_unet_beats_it_at_equal_time(spec, scenes, unet_run):
    """FCN: mean IoU at least 0.8 within 60 s (twice the default epochs: an FCN epoch takes half as long);
    U-Net at least 0.03 ahead of it at the same training time."""
    record = Record("test_miou")
    result = spec.run({"variant": "fcn", "epochs": 40}, scenes, device="cpu", callbacks=[record])
    curves = {"fcn": (record.points, result.metrics), "unet": (unet_run[0].points, unet_run[1].metrics)}
    fcn = curves["fcn"][1]
    assert fcn["test_miou"] >= 0.8 and fcn["duration_s"] < 60, fcn
    # at the time the quicker run ended, each run's last measured score
    until = min(curves["fcn"][0][-1][0], curves["unet"][0][-1][0])

    def at(points):
        return max((p for p in points if p[0] <= until), key=lambda p: p[0])[1]["test_miou"]

    assert at(curves["unet"][0]) >= at(curves["fcn"][0]) + 0.03, (curves["unet"][0], curves["fcn"][0])


def test_the_skips_matter(spec, scenes):
    """Switching U-Net's skips off costs mean IoU within the same short run."""
    short = data.load("scene-masks", {"n_samples": 600})
    scores = {
        skips: spec.run({"epochs": 8, "skips": skips}, short, device="cpu").metrics["test_miou"]
        for skips in (True, False)
    }
    assert scores[True] > scores[False] + 0.02, scores


@pytest.mark.parametrize(
    "config",
    [
        {"loss": "dice", "channels": 4, "depth": 2},
        {"loss": "cross_entropy_dice", "flip": True, "batch_norm": False, "lr_schedule": "constant"},
        {"variant": "fcn", "depth": 1, "optimizer": "sgd_momentum", "learning_rate": 0.02},
    ],
)
def test_other_knobs_train(spec, config):
    small = data.load("scene-masks", {"n_samples": 200})
    record = Record("test_miou")
    result = spec.run({"epochs": 3, **config}, small, device="cpu", callbacks=[record])
    losses = [p[1]["train_loss"] for p in record.points]
    assert np.isfinite(result.metrics["test_loss"]) and losses[-1] < losses[0], losses
    assert set(record.views) == VIEWS


def test_a_depth_the_image_side_cannot_take_is_refused_by_name(spec):
    odd = data.load("scene-masks", {"n_samples": 80, "image_size": 36})  # 36 halves twice, not three times
    with pytest.raises(HParamsError) as err:
        spec.run({"epochs": 1}, odd, device="cpu")
    assert err.value.errors[0]["field"] == "depth" and "depth of 2" in err.value.errors[0]["message"]
