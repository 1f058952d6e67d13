"""The default augmented views (infomem.activations.views): dropped words, image crops and hue
turns, and feature noise scaled to each feature's spread, all repeatable from the seed."""

from __future__ import annotations

import numpy as np

from infomem.activations.views import augment_image, drop_words, feature_noise, view_rng

import factories


def test_default_augmentations():
    words = "one two three four five six seven eight nine ten eleven twelve"
    dropped = drop_words(words, view_rng(0, 3, 1))
    assert dropped == drop_words(words, view_rng(0, 3, 1)) and set(dropped.split()) <= set(words.split())
    assert drop_words("single", np.random.default_rng(0)) in ("single",)
    image = factories.random_images(1, size=24)[0]
    out = augment_image(image, view_rng(0, 0, 1))
    assert out.size == image.size and out.mode == "RGB"
    assert np.array_equal(np.asarray(out), np.asarray(augment_image(image, view_rng(0, 0, 1))))
    rows = np.random.default_rng(0).normal(scale=[1.0, 10.0, 0.0], size=(500, 3))
    noise = np.stack([feature_noise(rows)(np.zeros(3), view_rng(0, i, 1)) for i in range(500)])
    np.testing.assert_allclose(noise.std(axis=0), 0.05 * rows.std(axis=0), rtol=0.15)
