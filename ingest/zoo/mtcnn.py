"""mtcnn: the MTCNN face detector (P-Net, R-Net, O-Net) with the real weights shipped by ``facenet-pytorch``.

``facenet-pytorch`` imports torchvision at package import, which does not load beside torch 2.13, so the three
nets are defined here (same layers and parameter names as ``facenet_pytorch/models/mtcnn.py``) and their state
dicts are read from the package's ``data/{pnet,rnet,onet}.pt`` without importing the package.

Edge runtimes want fixed shapes, so P-Net is exported on a fixed square canvas (160 px): each level of the
image pyramid is placed on the canvas, and levels larger than the canvas are tiled with a 10 px overlap
(P-Net is fully convolutional with a 12 px window and stride 2, so every window lands whole in some tile).
R-Net (24 px) and O-Net (48 px) take one crop per call.

The task metric runs the whole P -> R -> O cascade through the runners of any build and reports face
detection recall (IoU >= 0.5 against a hand-drawn box) on scikit-image's ``astronaut`` photograph: ONE real
face, seen in a few rescaled / flipped / shifted variants. It is a smoke test of a real detector, not a
benchmark: the dataset is tiny and says so.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, Runner, TaskMetric, ZooModel
from ingest.zoo.images import POOLS, load_image, resize

PNET_CANVAS: Final = 160
MIN_FACE: Final = 20
FACTOR: Final = 0.709
THRESHOLDS: Final = (0.6, 0.7, 0.7)
IOU_HIT: Final = 0.5
COLLECT_SIZE: Final = 256  # images are shrunk to this before collecting calibration / eval inputs
# hand-drawn box (x1, y1, x2, y2) around Eileen Collins' face (hairline to chin, ear to ear) in
# skimage.data.astronaut(), 512 x 512
ASTRONAUT_FACE: Final = (175.0, 65.0, 265.0, 170.0)
# (scale, horizontal flip, shift-x, shift-y) applied to the astronaut image for the recall set
VARIANTS: Final = ((1.0, False, 0, 0), (1.0, True, 0, 0), (0.6, False, 0, 0), (0.6, True, 0, 0),
                   (0.35, False, 0, 0), (1.0, False, -100, 40))  # fmt: skip


def _nets() -> dict[str, Any]:
    from torch import nn

    class PNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 10, kernel_size=3)
            self.prelu1 = nn.PReLU(10)
            self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
            self.conv2 = nn.Conv2d(10, 16, kernel_size=3)
            self.prelu2 = nn.PReLU(16)
            self.conv3 = nn.Conv2d(16, 32, kernel_size=3)
            self.prelu3 = nn.PReLU(32)
            self.conv4_1 = nn.Conv2d(32, 2, kernel_size=1)
            self.softmax4_1 = nn.Softmax(dim=1)
            self.conv4_2 = nn.Conv2d(32, 4, kernel_size=1)

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.prelu1(self.conv1(x))
            x = self.pool1(x)
            x = self.prelu2(self.conv2(x))
            x = self.prelu3(self.conv3(x))
            return self.conv4_2(x), self.softmax4_1(self.conv4_1(x))

    class RNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 28, kernel_size=3)
            self.prelu1 = nn.PReLU(28)
            self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.conv2 = nn.Conv2d(28, 48, kernel_size=3)
            self.prelu2 = nn.PReLU(48)
            self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.conv3 = nn.Conv2d(48, 64, kernel_size=2)
            self.prelu3 = nn.PReLU(64)
            self.dense4 = nn.Linear(576, 128)
            self.prelu4 = nn.PReLU(128)
            self.dense5_1 = nn.Linear(128, 2)
            self.softmax5_1 = nn.Softmax(dim=1)
            self.dense5_2 = nn.Linear(128, 4)

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.pool1(self.prelu1(self.conv1(x)))
            x = self.pool2(self.prelu2(self.conv2(x)))
            x = self.prelu3(self.conv3(x))
            x = x.permute(0, 3, 2, 1).contiguous()
            x = self.prelu4(self.dense4(x.reshape(x.shape[0], -1)))
            return self.dense5_2(x), self.softmax5_1(self.dense5_1(x))

    class ONet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, kernel_size=3)
            self.prelu1 = nn.PReLU(32)
            self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=3)
            self.prelu2 = nn.PReLU(64)
            self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.conv3 = nn.Conv2d(64, 64, kernel_size=3)
            self.prelu3 = nn.PReLU(64)
            self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
            self.conv4 = nn.Conv2d(64, 128, kernel_size=2)
            self.prelu4 = nn.PReLU(128)
            self.dense5 = nn.Linear(1152, 256)
            self.prelu5 = nn.PReLU(256)
            self.dense6_1 = nn.Linear(256, 2)
            self.softmax6_1 = nn.Softmax(dim=1)
            self.dense6_2 = nn.Linear(256, 4)
            self.dense6_3 = nn.Linear(256, 10)

        def forward(self, x: Any) -> tuple[Any, Any, Any]:
            x = self.pool1(self.prelu1(self.conv1(x)))
            x = self.pool2(self.prelu2(self.conv2(x)))
            x = self.pool3(self.prelu3(self.conv3(x)))
            x = self.prelu4(self.conv4(x))
            x = x.permute(0, 3, 2, 1).contiguous()
            x = self.prelu5(self.dense5(x.reshape(x.shape[0], -1)))
            return self.dense6_2(x), self.dense6_3(x), self.softmax6_1(self.dense6_1(x))

    return {"pnet": PNet, "rnet": RNet, "onet": ONet}


OUTPUTS: Final = {
    "pnet": ["offsets", "probs"],
    "rnet": ["offsets", "probs"],
    "onet": ["offsets", "landmarks", "probs"],
}
INPUT_SIZE: Final = {"pnet": PNET_CANVAS, "rnet": 24, "onet": 48}


def weights_dir() -> Path:
    """facenet-pytorch's data dir, found without importing the package (it imports torchvision)."""
    from ingest.errors import ExportFailed

    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise ExportFailed(
            "facenet-pytorch is not installed",
            hint="pip install --no-deps facenet-pytorch (its metadata pins an old torch; only its weights are used)",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_nets() -> dict[str, Any]:
    import torch

    nets = {}
    for name, cls in _nets().items():
        net = cls()
        net.load_state_dict(torch.load(weights_dir() / f"{name}.pt", map_location="cpu", weights_only=True))
        nets[name] = net.eval()
    return nets


# ---------------------------------------------------------------- the detection cascade (numpy)


def normalise(image: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W], (x - 127.5) / 128 as MTCNN was trained."""
    return ((image.astype(np.float32) - 127.5) * 0.0078125).transpose(2, 0, 1)[None].copy()


def nms(boxes: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Indices kept by greedy non-maximum suppression; boxes are [N, >=5] (x1, y1, x2, y2, score, ...)."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2, score = (boxes[:, i] for i in range(5))
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-score, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = rest[inter / denom <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    boxes[:, 0] += w * 0.5 - side * 0.5
    boxes[:, 1] += h * 0.5 - side * 0.5
    boxes[:, 2:4] = boxes[:, 0:2] + side[:, None]
    return boxes


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += reg[:, 0:4] * np.stack([w, h, w, h], axis=1)
    return boxes


def _pnet_level(runner: Runner, level: np.ndarray, scale: float) -> np.ndarray:
    """Candidate boxes of one pyramid level through the fixed-canvas P-Net (tiled when larger)."""
    hs, ws = level.shape[:2]
    ny, nx = (hs - 12) // 2 + 1, (ws - 12) // 2 + 1
    if ny <= 0 or nx <= 0:
        return np.zeros((0, 9), dtype=np.float32)
    probs = np.zeros((ny, nx), dtype=np.float32)
    regs = np.zeros((4, ny, nx), dtype=np.float32)
    c = PNET_CANVAS
    step = c - 10

    def origins(n: int) -> list[int]:
        out = list(range(0, max(n - c, 0) + 1, step))
        if out[-1] + c < n:
            last = n - c
            out.append(last + (last % 2))
        return out

    norm = normalise(level)
    for oy in origins(hs):
        for ox in origins(ws):
            canvas = np.zeros((1, 3, c, c), dtype=np.float32)
            tile = norm[:, :, oy : oy + c, ox : ox + c]
            canvas[:, :, : tile.shape[2], : tile.shape[3]] = tile
            out = runner({"image": canvas})
            cy = min((tile.shape[2] - 12) // 2 + 1, ny - oy // 2)
            cx = min((tile.shape[3] - 12) // 2 + 1, nx - ox // 2)
            if cy <= 0 or cx <= 0:
                continue
            probs[oy // 2 : oy // 2 + cy, ox // 2 : ox // 2 + cx] = out["probs"][0, 1, :cy, :cx]
            regs[:, oy // 2 : oy // 2 + cy, ox // 2 : ox // 2 + cx] = out["offsets"][0, :, :cy, :cx]
    ys, xs = np.nonzero(probs >= THRESHOLDS[0])
    if len(ys) == 0:
        return np.zeros((0, 9), dtype=np.float32)
    q1x, q1y = np.floor((2 * xs + 1) / scale), np.floor((2 * ys + 1) / scale)
    q2x, q2y = np.floor((2 * xs + 12) / scale), np.floor((2 * ys + 12) / scale)
    boxes = np.stack([q1x, q1y, q2x, q2y, probs[ys, xs], *regs[:, ys, xs]], axis=1).astype(np.float32)
    kept: np.ndarray = boxes[nms(boxes, 0.5)]
    return kept


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> list[np.ndarray]:
    h, w = image.shape[:2]
    out = []
    for x1, y1, x2, y2 in np.round(boxes[:, :4]).astype(int):
        xa, ya, xb, yb = max(x1, 0), max(y1, 0), min(x2 + 1, w), min(y2 + 1, h)
        if xb - xa < 2 or yb - ya < 2:
            out.append(np.zeros((size, size, 3), dtype=np.uint8))
            continue
        out.append(resize(np.ascontiguousarray(image[ya:yb, xa:xb]), size, size))
    return out


def detect(runners: Mapping[str, Runner], image: np.ndarray) -> np.ndarray:
    """Face boxes [N, 5] (x1, y1, x2, y2, score) in ``image`` (uint8 RGB) through the P/R/O runners."""
    h, w = image.shape[:2]
    m = 12.0 / MIN_FACE
    scales: list[float] = []
    minl = min(h, w) * m
    while minl >= 12:
        scales.append(m * FACTOR ** len(scales))
        minl *= FACTOR
    found = [_pnet_level(runners["pnet"], resize(image, int(h * s + 1), int(w * s + 1)), s) for s in scales]
    boxes = np.concatenate(found) if found else np.zeros((0, 9), dtype=np.float32)
    boxes = boxes[nms(boxes, 0.7)]
    if len(boxes) == 0:
        return np.zeros((0, 5), dtype=np.float32)
    boxes = _square(_regress(boxes[:, :5], boxes[:, 5:9]))
    for stage, size, threshold in (("rnet", 24, THRESHOLDS[1]), ("onet", 48, THRESHOLDS[2])):
        outs = [runners[stage]({"image": normalise(c)}) for c in _crops(image, boxes, size)]
        scores = np.array([o["probs"][0, 1] for o in outs], dtype=np.float32)
        reg = np.array([o["offsets"][0] for o in outs], dtype=np.float32).reshape(-1, 4)
        keep = scores > threshold
        boxes = np.concatenate([boxes[keep, :4], scores[keep, None]], axis=1)
        reg = reg[keep]
        if stage == "rnet":
            pick = nms(boxes, 0.7)
            boxes = _square(_regress(boxes[pick], reg[pick]))
        else:
            boxes = _regress(boxes, reg)
            boxes = boxes[nms(boxes, 0.7, mode="min")]
        if len(boxes) == 0:
            break
    return boxes.astype(np.float32)


def iou(a: np.ndarray, b: tuple[float, float, float, float]) -> np.ndarray:
    """IoU of boxes ``a`` [N, >=4] against one box ``b``."""
    w = np.maximum(0.0, np.minimum(a[:, 2], b[2]) - np.maximum(a[:, 0], b[0]))
    h = np.maximum(0.0, np.minimum(a[:, 3], b[3]) - np.maximum(a[:, 1], b[1]))
    inter = w * h
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return np.asarray(inter / np.maximum(union, 1e-9))


def astronaut_variants() -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """The recall set: (image, known face box) for each variant of skimage's astronaut."""
    base = load_image("skimage", "astronaut")
    out = []
    for scale, flip, dx, dy in VARIANTS:
        size = round(512 * scale)
        image = resize(base, size, size) if scale != 1.0 else base
        x1, y1, x2, y2 = (v * size / 512 for v in ASTRONAUT_FACE)
        if flip:
            image = np.ascontiguousarray(image[:, ::-1])
            x1, x2 = size - x2, size - x1
        if dx or dy:
            # shift the content by (dx, dy), filling with grey
            shifted = np.full_like(image, 127)
            src = image[max(0, -dy) : size - max(0, dy), max(0, -dx) : size - max(0, dx)]
            shifted[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
            image = shifted
            x1, x2, y1, y2 = x1 + dx, x2 + dx, y1 + dy, y2 + dy
        out.append((image, (x1, y1, x2, y2)))
    return out


def face_recall(runners: Mapping[str, Runner]) -> tuple[float, int]:
    """Fraction (%) of astronaut variants whose known face is found (a detection with IoU >= 0.5)."""
    variants = astronaut_variants()
    hits = 0
    for image, face in variants:
        boxes = detect(runners, image)
        hits += int(len(boxes) > 0 and float(iou(boxes, face).max()) >= IOU_HIT)
    return 100.0 * hits / len(variants), len(variants)


# ---------------------------------------------------------------- calibration / evaluation inputs


@functools.cache
def _stage_inputs(pool: str) -> dict[str, tuple[np.ndarray, ...]]:
    """Realistic per-net inputs: P-Net canvases of pyramid levels and the R-/O-Net crops the torch cascade
    produces on the pool's images (the eval pool adds the astronaut variants; calibration never sees them)."""
    import torch

    nets = load_nets()

    def torch_runner(net: Any, names: list[str]) -> Runner:
        def run(inputs: Inputs) -> dict[str, np.ndarray]:
            with torch.no_grad():
                outs = net(torch.from_numpy(inputs["image"]))
            return {n: o.numpy() for n, o in zip(names, outs, strict=True)}

        return run

    collected: dict[str, list[np.ndarray]] = {"pnet": [], "rnet": [], "onet": []}

    def recorder(name: str) -> Runner:
        inner = torch_runner(nets[name], OUTPUTS[name])

        def run(inputs: Inputs) -> dict[str, np.ndarray]:
            collected[name].append(inputs["image"])
            return inner(inputs)

        return run

    names = [(s, n) for s, n in POOLS["calibration"] + POOLS["eval"] if n != "astronaut"]
    if pool == "calibration":
        images = [load_image(s, n) for s, n in names[0::2][:5]]
    else:
        images = [astronaut_variants()[2][0]] + [load_image(s, n) for s, n in names[1::2][:3]]
    runners = {name: recorder(name) for name in OUTPUTS}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets, one crop per call: threads only add overhead
    try:
        for image in images:
            scale = COLLECT_SIZE / max(image.shape[:2])
            if scale < 1:
                image = resize(image, round(image.shape[0] * scale), round(image.shape[1] * scale))
            detect(runners, image)
    finally:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0 if pool == "calibration" else 1)
    out = {}
    for name, items in collected.items():
        order = rng.permutation(len(items))
        out[name] = tuple(items[i] for i in order)
    return out


def _inputs(pool: str, component: str, n: int) -> list[Inputs]:
    items = _stage_inputs(pool)[component]
    if not items:
        raise ValueError(f"no {component} inputs collected from the {pool} images")
    return [{"image": items[i % len(items)]} for i in range(n)]


def build(size: str = "default") -> ZooModel:
    """The three MTCNN nets with facenet-pytorch's weights (``size`` is accepted; the nets are small)."""
    import torch

    nets = load_nets()
    gen = torch.Generator().manual_seed(0)
    components = [
        Component(
            name=name,
            module=nets[name],
            example_inputs={"image": torch.rand(1, 3, INPUT_SIZE[name], INPUT_SIZE[name], generator=gen) * 2 - 1},
            output_names=list(OUTPUTS[name]),
            exporters=("legacy", "dynamo"),
        )
        for name in ("pnet", "rnet", "onet")
    ]
    return ZooModel(
        slug="mtcnn",
        name="MTCNN face detector",
        task="face-detection",
        domain="computer-vision",
        license="MIT",
        source_url="https://github.com/timesler/facenet-pytorch",
        description="Multi-task cascaded CNNs (Zhang et al. 2016): P-Net proposes face windows on an image "
        "pyramid, R-Net refines them and O-Net outputs final boxes and five landmarks.",
        weights="real",
        components=components,
        calibration=lambda component, n: _inputs("calibration", component, n),
        eval_inputs=lambda component, n: _inputs("eval", component, n),
        card={
            "weights": "real: facenet-pytorch's shipped pnet.pt / rnet.pt / onet.pt (ported from the "
            "original MTCNN Caffe models), loaded from the installed package; nothing downloaded",
            "inputs": {
                "pnet": f"image: float32 [1, 3, {PNET_CANVAS}, {PNET_CANVAS}] canvas holding one pyramid level "
                "(or a tile of it), (pixel - 127.5) / 128, zero padded",
                "rnet": "image: float32 [1, 3, 24, 24] candidate crop, (pixel - 127.5) / 128",
                "onet": "image: float32 [1, 3, 48, 48] candidate crop, (pixel - 127.5) / 128",
            },
            "cascade": {"min_face": MIN_FACE, "factor": FACTOR, "thresholds": list(THRESHOLDS)},
            "evaluation": "face detection recall on skimage.data.astronaut: 1 real face in "
            f"{len(VARIANTS)} variants (rescaled, flipped, shifted), IoU >= {IOU_HIT} against a hand-drawn "
            "box; a smoke test of the real weights, not a benchmark",
            "calibration": "P-Net canvases and R-/O-Net crops produced by the FP32 cascade on bundled "
            "scikit-image / scikit-learn photos other than the astronaut",
        },
        task_metric=TaskMetric(
            dataset=f"skimage astronaut, 1 face x {len(VARIANTS)} variants",
            metric="face_recall_pct",
            higher_is_better=True,
            evaluate=face_recall,
        ),
    )
