"""Window sets: the one .npz format, its validator, a spatially disjoint split, per-window RMSE.

The .npz format (all arrays numeric, saved with ``numpy.savez``; no pickled objects):

=============  ==============  ===============================================================
key            shape           meaning
=============  ==============  ===============================================================
``windows``    (N, ws, ws)     pixel values of each square window (float, finite)
``targets``    (N,) or (N, T)  property value(s) of each window (float, finite)
``centres``    (N, 2)          (row, column) pixel coordinates of each window's centre in its
                               source image; for even ``ws`` the centre is pixel
                               ``(ws // 2, ws // 2)`` of the window
``image_id``   (N,) optional   integer id of the source image (all windows from one image if absent)
``truth``      (N, ws, ws)     optional, benchmark only: known per-pixel importance (>= 0)
=============  ==============  ===============================================================

Two windows *overlap* when their centres are closer than ``ws`` pixels in both axes
(same image only): then they share at least one pixel.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np

__all__ = ["WindowSet", "WindowSetError", "load_window_set", "validate_arrays", "save_window_set", "spatial_split",
           "overlapping_pairs", "per_window_rmse", "DEFAULT_MAX_WINDOWS", "MAX_WINDOW_SIZE"]

DEFAULT_MAX_WINDOWS = 20_000
MAX_WINDOW_SIZE = 21  # L = 441 tokens; attention is quadratic in L
MAX_BYTES = 512 * 2**20  # uncompressed size of all arrays in the file
REQUIRED = ("windows", "targets", "centres")

Source = Union[str, Path, bytes, BinaryIO]


class WindowSetError(ValueError):
    """A window set that cannot be used; the message is one sentence for a person."""


@dataclass(frozen=True)
class WindowSet:
    """A validated window set (see the module docstring for the meaning of each array).

    Attributes:
        windows: (N, ws, ws) float64.
        targets: (N, T) float64 (a (N,) file is stored as T = 1; ``scalar_targets`` remembers it).
        centres: (N, 2) float64 (row, column).
        image_id: (N,) int64 (zeros when the file has none).
        truth: (N, ws, ws) float64 or None.
        scalar_targets: whether the file's targets were (N,).
    """

    windows: np.ndarray
    targets: np.ndarray
    centres: np.ndarray
    image_id: np.ndarray
    truth: np.ndarray | None = None
    scalar_targets: bool = True

    @property
    def n_windows(self) -> int:
        return int(self.windows.shape[0])

    @property
    def window_size(self) -> int:
        return int(self.windows.shape[1])

    @property
    def n_targets(self) -> int:
        return int(self.targets.shape[1])

    def subset(self, index: np.ndarray) -> "WindowSet":
        """The windows at ``index`` (an integer array)."""
        return WindowSet(self.windows[index], self.targets[index], self.centres[index], self.image_id[index],
                         None if self.truth is None else self.truth[index], self.scalar_targets)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, (str, Path)):
        try:
            return Path(source).read_bytes()
        except OSError:
            raise WindowSetError(f"The file {str(source)!r} cannot be read.") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    return source.read()


def _finite(name: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise WindowSetError(f"'{name}' must hold numbers, not {array.dtype} values.")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise WindowSetError(f"'{name}' contains NaN or infinite values.")
    return array


def load_window_set(source: Source, *, max_windows: int = DEFAULT_MAX_WINDOWS,
                    max_window_size: int = MAX_WINDOW_SIZE) -> WindowSet:
    """Read and validate a window set from a path, bytes or a binary file object.

    Raises:
        WindowSetError: with one sentence naming the problem (missing key, wrong shape,
            non-square windows, mismatched N, NaN/inf, too many or too large windows).
    """
    data = _read_bytes(source)
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        raise WindowSetError("This is not an .npz file (an archive written by numpy.savez).") from None
    sizes = {m.filename[:-4]: m.file_size for m in members if m.filename.endswith(".npy")}
    missing = [key for key in REQUIRED if key not in sizes]
    if missing:
        raise WindowSetError(f"The file lacks the key{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(m) for m in missing)} (needed: windows, targets, centres).")
    if sum(sizes.values()) > MAX_BYTES:
        raise WindowSetError(f"The file holds more than {MAX_BYTES // 2**20} MiB of arrays, too large to use here.")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: np.asarray(npz[key]) for key in sizes}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise WindowSetError("An array in the file holds Python objects, which are not read (no pickle).") from None
        raise WindowSetError("An array in the file is not a readable numpy array.") from None
    except Exception:  # noqa: BLE001 -- zlib, zip and header errors of a damaged archive
        raise WindowSetError("An array in the file is not a readable numpy array.") from None
    return validate_arrays(arrays, max_windows=max_windows, max_window_size=max_window_size)


def validate_arrays(arrays: dict[str, np.ndarray], *, max_windows: int = DEFAULT_MAX_WINDOWS,
                    max_window_size: int = MAX_WINDOW_SIZE) -> WindowSet:
    """Validate in-memory arrays (the keys of the .npz format); raises :class:`WindowSetError`."""
    windows = arrays["windows"]
    if windows.ndim != 3:
        raise WindowSetError(f"'windows' must have shape (N, ws, ws), got {windows.ndim} dimension(s) {windows.shape}.")
    n, rows, cols = windows.shape
    if rows != cols:
        raise WindowSetError(f"Windows must be square, got {rows} x {cols} pixels.")
    if n < 1:
        raise WindowSetError("The file holds no windows.")
    if n > max_windows:
        raise WindowSetError(f"The file holds {n} windows, more than the limit of {max_windows}.")
    if not 2 <= rows <= max_window_size:
        raise WindowSetError(f"Windows of {rows} x {rows} pixels are outside the supported 2 to {max_window_size}.")
    windows = _finite("windows", windows)
    targets = arrays["targets"]
    if targets.ndim not in (1, 2) or (targets.ndim == 2 and targets.shape[1] < 1):
        raise WindowSetError(f"'targets' must have shape (N,) or (N, T), got {targets.shape}.")
    if targets.shape[0] != n:
        raise WindowSetError(f"'targets' has {targets.shape[0]} rows but there are {n} windows.")
    targets = _finite("targets", targets)
    centres = arrays["centres"]
    if centres.ndim != 2 or centres.shape[1] != 2:
        raise WindowSetError(f"'centres' must have shape (N, 2), got {centres.shape}.")
    if centres.shape[0] != n:
        raise WindowSetError(f"'centres' has {centres.shape[0]} rows but there are {n} windows.")
    centres = _finite("centres", centres)
    if "image_id" in arrays:
        image_id = arrays["image_id"]
        if image_id.shape != (n,):
            raise WindowSetError(f"'image_id' must have shape ({n},), got {image_id.shape}.")
        image_id = _finite("image_id", image_id)
        if not np.array_equal(image_id, np.round(image_id)):
            raise WindowSetError("'image_id' must hold whole numbers.")
        image_id = image_id.astype(np.int64)
    else:
        image_id = np.zeros(n, dtype=np.int64)
    truth = arrays.get("truth")
    if truth is not None:
        if truth.shape != windows.shape:
            raise WindowSetError(f"'truth' must have the shape of 'windows' {windows.shape}, got {truth.shape}.")
        truth = _finite("truth", truth)
    scalar = targets.ndim == 1
    return WindowSet(windows, targets.reshape(n, -1), centres, image_id, truth, scalar)


def save_window_set(path: str | Path | BinaryIO, window_set: WindowSet) -> None:
    """Write ``window_set`` in the .npz format (targets back to (N,) when they came as (N,))."""
    arrays = {"windows": window_set.windows,
              "targets": window_set.targets[:, 0] if window_set.scalar_targets else window_set.targets,
              "centres": window_set.centres, "image_id": window_set.image_id}
    if window_set.truth is not None:
        arrays["truth"] = window_set.truth
    np.savez_compressed(path, **arrays)


def overlapping_pairs(centres_a: np.ndarray, centres_b: np.ndarray, window_size: int,
                      image_a: np.ndarray | None = None, image_b: np.ndarray | None = None) -> np.ndarray:
    """(n_pairs, 2) indices ``(i, j)`` such that window ``i`` of a and ``j`` of b share a pixel.

    Windows overlap when they come from the same image and their centres are closer than
    ``window_size`` in both axes (Chebyshev distance < ws).
    """
    from scipy.spatial import cKDTree

    a = np.asarray(centres_a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(centres_b, dtype=np.float64).reshape(-1, 2)
    ia = np.zeros(len(a), np.int64) if image_a is None else np.asarray(image_a)
    ib = np.zeros(len(b), np.int64) if image_b is None else np.asarray(image_b)
    pairs = []
    for image in np.intersect1d(ia, ib):
        sel_a, sel_b = np.flatnonzero(ia == image), np.flatnonzero(ib == image)
        hits = cKDTree(a[sel_a]).query_ball_tree(cKDTree(b[sel_b]), r=np.nextafter(float(window_size), 0), p=np.inf)
        pairs += [(sel_a[i], sel_b[j]) for i, js in enumerate(hits) for j in js]
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def spatial_split(window_set: WindowSet, *, test_fraction: float = 0.25, blocks: int = 4,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spatially disjoint train/test indices, with a guard band: no test window overlaps a train window.

    With more than one image, whole images go to the test set (shuffled, until at least
    ``test_fraction`` of the windows).  With one image, the bounding box of the centres is cut
    into ``blocks x blocks`` tiles, a compact cluster of tiles grown from a random tile (random
4-neighbours) becomes the test set, and every
    train window overlapping a test window (centres closer than ``ws`` in both axes) is dropped.

    Returns:
        (train_index, test_index), sorted int64 arrays.
    """
    rng = np.random.default_rng(seed)
    n, ws = window_set.n_windows, window_set.window_size
    images = np.unique(window_set.image_id)
    if len(images) > 1:
        order = rng.permutation(images)
        counts = np.array([(window_set.image_id == i).sum() for i in order])
        n_test_images = int(np.searchsorted(np.cumsum(counts), test_fraction * n) + 1)
        n_test_images = min(n_test_images, len(images) - 1)
        test = np.isin(window_set.image_id, order[:n_test_images])
    else:
        c = window_set.centres
        lo, hi = c.min(axis=0), c.max(axis=0)
        tile = np.minimum(((c - lo) / np.maximum(hi - lo, 1e-9) * blocks).astype(np.int64), blocks - 1)
        tile_id = tile[:, 0] * blocks + tile[:, 1]
        test, chosen = np.zeros(n, bool), set()
        frontier = {int(rng.integers(blocks * blocks))}
        while frontier and test.sum() < test_fraction * n:  # grow one compact cluster of tiles
            t = int(rng.choice(sorted(frontier)))
            chosen.add(t)
            test |= tile_id == t
            r, q = divmod(t, blocks)
            frontier |= {a * blocks + b for a, b in ((r - 1, q), (r + 1, q), (r, q - 1), (r, q + 1))
                         if 0 <= a < blocks and 0 <= b < blocks}
            frontier -= chosen
    test_idx = np.flatnonzero(test)
    train_idx = np.flatnonzero(~test)
    clash = overlapping_pairs(window_set.centres[train_idx], window_set.centres[test_idx], ws,
                              window_set.image_id[train_idx], window_set.image_id[test_idx])
    train_idx = np.setdiff1d(train_idx, train_idx[clash[:, 0]]) if len(clash) else train_idx
    if len(test_idx) == 0 or len(train_idx) < 2:
        raise WindowSetError(f"The {n} windows are too few or too clustered for a spatially disjoint "
                             "train/test split with a guard band.")
    return train_idx, test_idx


def per_window_rmse(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Root-mean-square error over the target dimensions of each window.

    Accepts (N,) or (N, T) arrays; (N,) and (N, 1) are the same thing (this avoids the
    silent (N,) - (N, 1) -> (N, N) broadcast). Any other shape mismatch raises ValueError.

    Returns:
        (N,) RMSE per window (the absolute error when T = 1).
    """
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if t.ndim not in (1, 2) or p.ndim not in (1, 2):
        raise ValueError(f"Targets and predictions must be (N,) or (N, T), got {t.shape} and {p.shape}.")
    t, p = t.reshape(t.shape[0], -1), p.reshape(p.shape[0], -1)
    if t.shape != p.shape:
        raise ValueError(f"Targets {np.shape(y_true)} and predictions {np.shape(y_pred)} do not match.")
    return np.sqrt(np.mean((t - p) ** 2, axis=1))
