"""Train the pixel-token Transformer on a window set; predict values and attention maps."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch

from .model import PixelTransformer

__all__ = ["ImageTrainConfig", "WindowModel", "fit_window_model"]

ATTENTION_BUDGET = 16_000_000  # attention weights per inference batch


@dataclass(frozen=True)
class ImageTrainConfig:
    """Model size and optimisation settings (defaults: a CPU run of seconds to a minute).

    Attributes:
        dim: token width; n_heads must divide it (8 heads by default, as in the paper).
        n_heads: attention heads of the single encoder layer.
        ff_dim: hidden width of the feed-forward block.
        epochs, batch_size, lr, weight_decay: AdamW settings; the learning rate decays by
            cosine annealing to 5 % over the run.
        seed: seeds torch for the initialisation and the batch order.
    """

    dim: int = 32
    n_heads: int = 8
    ff_dim: int = 64
    epochs: int = 30
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dim % self.n_heads:
            raise ValueError(f"dim={self.dim} must be divisible by n_heads={self.n_heads}.")
        if min(self.epochs, self.batch_size, self.dim, self.ff_dim) < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size, dim, ff_dim and lr must be positive.")


@dataclass
class WindowModel:
    """A trained model with the scalers it was trained with.

    Attributes:
        model: the PixelTransformer (eval mode), seeing standardised pixels.
        config: the training configuration.
        pixel_mean, pixel_std: floats; windows are standardised as (x - mean) / std.
        target_mean, target_std: (T,) arrays; the model predicts (y - mean) / std.
        history: training loss (standardised MSE) per epoch.
    """

    model: PixelTransformer
    config: ImageTrainConfig
    pixel_mean: float
    pixel_std: float
    target_mean: np.ndarray
    target_std: np.ndarray
    history: list[float]

    @property
    def window_size(self) -> int:
        return self.model.window_size

    def _run(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # batches keep the (B, heads, L, L) attention tensor near 16M numbers (64 MB)
        batch_size = max(1, int(ATTENTION_BUDGET // (self.config.n_heads * self.window_size**4)))
        x = torch.as_tensor((np.asarray(windows, dtype=np.float64) - self.pixel_mean) / self.pixel_std,
                            dtype=torch.float32)
        preds, scores = [], []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                out = self.model(x[start:start + batch_size])
                preds.append(out.prediction.double().numpy())
                scores.append(out.scores.double().numpy())
        if not preds:
            return np.zeros((0, len(self.target_mean))), np.zeros((0,) + np.shape(windows)[1:])
        return np.concatenate(preds) * self.target_std + self.target_mean, np.concatenate(scores)

    def predict(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, ws, ws) windows in file units -> ((N, T) predictions in target units, (N, ws, ws) attention)."""
        return self._run(windows)

    def predict_fn(self, target: int = 0) -> Callable[[np.ndarray], np.ndarray]:
        """A batched function (M, ws, ws) -> (M,) prediction of target ``target`` (for attributions)."""
        return lambda windows: self._run(windows)[0][:, target]

    def summary(self) -> dict:
        return {**asdict(self.config), "pixel_mean": self.pixel_mean, "pixel_std": self.pixel_std,
                "final_loss": self.history[-1] if self.history else None}


def fit_window_model(windows: np.ndarray, targets: np.ndarray, config: ImageTrainConfig = ImageTrainConfig(), *,
                     progress: Callable[[int, int, float], None] | None = None) -> WindowModel:
    """Train a PixelTransformer on (N, ws, ws) windows and (N,) or (N, T) targets (MSE on standardised targets).

    Args:
        progress: called as ``progress(epoch, epochs, loss)`` after each epoch (1-based epoch).
    """
    windows = np.asarray(windows, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64).reshape(len(windows), -1)
    pixel_mean, pixel_std = float(windows.mean()), float(windows.std()) or 1.0
    target_mean = targets.mean(axis=0)
    target_std = np.where(targets.std(axis=0) > 0, targets.std(axis=0), 1.0)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = PixelTransformer(window_size=windows.shape[1], dim=config.dim, n_heads=config.n_heads,
                             ff_dim=config.ff_dim, n_targets=targets.shape[1])
    x = torch.as_tensor((windows - pixel_mean) / pixel_std, dtype=torch.float32)
    y = torch.as_tensor((targets - target_mean) / target_std, dtype=torch.float32)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * -(-len(x) // config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps, eta_min=0.05 * config.lr)
    history = []
    model.train()
    for epoch in range(config.epochs):
        total = 0.0
        for batch in torch.randperm(len(x), generator=generator).split(config.batch_size):
            loss = torch.mean((model(x[batch]).prediction - y[batch]) ** 2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        history.append(total / len(x))
        if progress is not None:
            progress(epoch + 1, config.epochs, history[-1])
    model.eval()
    return WindowModel(model, config, pixel_mean, pixel_std, target_mean, target_std, history)
