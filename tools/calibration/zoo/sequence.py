"""Calibration graphs: sequence models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from tools.calibration.build_graphs import (
    Builder,
    img,
    sd_text_encoder,
    sd_vae_decoder,
    torch_nn,
    whisper_encoder,
    zeros,
)
from tools.calibration.zoo.mobile import basic_block, conv_bn_relu
from tools.calibration.zoo.transformers import lite_mla


class ExternalDataBuilder:
    """A builder whose model is too large for protobuf's 2 GiB in-memory limit: ``build_one`` calls its
    ``build_summary``, which exports to a temporary directory with external data and reads back the graph only
    (graphcost needs initializer shapes, never their values, except small ones such as Reshape targets)."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder

    def __call__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.builder()

    def build_summary(self) -> dict[str, Any]:
        import onnx
        import torch
        from onnx import external_data_helper

        from registry.estimator.graphcost import analyze_onnx

        torch.manual_seed(0)
        model, inputs = self.builder()
        model.eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            with torch.no_grad():
                torch.onnx.export(model, inputs, str(path), dynamo=False, opset_version=17, do_constant_folding=True)
            del model
            proto = onnx.load(str(path), load_external_data=False)
            for t in proto.graph.initializer:  # small tensors (shapes, scalars) are needed for shape inference
                if external_data_helper.uses_external_data(t) and math.prod(t.dims) <= 65536:
                    external_data_helper.load_external_data_for_tensor(t, tmp)
                    t.data_location = onnx.TensorProto.DEFAULT
                    del t.external_data[:]
        return analyze_onnx(proto).summary()


