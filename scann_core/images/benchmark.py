"""Synthetic images with a known per-pixel importance map (the attention-vs-SHAP benchmark).

Each image is a background of Gaussian noise (mean 0) with two kinds of Gaussian peaks,
placed at random sub-pixel positions at least ``min_separation`` pixels apart:

* type A, narrow (``sigma_a``): a peak *contributes* to a window when its centre lies within
  ``radius`` pixels (Euclidean) of the window centre;
* type B, wide (``sigma_b``): distractors that never contribute.

Target of a window = sum of the amplitudes of its contributing A peaks, so the target depends
on exactly those peaks.  The ``truth`` map of a window is the unit-amplitude profile of its
contributing peaks, ``sum_p exp(-|x - c_p|^2 / (2 sigma_a^2))``, set to 0 below TRUTH_FLOOR
(= exp(-4.5), i.e. beyond 3 sigma_a) so that far pixels tie at zero; a pixel is *truly important*
when ``truth >= IMPORTANT_LEVEL`` (0.2, i.e. within 1.79 sigma_a = 1.43 px of a contributing
peak centre for the default sigma_a = 0.8).  A peaks outside the radius and all B peaks are
visible in the window but have zero truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import WindowSet

__all__ = ["BenchmarkSpec", "IMPORTANT_LEVEL", "important_mask", "make_benchmark", "synthetic_image"]

IMPORTANT_LEVEL = 0.2
TRUTH_FLOOR = float(np.exp(-4.5))


@dataclass(frozen=True)
class BenchmarkSpec:
    """Parameters of the synthetic benchmark (pixels for every length)."""

    window_size: int = 9
    image_size: int = 48
    n_images: int = 6
    stride: int = 2
    n_peaks_a: int = 28
    n_peaks_b: int = 14
    sigma_a: float = 0.8
    sigma_b: float = 2.0
    amplitude: tuple[float, float] = (0.5, 1.5)
    radius: float = 3.0
    min_separation: float = 3.0
    noise: float = 0.03
    seed: int = 0

    def __post_init__(self) -> None:
        if not 3 <= self.window_size <= self.image_size:
            raise ValueError("window_size must be at least 3 and at most image_size.")
        if self.radius > self.window_size / 2:
            raise ValueError("radius must fit inside the window (radius <= window_size / 2).")


def important_mask(truth: np.ndarray, level: float = IMPORTANT_LEVEL) -> np.ndarray:
    """Boolean (N, ws, ws): the truly important pixels of benchmark truth maps."""
    return np.asarray(truth) >= level


def _place_peaks(rng: np.random.Generator, spec: BenchmarkSpec) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) sub-pixel centres and (n,) kinds (0 = A, 1 = B), pairwise >= min_separation apart."""
    wanted = [0] * spec.n_peaks_a + [1] * spec.n_peaks_b
    centres, kinds = [], []
    for kind in rng.permutation(wanted):
        for _ in range(200):  # rejection sampling; a crowded image simply gets fewer peaks
            c = rng.uniform(-1.0, spec.image_size, size=2)
            if not centres or np.min(np.linalg.norm(np.array(centres) - c, axis=1)) >= spec.min_separation:
                centres.append(c)
                kinds.append(kind)
                break
    return np.array(centres).reshape(-1, 2), np.array(kinds, dtype=np.int64)


def synthetic_image(spec: BenchmarkSpec,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One image: ((S, S) pixels, (n, 2) peak centres (row, col), (n,) kinds, (n,) amplitudes)."""
    centres, kinds = _place_peaks(rng, spec)
    amplitudes = rng.uniform(*spec.amplitude, size=len(centres))
    grid = np.stack(np.meshgrid(np.arange(spec.image_size), np.arange(spec.image_size), indexing="ij"), -1)
    image = spec.noise * rng.standard_normal((spec.image_size, spec.image_size))
    for c, kind, amp in zip(centres, kinds, amplitudes):
        sigma = spec.sigma_a if kind == 0 else spec.sigma_b
        image += amp * np.exp(-np.sum((grid - c) ** 2, axis=-1) / (2 * sigma**2))
    return image, centres, kinds, amplitudes


def make_benchmark(spec: BenchmarkSpec = BenchmarkSpec()) -> WindowSet:
    """Cut ``spec.n_images`` synthetic images into windows; targets (N,), truth maps (N, ws, ws)."""
    rng = np.random.default_rng(spec.seed)
    ws, half = spec.window_size, spec.window_size // 2
    starts = np.arange(0, spec.image_size - ws + 1, spec.stride)
    offsets = np.stack(np.meshgrid(np.arange(ws), np.arange(ws), indexing="ij"), -1)  # (ws, ws, 2)
    windows, targets, centres, image_id, truth = [], [], [], [], []
    for index in range(spec.n_images):
        image, peaks, kinds, amplitudes = synthetic_image(spec, rng)
        peaks_a, amps_a = peaks[kinds == 0], amplitudes[kinds == 0]
        for r0 in starts:
            for c0 in starts:
                centre = np.array([r0 + half, c0 + half])
                near = np.linalg.norm(peaks_a - centre, axis=1) <= spec.radius
                pixels = offsets + [r0, c0]
                profile = np.zeros((ws, ws))
                for c in peaks_a[near]:
                    profile += np.exp(-np.sum((pixels - c) ** 2, axis=-1) / (2 * spec.sigma_a**2))
                windows.append(image[r0:r0 + ws, c0:c0 + ws])
                targets.append(amps_a[near].sum())
                centres.append(centre)
                image_id.append(index)
                truth.append(np.where(profile >= TRUTH_FLOOR, profile, 0.0))
    targets_arr = np.array(targets, dtype=np.float64)
    return WindowSet(np.array(windows), targets_arr.reshape(-1, 1), np.array(centres, dtype=np.float64),
                     np.array(image_id, dtype=np.int64), np.array(truth), scalar_targets=True)
