"""hrnet-pose: HRNet-W32 top-down human pose estimation (Sun et al. 2019), as AI Hub's HRNetPose, RANDOM weights.

The layers follow ``pose_hrnet_w32_256x192`` (leoxiaobin/deep-high-resolution-net.pytorch): a two-conv stride-4
stem, four Bottlenecks, then stages of 1, 4 and 3 high-resolution modules over 2, 3 and 4 parallel branches
(widths 32, 64, 128, 256; four BasicBlocks per branch) with exchange (fuse) units, and a 1x1 head to 17 COCO
keypoint heatmaps at 1/4 resolution. No pretrained checkpoint ships in a package and nothing is downloaded, so
the weights are a fixed seed's, with BatchNorm statistics recomputed on bundled photographs (so activations
have a trained net's spread); builds are judged by fidelity to FP32, never by keypoint accuracy.

One component, ``model``: ``image`` float32 [1, 3, 256, 192] RGB in [0, 1] (ImageNet normalisation is inside the
graph, as in AI Hub's export) -> ``heatmaps`` float32 [1, 17, 64, 48].
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import IMAGENET_MEAN, IMAGENET_STD, random_crops, recalibrate_batchnorm, unit_tensor

INPUT: Final = "image"
OUTPUT: Final = "heatmaps"
SEED: Final = 0
KEYPOINTS: Final = 17  # COCO
BN_IMAGES: Final = 16
# (input height, width, branch widths, modules per stage 2-4, blocks per branch)
SIZES: Final[dict[str, dict[str, Any]]] = {
    "default": {"height": 256, "width": 192, "widths": (32, 64, 128, 256), "modules": (1, 4, 3), "blocks": 4},
    "tiny": {"height": 128, "width": 96, "widths": (8, 16, 32, 64), "modules": (1, 1, 1), "blocks": 1},
}


def _net(widths: tuple[int, ...], modules: tuple[int, ...], blocks: int) -> Any:
    import torch
    from torch import nn

    def bn(c: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(c, momentum=0.1)

    class BasicBlock(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, 1, 1, bias=False), bn(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, 1, 1, bias=False), bn(c)
            self.relu = nn.ReLU()

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + x)

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, planes: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, planes, 1, bias=False), bn(planes)
            self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), bn(planes)
            self.conv3, self.bn3 = nn.Conv2d(planes, planes * 4, 1, bias=False), bn(planes * 4)
            self.relu = nn.ReLU()
            self.downsample = (
                nn.Sequential(nn.Conv2d(cin, planes * 4, 1, bias=False), bn(planes * 4))
                if cin != planes * 4
                else nn.Identity()
            )

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            return self.relu(self.bn3(self.conv3(out)) + self.downsample(x))

    def fuse_layer(i: int, j: int) -> nn.Module:
        """Branch j's features brought to branch i's resolution and width."""
        if j == i:
            return nn.Identity()
        if j > i:
            return nn.Sequential(
                nn.Conv2d(widths[j], widths[i], 1, bias=False), bn(widths[i]), nn.Upsample(scale_factor=2 ** (j - i))
            )
        steps: list[nn.Module] = []
        for k in range(i - j):
            last = k == i - j - 1
            cout = widths[i] if last else widths[j]
            steps += [nn.Conv2d(widths[j], cout, 3, 2, 1, bias=False), bn(cout)]
            if not last:
                steps.append(nn.ReLU())
        return nn.Sequential(*steps)

    class HighResolutionModule(nn.Module):
        def __init__(self, branches: int, multi_scale_output: bool) -> None:
            super().__init__()
            self.branches = nn.ModuleList(
                nn.Sequential(*(BasicBlock(widths[b]) for _ in range(blocks))) for b in range(branches)
            )
            outputs = branches if multi_scale_output else 1
            self.fuse_layers = nn.ModuleList(
                nn.ModuleList(fuse_layer(i, j) for j in range(branches)) for i in range(outputs)
            )
            self.relu = nn.ReLU()

        def forward(self, xs: list[Any]) -> list[Any]:
            xs = [branch(x) for branch, x in zip(self.branches, xs, strict=True)]
            out = []
            for fuse in self.fuse_layers:
                assert isinstance(fuse, nn.ModuleList)
                y = fuse[0](xs[0])
                for j in range(1, len(xs)):
                    y = y + fuse[j](xs[j])
                out.append(self.relu(y))
            return out

    def transition(cin: int, branch: int) -> nn.Module:
        stride = 1 if branch == 0 else 2
        return nn.Sequential(nn.Conv2d(cin, widths[branch], 3, stride, 1, bias=False), bn(widths[branch]), nn.ReLU())

    class PoseHighResolutionNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
            self.conv1, self.bn1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False), bn(64)
            self.conv2, self.bn2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False), bn(64)
            self.relu = nn.ReLU()
            self.layer1 = nn.Sequential(Bottleneck(64, 64), *(Bottleneck(256, 64) for _ in range(3)))
            self.transition1 = nn.ModuleList([transition(256, 0), transition(256, 1)])
            self.stage2 = nn.ModuleList(HighResolutionModule(2, True) for _ in range(modules[0]))
            self.transition2 = transition(widths[1], 2)
            self.stage3 = nn.ModuleList(HighResolutionModule(3, True) for _ in range(modules[1]))
            self.transition3 = transition(widths[2], 3)
            self.stage4 = nn.ModuleList(
                HighResolutionModule(4, k < modules[2] - 1) for k in range(modules[2])
            )  # the last module keeps only the high-resolution branch
            self.final_layer = nn.Conv2d(widths[0], KEYPOINTS, 1)

        def forward(self, image: Any) -> Any:
            x = (image - self.mean) / self.std
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.relu(self.bn2(self.conv2(x)))
            x = self.layer1(x)
            xs = [t(x) for t in self.transition1]
            for m in self.stage2:
                xs = m(xs)
            xs = [*xs, self.transition2(xs[-1])]
            for m in self.stage3:
                xs = m(xs)
            xs = [*xs, self.transition3(xs[-1])]
            for m in self.stage4:
                xs = m(xs)
            return self.final_layer(xs[0])

    return PoseHighResolutionNet()


RESIDUAL_GAMMA: Final = 0.2


def damp_residuals(net: Any) -> None:
    """Start each residual branch's last BatchNorm (and each cross-branch fuse) at a small scale, as trained
    residual nets end up: with every sum at full scale, random activations grow through 100+ additions until
    even fp16 loses precision and an int8 grid cannot hold them (w8a8 cosine 0.84 before this)."""
    import torch

    with torch.no_grad():
        for name, module in net.named_modules():
            in_branch_block = ".branches." in name and name.endswith(".bn2")  # a BasicBlock's residual branch
            if isinstance(module, torch.nn.BatchNorm2d) and (in_branch_block or ".fuse_layers." in name):
                module.weight.fill_(RESIDUAL_GAMMA)


def _inputs(pool: str, n: int, height: int, width: int, seed: int) -> list[Inputs]:
    return [{INPUT: unit_tensor(c)} for c in random_crops(pool, n, height, width, seed)]


def build(size: str = "default") -> ZooModel:
    import torch

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    spec = SIZES[size]
    h, w = int(spec["height"]), int(spec["width"])
    torch.manual_seed(SEED)
    net = _net(tuple(spec["widths"]), tuple(spec["modules"]), int(spec["blocks"]))
    damp_residuals(net)
    bn_images = recalibrate_batchnorm(net, [x[INPUT] for x in _inputs("calibration", BN_IMAGES, h, w, seed=1000)])

    def calibration(component: str, n: int) -> list[Inputs]:
        return _inputs("calibration", n, h, w, seed=0)

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return _inputs("eval", n, h, w, seed=1)

    example = torch.from_numpy(_inputs("eval", 1, h, w, seed=2)[0][INPUT])
    params = sum(int(np.prod(p.shape)) for p in net.parameters())
    return ZooModel(
        slug="hrnet-pose",
        name="HRNetPose (HRNet-W32, random weights)",
        task="pose-estimation",
        domain="computer-vision",
        license="MIT (the HRNet code; these weights are random)",
        source_url="https://github.com/leoxiaobin/deep-high-resolution-net.pytorch",
        description=f"HRNet-W32 top-down pose estimator ({params / 1e6:.1f}M parameters), {h}x{w} person crop -> "
        f"{KEYPOINTS} COCO keypoint heatmaps at 1/4 resolution; the architecture of AI Hub's HRNetPose.",
        weights="random",
        components=[
            Component(
                name="model",
                module=net,
                example_inputs={INPUT: example},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": f"random: a fixed seed ({SEED}), no pretrained checkpoint; BatchNorm running statistics "
            f"recomputed on {bn_images} crops of bundled scikit-image/scikit-learn photos; the last BatchNorm of "
            f"each residual branch and of each fuse starts at scale {RESIDUAL_GAMMA} (random sums otherwise "
            "outgrow an int8 grid: w8a8 cosine 0.84 without, 0.92 with). Heatmaps are "
            "meaningless; builds are judged by fidelity to FP32, never by keypoint accuracy.",
            "architecture": {
                "config": "pose_hrnet_w32_256x192" if size == "default" else f"reduced for tests ({size})",
                "branch_widths": list(spec["widths"]),
                "modules_per_stage": list(spec["modules"]),
                "blocks_per_branch": spec["blocks"],
                "parameters": params,
            },
            "inputs": {INPUT: [1, 3, h, w]},
            "outputs": {OUTPUT: [1, KEYPOINTS, h // 4, w // 4]},
            "preprocessing": "RGB person crop resized to the input, float in [0, 1]; ImageNet mean/std inside",
            "aihub_model": "hrnet_pose (HRNetPose, 256x192, 28.5M parameters)",
            "calibration_data": "random crops of bundled photographs; evaluation uses a disjoint set",
        },
        task_metric=None,
    )