def _sequencer2d(layers: list[int], patches: list[int], dims: list[int], hidden: list[int]) -> Any:
    """timm's Sequencer2D: a patch-embedding conv, then stages of blocks (LayerNorm, a bidirectional LSTM along the
    columns and one along the rows, concatenated and fused by a linear layer; LayerNorm, MLP with ratio 3), a conv
    downsampling at the start of every later stage, all in NHWC; LayerNorm, average pool, linear classifier."""
    import torch

    nn = torch_nn()

    class Lstm2d(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, dim: int, hid: int) -> None:
            super().__init__()
            self.rnn_v = nn.LSTM(dim, hid, batch_first=True, bidirectional=True)
            self.rnn_h = nn.LSTM(dim, hid, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(4 * hid, dim)

        def forward(self, x: Any) -> Any:
            b, h, w, c = (int(s) for s in x.shape)
            v = self.rnn_v(x.permute(0, 2, 1, 3).reshape(b * w, h, c))[0]
            v = v.reshape(b, w, h, -1).permute(0, 2, 1, 3)
            r = self.rnn_h(x.reshape(b * h, w, c))[0].reshape(b, h, w, -1)
            return self.fc(torch.cat([v, r], dim=-1))

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, dim: int, hid: int) -> None:
            super().__init__()
            self.norm1, self.mix = nn.LayerNorm(dim, eps=1e-6), Lstm2d(dim, hid)
            self.norm2 = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(dim, 3 * dim), nn.GELU(), nn.Linear(3 * dim, dim))

        def forward(self, x: Any) -> Any:
            x = x + self.mix(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    class Downsample(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, p: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, p, p)

        def forward(self, x: Any) -> Any:
            return self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    class Sequencer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            blocks: list[Any] = []
            cin = 3
            for depth, p, dim, hid in zip(layers, patches, dims, hidden, strict=True):
                blocks.append(Downsample(cin, dim, p))
                blocks += [Block(dim, hid) for _ in range(depth)]
                cin = dim
            self.blocks = nn.Sequential(*blocks)
            self.norm, self.head = nn.LayerNorm(cin, eps=1e-6), nn.Linear(cin, 1000)

        def forward(self, x: Any) -> Any:
            x = self.norm(self.blocks(x.permute(0, 2, 3, 1)))
            return self.head(x.mean(dim=(1, 2)))

    return Sequencer()


def _control_residuals() -> list[Any]:
    """The 12 down-block residuals and the mid-block residual ControlNet adds to SD 1.5's UNet at a 64x64 latent."""
    shapes = [(320, 64)] * 3 + [(320, 32), (640, 32), (640, 32), (640, 16), (1280, 16), (1280, 16)] + [(1280, 8)] * 4
    return [zeros(1, c, s, s) for c, s in shapes]


def _sd15_unet_with_control() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's controlnet_canny ``unet``: SD 1.5's UNet2DConditionModel with ControlNet's residuals as inputs."""
    import diffusers

    nn = torch_nn()
    unet: Any = diffusers.UNet2DConditionModel(sample_size=64, cross_attention_dim=768)  # type: ignore[no-untyped-call]

    class ControlUnet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.unet = unet

        def forward(self, latent: Any, timestep: Any, text_emb: Any, *residuals: Any) -> Any:
            return self.unet(latent, timestep, text_emb, down_block_additional_residuals=residuals[:12],
                             mid_block_additional_residual=residuals[12], return_dict=False)[0]  # fmt: skip

    inputs = (zeros(1, 4, 64, 64), zeros(1), zeros(1, 77, 768), *_control_residuals())
    return ControlUnet(), inputs


def _sd15_controlnet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's controlnet_canny ``controlnet``: lllyasviel/sd-controlnet-canny (SD 1.5 ControlNetModel) on a 64x64
    latent and a 512x512 canny image; outputs its 12 down-block residuals and the mid-block residual."""
    import diffusers
    import torch

    nn = torch_nn()
    cn: Any = diffusers.ControlNetModel(cross_attention_dim=768)  # type: ignore[no-untyped-call]
    with torch.no_grad():  # its zero-initialised convolutions would otherwise be deduplicated as equal initializers
        for p in cn.parameters():
            if not p.any():
                p.normal_(0.0, 0.02)

    class ControlNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.cn = cn

        def forward(self, latent: Any, timestep: Any, text_emb: Any, image: Any) -> Any:
            down, mid = self.cn(latent, timestep, text_emb, controlnet_cond=image, return_dict=False)
            return (*down, mid)

    return ControlNet(), (zeros(1, 4, 64, 64), zeros(1), zeros(1, 77, 768), zeros(1, 3, 512, 512))


def _efficientvit_l2() -> Any:
    """MIT EfficientViT-L2 classifier (CVHub520/efficientvit, as AI Hub loads it): a conv stem and a residual
    conv block; fused-MBConv stages (expansion 16 when downsampling, else 4) at widths 64 and 128, an MBConv stage at
    256, an MBConv downsampling (expansion 24) to 512 then 8 blocks of multi-scale ReLU linear attention (5x5
    aggregation, head dim 32) and MBConv (expansion 6); BN, GELU (tanh); head 1x1 conv to 3072, pool, linear to 3200
    with LayerNorm, linear to 1000."""

    nn = torch_nn()

    def conv(cin: int, cout: int, k: int = 1, s: int = 1, groups: int = 1, bias: bool = False, bn: bool = True,
             act: bool = True) -> Any:  # fmt: skip
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=bias)]
        layers += [nn.BatchNorm2d(cout)] if bn else []
        layers += [nn.GELU(approximate="tanh")] if act else []
        return nn.Sequential(*layers)

    def fused_mb(cin: int, cout: int, s: int, e: int) -> Any:
        return nn.Sequential(conv(cin, cin * e, 3, s), conv(cin * e, cout, act=False))

    def mb(cin: int, cout: int, s: int, e: int) -> Any:  # the "fewer norm" MBConv: biases, BN only at the end
        mid = cin * e
        return nn.Sequential(conv(cin, mid, bias=True, bn=False), conv(mid, mid, 3, s, mid, bias=True, bn=False),
                             conv(mid, cout, act=False))  # fmt: skip

    class Residual(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, body: Any) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Any) -> Any:
            return x + self.body(x)

    LiteMla = lite_mla()

    layers: list[Any] = [conv(3, 32, 3, 2), Residual(nn.Sequential(conv(32, 32, 3), conv(32, 32, 3, act=False)))]
    cin = 32
    for stage, (w, d) in enumerate(zip([64, 128, 256], [2, 2, 8], strict=True), start=1):
        block = fused_mb if stage <= 2 else mb
        layers.append(block(cin, w, 2, 16))
        layers += [Residual(block(w, w, 1, 4)) for _ in range(d)]
        cin = w
    layers.append(mb(cin, 512, 2, 24))
    for _ in range(8):
        layers += [Residual(LiteMla(512)), Residual(mb(512, 512, 1, 6))]
    layers += [conv(512, 3072), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3072, 3200, bias=False),
               nn.LayerNorm(3200), nn.GELU(approximate="tanh"), nn.Linear(3200, 1000)]  # fmt: skip
    return nn.Sequential(*layers)


def _zipformer_decoder(vocab: int = 6254, dim: int = 512) -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's ZipformerDecoder (icefall pruned_transducer_stateless7 stateless decoder): the embedding of the last
    two tokens (masked where negative), a grouped 1D conv over them (kernel 2, groups dim/4), ReLU, then the joiner's
    decoder projection."""
    import torch

    nn = torch_nn()

    class Decoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab, dim)
            self.conv = nn.Conv1d(dim, dim, 2, groups=dim // 4, bias=False)
            self.proj = nn.Linear(dim, dim)

        def forward(self, y: Any) -> Any:
            e = self.embedding(y.clamp(min=0)) * (y >= 0).unsqueeze(-1)
            e = torch.relu(self.conv(e.permute(0, 2, 1)).permute(0, 2, 1))
            return self.proj(e.squeeze(1))

    return Decoder(), (torch.ones(1, 2, dtype=torch.long),)


def _zipformer_joiner(vocab: int = 6254, dim: int = 512) -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's ZipformerJoiner: tanh of the sum of the projected encoder and decoder outputs, a linear to the
    vocabulary."""
    import torch

    nn = torch_nn()

    class Joiner(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.output_linear = nn.Linear(dim, vocab)

        def forward(self, enc: Any, dec: Any) -> Any:
            return self.output_linear(torch.tanh(enc + dec))

    return Joiner(), (zeros(1, dim), zeros(1, dim))


_XMEM_H, _XMEM_W = 320, 576  # AI Hub's track_anything input spec (f16 is 20x36)


def _normalize(x: Any) -> Any:
    """torchvision's ImageNet normalisation, as AI Hub's wrappers apply it in the graph."""
    import torch

    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    return (x - mean) / std


def _resnet_trunk(bottleneck: bool, cin: int = 3) -> Any:
    """ResNet-50 (bottleneck) or ResNet-18 (basic) stem and layers 1-3, returning the 1/16, 1/8 and 1/4 features;
    XMem's value encoder pools before its stem ReLU."""
    import torch

    nn = torch_nn()

    class Bottleneck(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, mid: int, s: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                conv_bn_relu(cin, mid, 1), conv_bn_relu(mid, mid, 3, s), conv_bn_relu(mid, 4 * mid, 1, relu=False)
            )
            self.down = conv_bn_relu(cin, 4 * mid, 1, s, relu=False) if s != 1 or cin != 4 * mid else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.down(x))

    def layer(c_in: int, width: int, n: int, s: int) -> tuple[Any, int]:
        if bottleneck:
            blocks = [Bottleneck(c_in if i == 0 else 4 * width, width, s if i == 0 else 1) for i in range(n)]
            return nn.Sequential(*blocks), 4 * width
        basic = basic_block()
        return nn.Sequential(*[basic(c_in if i == 0 else width, width, s if i == 0 else 1) for i in range(n)]), width

    class Trunk(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(cin, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64))
            self.pool = nn.MaxPool2d(3, 2, 1)
            depths = [3, 4, 6] if bottleneck else [2, 2, 2]
            self.layer1, c = layer(64, 64, depths[0], 1)
            self.layer2, c = layer(c, 128, depths[1], 2)
            self.layer3, c = layer(c, 256, depths[2], 2)

        def forward(self, x: Any) -> Any:
            x = self.stem(x)
            x = torch.relu(self.pool(x)) if not bottleneck else self.pool(torch.relu(x))
            f4 = self.layer1(x)
            f8 = self.layer2(f4)
            return self.layer3(f8), f8, f4

    return Trunk()


