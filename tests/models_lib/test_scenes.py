"""The built-in shape scenes: the same scenes for the same options, every box tight around its shape
(checked with torchvision's masks_to_boxes), boxes and masks that agree, the form a detection or
segmentation upload takes, and a preview with the boxes and masks drawn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.ops import box_iou, masks_to_boxes

from models_lib import data
from models_lib.data.builtin_images import SHAPE_NAMES
from models_lib.data.builtin_scenes import generate_scenes, scene_preview
from models_lib.data.tensors import BOXES, MASKS, Ragged


def test_the_same_options_give_the_same_scenes_and_another_seed_others():
    a, b, c = generate_scenes(20, seed=3), generate_scenes(20, seed=3), generate_scenes(20, seed=4)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.masks, b.masks)
    assert all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes, strict=True))
    assert not np.array_equal(a.images, c.images)
    assert a.images.dtype == np.float32 and a.images.shape == (20, 3, 64, 64)
    assert 0.0 <= a.images.min() and a.images.max() <= 1.0


def test_a_lone_shapes_box_is_the_box_torchvision_finds_around_its_mask():
    scenes = generate_scenes(200, max_objects=1, seed=1)
    masks = torch.from_numpy(scenes.masks > 0)
    boxes = torch.from_numpy(np.concatenate(scenes.boxes))
    assert len(boxes) == 200
    # masks_to_boxes gives the corners of the outermost pixels; ours end one past the last pixel
    found = masks_to_boxes(masks) + torch.tensor([0.0, 0.0, 1.0, 1.0])
    assert torch.equal(found, boxes[:, 1:])
    classes = torch.from_numpy(scenes.masks.reshape(200, -1).max(1)) - 1
    assert torch.equal(classes, boxes[:, 0].long())


def test_boxes_and_masks_agree_and_objects_barely_overlap():
    scenes = generate_scenes(150, seed=2)
    for image_boxes, mask in zip(scenes.boxes, scenes.masks, strict=True):
        assert 1 <= len(image_boxes) <= 3
        covered = np.zeros_like(mask, dtype=bool)
        for c, x0, y0, x1, y1 in image_boxes:
            assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64
            inside = mask[int(y0) : int(y1), int(x0) : int(x1)]
            assert (inside == c + 1).any(), "each box holds pixels of its class"
            covered[int(y0) : int(y1), int(x0) : int(x1)] = True
        assert not (mask > 0)[~covered].any(), "every labelled pixel is in a box"
        if len(image_boxes) > 1:
            iou = box_iou(torch.from_numpy(image_boxes[:, 1:]), torch.from_numpy(image_boxes[:, 1:]))
            assert (iou.fill_diagonal_(0) <= 0.05).all()


def test_harder_scenes_hold_more_smaller_objects():
    easy, hard = generate_scenes(200, seed=5), generate_scenes(200, harder=True, seed=5)
    count = lambda s: np.mean([len(b) for b in s.boxes])  # noqa: E731
    side = lambda s: np.mean(np.concatenate([b[:, 3] - b[:, 1] for b in s.boxes]))  # noqa: E731
    assert count(hard) > 1.5 * count(easy)
    assert side(hard) < 0.8 * side(easy)


def test_the_detection_scenes_take_the_form_of_a_detection_upload():
    d = data.load("scenes", {"n_samples": 200})
    assert (d.kind, d.task, d.class_names) == ("detection", "detect", list(SHAPE_NAMES))
    boxes = d.fields[BOXES]
    assert isinstance(boxes.train, Ragged) and boxes.train.values.shape[1] == 5
    assert torch.equal(d.y_train, boxes.train.lengths()) and torch.equal(d.y_test, boxes.test.lengths())
    assert len(boxes.val) == len(d.meta["X_val"]) > 0
    assert d.n_train + d.n_test + len(d.meta["X_val"]) == 200
    assert d.meta["image_shape"] == [3, 64, 64]


def test_the_segmentation_scenes_take_the_form_of_a_segmentation_upload():
    d = data.load("scene-masks", {"n_samples": 200, "image_size": 48})
    assert (d.kind, d.task) == ("segmentation", "segment")
    assert d.class_names == ["background", *SHAPE_NAMES]
    assert d.X_train.shape[1:] == (3, 48, 48) and d.y_train.shape[1:] == (48, 48)
    assert d.y_train.dtype == torch.int64 and set(d.y_train.unique().tolist()) == {0, 1, 2, 3}
    assert d.fields[MASKS].train is d.y_train and d.meta["y_val"].shape[1:] == (48, 48)


@pytest.mark.parametrize("bad", [{"max_objects": 0}, {"object_size": 0.9}, {"image_size": 16}, {"noise": 2}])
def test_options_out_of_range_are_refused(bad):
    from models_lib.hparams import HParamsError

    with pytest.raises(HParamsError):
        data.load("scenes", bad)


@pytest.mark.parametrize(("slug", "label"), [("scenes", "with their boxes"), ("scene-masks", "with their masks")])
def test_the_preview_draws_the_boxes_or_the_masks(slug, label):
    preview = scene_preview(data.load(slug, {"n_samples": 100}), count=4)
    assert len(preview["thumbnails"][label]) == 4
    assert all(uri.startswith("data:image/png;base64,") for uri in preview["thumbnails"][label])
    if slug == "scenes":
        assert set(preview["counts"]) == set(SHAPE_NAMES) and sum(preview["counts"].values()) > 100
    else:
        assert preview["counts"]["background"] > 50  # per cent of the pixels
