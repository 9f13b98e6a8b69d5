"""Real photographs bundled with scikit-image and scikit-learn, as calibration and evaluation inputs.

Nothing is downloaded: scikit-image ships its test images inside the wheel (``astronaut``, ``coffee``,
``chelsea``, ...) and scikit-learn ships ``china.jpg`` and ``flower.jpg``. The images are split in two
disjoint pools so calibration crops never come from an image used for evaluation.
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path
from typing import Any, Final

import numpy as np

from registry import atomic

IMAGENET_MEAN: Final = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD: Final = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# (source, name); grey images are repeated to three channels
_CALIBRATION_POOL: Final = (
    ("skimage", "astronaut"),
    ("skimage", "chelsea"),
    ("skimage", "rocket"),
    ("skimage", "immunohistochemistry"),
    ("skimage", "camera"),
    ("skimage", "coins"),
    ("skimage", "grass"),
    ("skimage", "colorwheel"),
    ("sklearn", "china.jpg"),
)
_EVAL_POOL: Final = (
    ("skimage", "coffee"),
    ("skimage", "cat"),
    ("skimage", "hubble_deep_field"),
    ("skimage", "retina"),
    ("skimage", "brick"),
    ("skimage", "gravel"),
    ("skimage", "page"),
    ("sklearn", "flower.jpg"),
)
POOLS: Final = {"calibration": _CALIBRATION_POOL, "eval": _EVAL_POOL}


def load_image(source: str, name: str) -> np.ndarray:
    """One bundled image as uint8 RGB [H, W, 3]."""
    if source == "skimage":
        from skimage import data

        image = np.asarray(getattr(data, name)())
    elif source == "sklearn":
        from sklearn.datasets import load_sample_image

        image = np.asarray(load_sample_image(name))
    else:
        raise ValueError(f"unknown image source {source!r}")
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3].astype(np.uint8))


@functools.cache
def pool_images(pool: str) -> tuple[np.ndarray, ...]:
    return tuple(load_image(src, name) for src, name in POOLS[pool])


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of a uint8 RGB image (PIL, as scikit-image installs it)."""
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))


def random_crops(pool: str, n: int, height: int, width: int, seed: int) -> list[np.ndarray]:
    """``n`` random-resized crops (scale 25-100% of the area, aspect 3:4-4:3, random flip), uint8 [H, W, 3]."""
    rng = np.random.default_rng(seed)
    images = pool_images(pool)
    crops = []
    for i in range(n):
        image = images[i % len(images)]
        h, w = image.shape[:2]
        area = rng.uniform(0.25, 1.0) * h * w
        aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        ch = int(min(h, max(8, round(np.sqrt(area / aspect)))))
        cw = int(min(w, max(8, round(np.sqrt(area * aspect)))))
        y = int(rng.integers(0, h - ch + 1))
        x = int(rng.integers(0, w - cw + 1))
        crop = resize(image[y : y + ch, x : x + cw], height, width)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crops.append(np.ascontiguousarray(crop))
    return crops


def imagenet_tensor(image: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W] with ImageNet mean/std normalisation."""
    x = (image.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def unit_tensor(image: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W] in [0, 1] (YOLO-style preprocessing)."""
    return np.ascontiguousarray((image.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])


def letterbox(image: np.ndarray, size: int, fill: int = 114) -> np.ndarray:
    """Resize keeping the aspect ratio and pad to ``size`` x ``size`` (YOLO's letterbox)."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    canvas = np.full((size, size, 3), fill, dtype=np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top : top + nh, left : left + nw] = resize(image, nh, nw)
    return canvas


def image_inputs(
    pool: str, n: int, input_name: str, size: int, seed: int, *, normalise: str = "imagenet"
) -> list[dict[str, np.ndarray]]:
    """``n`` model inputs ``{input_name: float32 [1, 3, size, size]}`` from a pool of bundled images."""
    to_tensor = imagenet_tensor if normalise == "imagenet" else unit_tensor
    return [{input_name: to_tensor(c)} for c in random_crops(pool, n, size, size, seed)]


def recalibrate_batchnorm(module: Any, inputs: list[np.ndarray], *, batch: int = 8) -> int:
    """Set every BatchNorm's running mean/variance from forward passes over real images (cumulative average),
    then put the module back in eval mode. Random-weight nets keep their random weights, but their activations
    get the spread of a trained net instead of vanishing or exploding layer after layer, so quantization
    error measured on them means something. Returns the number of images used.

    The statistics are kept in the zoo cache (``zoo_cache_dir``), keyed by the module's parameters and buffers,
    the images' bytes, the batch size and torch's version, so a re-ingest loads them instead of running the
    forward passes again (1-2 s for YOLOv8n)."""
    import torch

    norms = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    path = _batchnorm_cache(module, inputs, batch)
    if path is not None and path.is_file():
        try:
            stats = torch.load(path, weights_only=True)
            if len(stats) == len(norms):
                for m, (mean, var, seen) in zip(norms, stats, strict=True):
                    for buffer, value in ((m.running_mean, mean), (m.running_var, var), (m.num_batches_tracked, seen)):
                        if buffer is None:  # a norm that tracks no statistics: recompute the ordinary way
                            raise ValueError(m)
                        buffer.copy_(value)
                    m.momentum = None
                module.eval()
                return len(inputs)
        except Exception:  # an unreadable cache entry is recomputed
            pass
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over all batches
    module.train()
    with torch.no_grad():
        for i in range(0, len(inputs), batch):
            module(torch.from_numpy(np.concatenate(inputs[i : i + batch])))
    module.eval()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            torch.save([(m.running_mean, m.running_var, m.num_batches_tracked) for m in norms], buf)
            atomic.write_bytes(path, buf.getvalue())
        except OSError:
            pass
    return len(inputs)


def _batchnorm_cache(module: Any, inputs: list[np.ndarray], batch: int) -> Path | None:
    import torch

    from ingest.zoo.base import zoo_cache_dir

    root = zoo_cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256(repr((type(module).__qualname__, batch, torch.__version__)).encode())
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    for x in inputs:
        digest.update(repr((x.dtype.str, x.shape)).encode())
        digest.update(np.ascontiguousarray(x).tobytes())
    return root / f"batchnorm-{digest.hexdigest()[:24]}.pt"