def _xmem_parts() -> Any:
    """XMem's building blocks (Track-Anything's tracker): residual blocks over (batch, object) groups, CBAM, the
    feature fusion block, the hidden-state updaters (GRU-like gates) and the upsampling block."""
    import torch

    nn = torch_nn()
    f = torch.nn.functional

    class GroupRes(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
            self.down = nn.Conv2d(cin, cout, 3, 1, 1) if cin != cout else None

        def forward(self, g: Any) -> Any:  # g: (objects, C, H, W), one object here
            out = self.conv2(f.relu(self.conv1(f.relu(g))))
            return out + (self.down(g) if self.down is not None else g)

    class Cbam(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, c: int) -> None:
            super().__init__()
            self.mlp = nn.Sequential(nn.Linear(c, c // 16), nn.ReLU(), nn.Linear(c // 16, c))
            self.spatial = nn.Conv2d(2, 1, 7, 1, 3)

        def forward(self, x: Any) -> Any:
            gate = self.mlp(x.mean(dim=(2, 3))) + self.mlp(x.amax(dim=(2, 3)))
            x = x * torch.sigmoid(gate)[:, :, None, None]
            pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
            return x * torch.sigmoid(self.spatial(pooled))

    class Fusion(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, x_in: int, g_in: int, mid: int, out: int) -> None:
            super().__init__()
            self.block1, self.attention, self.block2 = GroupRes(x_in + g_in, mid), Cbam(mid), GroupRes(mid, out)

        def forward(self, x: Any, g: Any) -> Any:
            g = self.block1(torch.cat([x, g], dim=1))
            return self.block2(g + self.attention(g))

    def gates(values: Any, h: Any, hid: int) -> Any:
        forget, update = torch.sigmoid(values[:, :hid]), torch.sigmoid(values[:, hid : 2 * hid])
        return forget * h * (1 - update) + update * torch.tanh(values[:, 2 * hid :])

    class Reinforcer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, g_dim: int, hid: int) -> None:
            super().__init__()
            self.hid, self.transform = hid, nn.Conv2d(g_dim + hid, 3 * hid, 3, 1, 1)

        def forward(self, g: Any, h: Any) -> Any:
            return gates(self.transform(torch.cat([g, h], dim=1)), h, self.hid)

    class Updater(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, dims: list[int], mid: int, hid: int) -> None:
            super().__init__()
            self.convs = nn.ModuleList([nn.Conv2d(d, mid, 1) for d in dims])
            self.hid, self.transform = hid, nn.Conv2d(mid + hid, 3 * hid, 3, 1, 1)

        def forward(self, g16: Any, g8: Any, g4: Any, h: Any) -> Any:
            size = [int(s) for s in g16.shape[2:]]
            g = self.convs[0](g16)  # AI Hub's patch: bilinear instead of area downsampling
            g = g + self.convs[1](f.interpolate(g8, size=size, mode="bilinear", align_corners=False))
            g = g + self.convs[2](f.interpolate(g4, size=size, mode="bilinear", align_corners=False))
            return gates(self.transform(torch.cat([g, h], dim=1)), h, self.hid)

    class Upsample(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, skip_c: int, up_c: int, out_c: int) -> None:
            super().__init__()
            self.skip_conv, self.out_conv = nn.Conv2d(skip_c, up_c, 3, 1, 1), GroupRes(up_c, out_c)

        def forward(self, skip: Any, up: Any) -> Any:
            up = f.interpolate(up, scale_factor=2.0, mode="bilinear", align_corners=False)
            return self.out_conv(self.skip_conv(skip) + up)

    return GroupRes, Fusion, Reinforcer, Updater, Upsample


def _track_anything_key(shrinkage: bool) -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's TrackAnythingEncodeKey*: normalisation, ResNet-50 to layer 3, the 3x3 key projection, the selection
    (sigmoid) and, with shrinkage, the squared shrinkage projection."""
    import torch

    nn = torch_nn()

    class EncodeKey(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.trunk = _resnet_trunk(bottleneck=True)
            self.key_proj, self.e_proj = nn.Conv2d(1024, 64, 3, 1, 1), nn.Conv2d(1024, 64, 3, 1, 1)
            self.d_proj = nn.Conv2d(1024, 1, 3, 1, 1) if shrinkage else None

        def forward(self, image: Any) -> Any:
            f16, f8, f4 = self.trunk(_normalize(image))
            key, selection = self.key_proj(f16), torch.sigmoid(self.e_proj(f16))
            if self.d_proj is not None:
                return key, self.d_proj(f16) ** 2 + 1, selection, f16
            return key, selection, f16, f8, f4

    return EncodeKey(), img(_XMEM_H, _XMEM_W)


def _track_anything_value() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's TrackAnythingEncodeValue: the mask's two-class probabilities, then XMem's value encoder (ResNet-18 to
    layer 3 on the image with the mask and the other objects' mask, fusion with the key's f16 features) and its deep
    hidden-state update."""
    import torch

    nn = torch_nn()
    _, fusion, reinforcer, _, _ = _xmem_parts()
    h16, w16 = _XMEM_H // 16, _XMEM_W // 16

    class EncodeValue(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.trunk = _resnet_trunk(bottleneck=False, cin=5)
            self.fuser, self.hidden_reinforce = fusion(1024, 256, 512, 512), reinforcer(512, 64)

        def forward(self, image: Any, mask: Any, f16: Any, hidden: Any) -> Any:
            new_mask = torch.cat([1 - mask, mask], dim=0).clamp(1e-7, 1 - 1e-7)
            prob = torch.softmax(torch.log(new_mask / (1 - new_mask)), dim=0)
            masks = prob[1:].unsqueeze(0)  # (1, 1 object, H, W)
            g = torch.cat([_normalize(image), masks[:, 0:1], torch.zeros_like(masks[:, 0:1])], dim=1)
            g = self.fuser(f16, self.trunk(g)[0])
            h = self.hidden_reinforce(g, hidden.flatten(0, 1))
            return prob, g.unsqueeze(1), h.unsqueeze(1)

    inputs = (zeros(1, 3, _XMEM_H, _XMEM_W), zeros(1, _XMEM_H, _XMEM_W), zeros(1, 1024, h16, w16),
              zeros(1, 1, 64, h16, w16))  # fmt: skip
    return EncodeValue(), inputs


def _track_anything_segment() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's TrackAnythingSegment: XMem's decoder (fusion of f16 with the memory readout and hidden state,
    upsampling blocks to 1/8 and 1/4, the mask logits, the hidden-state update) and the background aggregation."""
    import torch

    nn = torch_nn()
    _, fusion, _, updater, upsample = _xmem_parts()
    h16, w16 = _XMEM_H // 16, _XMEM_W // 16

    class Segment(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.fuser = fusion(1024, 512 + 64, 512, 512)
            self.up_16_8, self.up_8_4 = upsample(512, 512, 256), upsample(256, 256, 256)
            self.pred = nn.Conv2d(256, 1, 3, 1, 1)
            self.hidden_update = updater([512, 256, 257], 256, 64)

        def forward(self, f16: Any, f8: Any, f4: Any, readout: Any, hidden: Any) -> Any:
            h = hidden.flatten(0, 1)
            g16 = self.fuser(f16, torch.cat([readout.flatten(0, 1), h], dim=1))
            g8 = self.up_16_8(f8, g16)
            g4 = self.up_8_4(f4, g8)
            logits = self.pred(torch.relu(g4))
            h = self.hidden_update(g16, g8, torch.cat([g4, logits], dim=1), h)
            logits = torch.nn.functional.interpolate(logits, scale_factor=4.0, mode="bilinear", align_corners=False)
            prob = torch.sigmoid(logits)
            new_prob = torch.cat([1 - prob, prob], dim=1).clamp(1e-7, 1 - 1e-7)
            prob = torch.softmax(torch.log(new_prob / (1 - new_prob)), dim=1)
            return prob[0], h.unsqueeze(1)

    inputs = (zeros(1, 1024, h16, w16), zeros(1, 512, 2 * h16, 2 * w16), zeros(1, 256, 4 * h16, 4 * w16),
              zeros(1, 1, 512, h16, w16), zeros(1, 1, 64, h16, w16))  # fmt: skip
    return Segment(), inputs


def _sam2_parts() -> Any:
    """SAM 2.1 hiera-tiny (transformers' Sam2Model; its default config is sam2.1_hiera_t), its window partitioning
    with sizes as Python ints so the traced graph holds constant shapes (as AI Hub's static graph does)."""
    import torch
    import transformers
    from transformers.models.sam2 import modeling_sam2

    def partition(x: Any, w: int) -> tuple[Any, tuple[int, int]]:
        b, h, wd, c = (int(d) for d in x.shape)
        ph, pw = (-h) % w, (-wd) % w
        if ph or pw:
            x = torch.nn.functional.pad(x, (0, 0, 0, pw, 0, ph))
        x = x.reshape(b, (h + ph) // w, w, (wd + pw) // w, w, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(-1, w, w, c), (h + ph, wd + pw)

    def unpartition(x: Any, w: int, padded: tuple[Any, Any], size: tuple[Any, Any]) -> Any:
        (hp, wp), (h, wd) = (int(d) for d in padded), (int(d) for d in size)
        b = int(x.shape[0]) // ((hp // w) * (wp // w))
        x = x.reshape(b, hp // w, wp // w, w, w, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1)
        return x[:, :h, :wd, :] if (hp, wp) != (h, wd) else x

    modeling_sam2.window_partition = partition
    modeling_sam2.window_unpartition = unpartition
    return transformers.Sam2Model(transformers.Sam2Config())


def _sam2_encoder() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's SAM2Encoder: normalisation, the Hiera-tiny trunk and FPN neck on a 1024x1024 image, the mask
    decoder's high-resolution projections (conv_s0, conv_s1), the no-memory embedding, and the point prompt
    embedding (two points plus the padding point)."""
    import torch

    nn = torch_nn()
    sam = _sam2_parts()
    backbone = sam.vision_encoder.backbone
    with torch.no_grad():  # the position embedding (interpolated, window-tiled) is a constant of the exported graph
        backbone.pos_embed.normal_(0.0, 0.02)
        backbone.pos_table = nn.Parameter(backbone._get_pos_embed((256, 256)))
    backbone._get_pos_embed = lambda hw: backbone.pos_table

    class Encoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.sam = sam

        def forward(self, image: Any, coords: Any, labels: Any) -> Any:
            feats = self.sam.get_image_features(_normalize(image), return_dict=True).fpn_hidden_states
            feats[-1] = feats[-1] + self.sam.no_memory_embedding
            sizes = [(256, 256), (128, 128), (64, 64)]
            maps = [f.permute(1, 2, 0).reshape(1, -1, *size) for f, size in zip(feats, sizes, strict=True)]
            sparse = self.sam.prompt_encoder._embed_points(coords, labels, pad=True)
            return maps[2], maps[0], maps[1], sparse

    inputs = (zeros(1, 3, 1024, 1024), zeros(1, 1, 2, 2), torch.ones(1, 1, 2, dtype=torch.long))
    return Encoder(), inputs


def _sam2_decoder() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's SAM2Decoder: the mask decoder (two-way transformer, upscaling with the high-resolution features,
    one mask and its IoU score) on the encoder's outputs, the no-mask dense embedding and the image-wide positional
    encoding; no mask resizing."""
    import torch

    nn = torch_nn()
    sam = _sam2_parts()
    with torch.no_grad():  # constants of the exported graph: the image-wide positional encoding, the dense embedding
        image_pe = nn.Parameter(sam.get_image_wide_positional_embeddings())
        dense = nn.Parameter(sam.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(1, -1, 64, 64) + 0)

    class Decoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.mask_decoder, self.image_pe, self.dense = sam.mask_decoder, image_pe, dense

        def forward(self, image_embeddings: Any, hr1: Any, hr2: Any, sparse: Any) -> Any:
            out = self.mask_decoder(
                image_embeddings=image_embeddings,
                image_positional_embeddings=self.image_pe,
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=self.dense,
                multimask_output=False,
                high_resolution_features=[hr1, hr2],
            )
            return out[0], out[1]

    inputs = (zeros(1, 256, 64, 64), zeros(1, 32, 256, 256), zeros(1, 64, 128, 128), zeros(1, 1, 3, 256))
    return Decoder(), inputs


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    sd15 = (
        "same architecture (SD 1.5 as AI Hub's controlnet_canny, random weights; AI Hub's on-device attention "
        "rewrite not applied)"
    )
    xmem = "same architecture and input (XMem as in Track-Anything with AI Hub's patches, 320x576, one object)"
    return {
        ("controlnet_canny", "text_encoder"): (
            lambda: sd_text_encoder(768, 12, 12, 3072),
            "same architecture and input (SD 1.5's CLIP text encoder, 77 tokens); 123M params (the published 340M is "
            "SD 2.1's OpenCLIP text encoder)",
        ),
        ("controlnet_canny", "vae"): (
            sd_vae_decoder,
            f"{sd15}: VAE decoder on a 64x64 latent; 49.5M params vs 83M "
            "published for the whole VAE (encoder and decoder)",
        ),
        ("controlnet_canny", "unet"): (
            ExternalDataBuilder(_sd15_unet_with_control),
            f"{sd15}: UNet with the 13 control residuals as inputs, 64x64 latent; 859M params vs 865M published",
        ),
        ("controlnet_canny", "controlnet"): (
            _sd15_controlnet,
            f"{sd15}: 64x64 latent, 512x512 canny image; 361M params vs 361M published",
        ),
        ("efficientvit_l2_cls", "EfficientViT-l2-cls"): (
            lambda: (_efficientvit_l2(), img(224)),
            "same architecture and input (EfficientViT-L2 classifier, random weights); 63.7M params vs 63.7M published",
        ),
        ("zipformer", "ZipformerDecoder"): (
            _zipformer_decoder,
            "same architecture and input (icefall stateless decoder, vocabulary 6254, context 2, random weights); "
            "3.47M params vs 3.47M published",
        ),
        ("zipformer", "ZipformerJoiner"): (
            _zipformer_joiner,
            "same architecture and input (the joiner's output layer, 512 to 6254); 3.21M params vs 3.21M published",
        ),
        ("track_anything", "TrackAnythingEncodeKeyWithShrinkage"): (
            lambda: _track_anything_key(True),
            f"{xmem}; 9.70M params vs 9.72M published",
        ),
        ("track_anything", "TrackAnythingEncodeKeyWithoutShrinkage"): (
            lambda: _track_anything_key(False),
            f"{xmem}; 9.69M params vs 9.71M published",
        ),
        ("track_anything", "TrackAnythingEncodeValue"): (
            _track_anything_value,
            f"{xmem}; 22.7M params vs 23.3M published",
        ),
        ("track_anything", "TrackAnythingSegment"): (
            _track_anything_segment,
            f"{xmem}; 29.8M params vs 30.1M published",
        ),
        ("sam2", "SAM2Encoder"): (
            _sam2_encoder,
            "same architecture and input (SAM 2.1 hiera-tiny, transformers' definition, 1024x1024, "
            "two points; random weights); 33.5M params (with the position-embedding constant) vs 33.5M published",
        ),
        ("sam2", "SAM2Decoder"): (
            _sam2_decoder,
            "same architecture and input (SAM 2.1 hiera-tiny mask decoder, one mask; random weights); "
            "6.14M params (with the positional-encoding and dense-embedding constants) vs 6.22M published",
        ),
        ("sequencer2d", "Sequencer2D"): (
            lambda: (_sequencer2d([4, 3, 8, 3], [7, 2, 1, 1], [192, 384, 384, 384], [48, 96, 96, 96]), img(224)),
            "same architecture and input (timm sequencer2d_s, random weights); 27.6M params vs 27.6M published",
        ),
        ("whisper_large_v3_turbo", "HfWhisperEncoder"): (
            ExternalDataBuilder(lambda: whisper_encoder(1280, 32, 20, mels=128, decoder_layers=4)),
            "same architecture and input (encoder of whisper-large-v3-turbo, 128x3000 mel, plus the cross-attention "
            "cache of its 4 decoder layers; random weights); 650M params, none published (the whole model has 809M)",
        ),
    }
