"""The built-in stick figures: the same figures for the same options, joints inside the picture unless
marked invisible, the figure drawn where its joints say, left and right limbs in different colours (and
the same colour with the colours off), the form the pose data takes, and its preview."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.data.builtin_pose import (
    BODY,
    BONES,
    JOINT_NAMES,
    LEFT,
    LEFT_COLOUR,
    RIGHT,
    RIGHT_COLOUR,
    figure_preview,
    generate_figures,
)
from models_lib.data.tensors import KEYPOINTS


def test_the_same_options_give_the_same_figures_and_another_seed_others():
    a, b, c = generate_figures(20, seed=3), generate_figures(20, seed=3), generate_figures(20, seed=4)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.keypoints, b.keypoints)
    assert not np.array_equal(a.images, c.images) and not np.array_equal(a.keypoints, c.keypoints)
    assert a.images.dtype == np.float32 and a.images.shape == (20, 3, 32, 32)
    assert a.keypoints.shape == (20, len(JOINT_NAMES), 3) and 0.0 <= a.images.min() and a.images.max() <= 1.0


def test_joints_are_inside_the_picture_unless_marked_invisible():
    f = generate_figures(400, size=40, seed=1)
    xy, visible = f.keypoints[..., :2], f.keypoints[..., 2]
    assert set(np.unique(visible)) <= {0.0, 1.0}
    inside = ((xy >= 0) & (xy < 40)).all(-1)
    assert np.array_equal(inside, visible == 1)
    # most joints are in the picture; a few hands, feet or heads leave it, the hips never do
    assert 0.9 < visible.mean() < 1.0
    hips = [JOINT_NAMES.index("left hip"), JOINT_NAMES.index("right hip")]
    assert visible[:, hips].all()


def test_the_figure_is_drawn_where_its_joints_are():
    """On clean images, the pixel under each visible joint differs from the background (the corner's colour)."""
    f = generate_figures(100, noise=0.0, seed=2)
    hit = []
    for image, kp in zip(f.images, f.keypoints, strict=True):
        background = image[:, 0, 0]
        for x, y, v in kp:
            if v and not np.allclose(image[:, int(y), int(x)], background, atol=1e-6):
                hit.append(1)
            elif v:
                hit.append(0)
    assert np.mean(hit) > 0.97


def _limb_colours(f, joints) -> np.ndarray:
    """The colour of the pixel half-way along each figure's bones that end at ``joints`` (clean images)."""
    out = []
    for image, kp in zip(f.images, f.keypoints, strict=True):
        for a, b in BONES:
            if b in joints and a in joints:
                x, y = (kp[a, :2] + kp[b, :2]) / 2
                if 0 <= x < image.shape[-1] and 0 <= y < image.shape[-1]:
                    out.append(image[:, int(y), int(x)])
    return np.array(out)


def _hue(colours: np.ndarray, target) -> float:
    """The share of ``colours`` whose direction (brightness aside) is that of ``target``."""
    unit = colours / np.linalg.norm(colours, axis=1, keepdims=True).clip(1e-6)
    t = np.asarray(target) / np.linalg.norm(target)
    return float((unit @ t > 0.99).mean())


def test_left_and_right_limbs_are_coloured_differently_and_alike_with_the_colours_off():
    on = generate_figures(150, noise=0.0, seed=5)
    off = generate_figures(150, noise=0.0, colours=False, seed=5)
    assert np.array_equal(on.keypoints, off.keypoints)  # the same poses, only the colours differ
    # (a crossing limb may cover the middle of a bone: most, not all)
    assert _hue(_limb_colours(on, LEFT), LEFT_COLOUR) > 0.8 and _hue(_limb_colours(on, RIGHT), RIGHT_COLOUR) > 0.8
    assert _hue(_limb_colours(on, LEFT), RIGHT_COLOUR) < 0.1
    assert _hue(_limb_colours(off, LEFT), BODY) > 0.8 and _hue(_limb_colours(off, RIGHT), BODY) > 0.8


def test_figures_face_both_ways_so_left_is_not_always_on_one_side():
    f = generate_figures(300, tilt=0.0, seed=6)
    left_x = f.keypoints[:, JOINT_NAMES.index("left hip"), 0]
    right_x = f.keypoints[:, JOINT_NAMES.index("right hip"), 0]
    on_the_right = left_x > right_x
    assert np.array_equal(on_the_right, ~f.away)  # facing the viewer, a figure's left is on the picture's right
    assert 0.35 < on_the_right.mean() < 0.65


def test_tilt_leans_the_figures():
    def lean(f):
        neck, hips = f.keypoints[:, 1, :2], f.keypoints[:, [8, 9], :2].mean(1)
        d = neck - hips
        return np.degrees(np.abs(np.arctan2(d[:, 0], -d[:, 1])))

    assert lean(generate_figures(100, tilt=0.0, seed=7)).max() < 1e-3
    leaning = lean(generate_figures(300, tilt=90.0, seed=7))
    assert leaning.max() <= 90.0 + 1e-3 and leaning.mean() > 30


def test_the_stick_figures_take_the_form_of_pose_data():
    d = data.load("stick-figures", {"n_samples": 200, "image_size": 48})
    assert (d.kind, d.task, d.class_names) == ("keypoints", "pose", list(JOINT_NAMES))
    assert d.X_train.shape[1:] == (3, 48, 48) and d.y_train.shape[1:] == (14, 3)
    assert d.fields[KEYPOINTS].train is d.y_train and d.fields[KEYPOINTS].test is d.y_test
    assert torch.equal(d.fields[KEYPOINTS].val, d.meta["y_val"]) and len(d.meta["X_val"]) > 0
    assert d.n_train + d.n_test + len(d.meta["X_val"]) == 200
    assert d.meta["image_shape"] == [3, 48, 48]
    again = data.load("stick-figures", {"n_samples": 200, "image_size": 48})
    assert torch.equal(again.X_test, d.X_test) and torch.equal(again.y_train, d.y_train)


@pytest.mark.parametrize("bad", [{"image_size": 16}, {"image_size": 96}, {"noise": 2}, {"tilt": -1}])
def test_options_out_of_range_are_refused(bad):
    from models_lib.hparams import HParamsError

    with pytest.raises(HParamsError):
        data.load("stick-figures", bad)


def test_the_preview_draws_the_skeletons():
    d = data.load("stick-figures", {"n_samples": 100})
    preview = figure_preview(d, count=4)
    thumbs = preview["thumbnails"]["with their skeletons"]
    assert len(thumbs) == 4 and all(uri.startswith("data:image/png;base64,") for uri in thumbs)
    assert set(preview["counts"]) == set(JOINT_NAMES) and preview["counts"]["neck"] == 100.0
    assert min(preview["counts"].values()) > 80  # per cent of the figures with that joint in the picture


def test_the_dataset_page_preview_has_the_skeletons():
    from playground.datasets.services import _builtin_preview

    preview = _builtin_preview("stick-figures", '{"n_samples": 100}')
    assert len(preview["thumbnails"]["with their skeletons"]) == 12
    assert "14 joints" in preview["note"] and preview["split_sizes"]["test"] == 30
