"""Augmented views for UnitMem: the default transform per modality, seeded per view.

UnitMem averages a unit's activation over A views of each example before taking the
maximum and the median (Wang et al., NeurIPS 2024, averaged 10 augmentations). View 0
is always the example itself; views 1 .. A-1 are ``augment(item, rng)`` with a generator
seeded by ``(seed, example, view)`` (:func:`view_rng`), so a view does not depend on the
batch size, the order of the batches or how many views were asked for.

Default transforms (small, dependency-free; torchvision is not required):

- **images** (PIL): random resized crop keeping 50-100% of the area at an aspect ratio
  in [3/4, 4/3], resized back to the original size; horizontal flip with p = 0.5; colour
  jitter: brightness, contrast and saturation each scaled by a factor in [0.6, 1.4] and
  the hue turned by up to 0.1 of the colour circle (torchvision's ``ColorJitter(0.4,
  0.4, 0.4, 0.1)``, in that fixed order).
- **text**: each whitespace-separated word is dropped with p = 0.1 (the words are
  re-joined with single spaces; special tokens are added later by the tokenizer, so
  they are never dropped). A text that would lose every word is kept whole.
- **tensors** (rows of a plain MLP's inputs): Gaussian noise with a standard deviation
  of 0.05 times each feature's standard deviation over the examples scored (a constant
  feature gets none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Augment", "view_rng", "drop_words", "augment_image", "feature_noise",
           "default_augment", "WORD_DROP_P", "NOISE_SCALE"]

Augment = Callable[[Any, np.random.Generator], Any]

WORD_DROP_P = 0.1  # one word in ten: a paraphrase-sized change that keeps the text's meaning
NOISE_SCALE = 0.05  # noise sd per feature / that feature's sd: small next to real variation
_CROP_SCALE = (0.5, 1.0)  # share of the area kept: the view still shows most of the example
_CROP_RATIO = (3 / 4, 4 / 3)  # aspect-ratio range of the crop (torchvision's default)
_CROP_TRIES = 10  # draws before falling back to the whole image (torchvision's rule)
_FLIP_P = 0.5
_JITTER = 0.4  # brightness, contrast, saturation factors in [1 - 0.4, 1 + 0.4]
_HUE = 0.1  # hue turned by up to this share of the colour circle


def view_rng(seed: int, example: int, view: int) -> np.random.Generator:
    """The generator of one view: seeded by (seed, example index, view index)."""
    return np.random.default_rng([seed, example, view])


def drop_words(text: str, rng: np.random.Generator) -> str:
    """Drop each whitespace-separated word with probability WORD_DROP_P (never all)."""
    words = text.split()
    keep = rng.random(len(words)) >= WORD_DROP_P
    if not keep.any():
        return text
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


def _crop_box(width: int, height: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    area = width * height
    for _ in range(_CROP_TRIES):
        target = area * rng.uniform(*_CROP_SCALE)
        ratio = np.exp(rng.uniform(np.log(_CROP_RATIO[0]), np.log(_CROP_RATIO[1])))
        w, h = round(np.sqrt(target * ratio)), round(np.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            left, top = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
            return left, top, left + w, top + h
    return 0, 0, width, height


def _turn_hue(image: Any, shift: float) -> Any:
    from PIL import Image

    hsv = np.array(image.convert("HSV"))
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + round(shift * 256)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def augment_image(image: Any, rng: np.random.Generator) -> Any:
    """Random resized crop, horizontal flip and colour jitter of a PIL image (RGB out)."""
    from PIL import Image, ImageEnhance

    image = image.convert("RGB")
    width, height = image.size
    box = _crop_box(width, height, rng)
    image = image.crop(box).resize((width, height), Image.Resampling.BILINEAR)
    if rng.random() < _FLIP_P:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhancer(image).enhance(rng.uniform(1 - _JITTER, 1 + _JITTER))
    return _turn_hue(image, rng.uniform(-_HUE, _HUE))


def feature_noise(rows: np.ndarray) -> Augment:
    """Gaussian noise scaled to each feature's spread over ``rows`` (S x F)."""
    scale = NOISE_SCALE * np.asarray(rows, dtype=np.float64).std(axis=0)

    def add_noise(row: Any, rng: np.random.Generator) -> np.ndarray:
        row = np.asarray(row, dtype=np.float64)
        return (row + rng.normal(size=row.shape) * scale).astype(np.float32)

    return add_noise


def default_augment(modality: str, items: Any) -> Augment:
    """The default transform of a modality: "image", "text" or "tensor" (rows ``items``)."""
    if modality == "image":
        return augment_image
    if modality == "text":
        return drop_words
    return feature_noise(items)
