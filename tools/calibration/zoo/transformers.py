"""Calibration graphs: transformers models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from tools.calibration.build_graphs import conv_bn_act, detr_model, img, torch_nn, zeros


def _openai_clip() -> tuple[Any, tuple[Any, ...]]:
    """CLIP ViT-B/16 as AI Hub exports it: both encoders in one graph, output the image-text cosine logits."""
    import torch
    import transformers

    text: dict[str, Any] = {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
                            "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408}  # fmt: skip
    vision: dict[str, Any] = {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                              "num_hidden_layers": 12, "patch_size": 16, "image_size": 224}  # fmt: skip
    cfg = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=512)
    clip = transformers.CLIPModel(cfg)

    def features(out: Any) -> Any:
        return out if isinstance(out, torch.Tensor) else out.pooler_output

    class OpenAIClip(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, image: Any, text: Any) -> Any:
            tokens = torch.clip(text, min=0, max=49407).long()
            t = features(self.clip.get_text_features(input_ids=tokens))
            t = t / t.norm(dim=1, keepdim=True)
            i = features(self.clip.get_image_features(pixel_values=image))
            i = self.clip.logit_scale.exp() * (i / i.norm(dim=1, keepdim=True))
            return i @ t.t()

    return OpenAIClip(), (*img(224), torch.ones(1, 77, dtype=torch.int32))


def _trocr_encoder() -> tuple[Any, tuple[Any, ...]]:
    """trocr-small-stage1 encoder (DeiT-small, 384x384) plus the 6 decoder layers' cross-attention K/V projections."""
    import torch
    import transformers

    deit = transformers.DeiTConfig(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                   intermediate_size=1536, image_size=384, patch_size=16)  # fmt: skip
    encoder = transformers.DeiTModel(deit, add_pooling_layer=False)

    class TrOCREncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.k = torch.nn.ModuleList(torch.nn.Linear(384, 256) for _ in range(6))
            self.v = torch.nn.ModuleList(torch.nn.Linear(384, 256) for _ in range(6))

        def forward(self, pixel_values: Any) -> Any:
            h = self.encoder(pixel_values * 2 - 1).last_hidden_state
            out = []
            for k, v in zip(self.k, self.v, strict=True):
                out.append(k(h).view(1, -1, 8, 32).transpose(1, 2).contiguous())
                out.append(v(h).view(1, -1, 8, 32).transpose(1, 2).contiguous())
            return tuple(out)

    return TrOCREncoder(), img(384)


def _detr_dc5(depths: list[int]) -> tuple[Any, tuple[Any, ...]]:
    """DETR with a dilated C5 stage (stride 16), plus AI Hub's normalisation and box / score post-processing."""
    import torch

    detr, inputs = detr_model("DetrForObjectDetection", "DetrConfig", depths)
    model = detr.inner
    stage = model.model.backbone.model.encoder.stages[3]
    for i, block in enumerate(stage.layers):
        if i == 0:
            block.shortcut.convolution.stride = (1, 1)
            block.layer[1].convolution.stride = (1, 1)
        else:
            conv = block.layer[1].convolution
            conv.dilation, conv.padding = (2, 2), (2, 2)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    class DetrDC5(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, image: Any) -> Any:
            h, w = image.shape[-2:]
            out = self.model((image - mean) / std)
            scores, labels = torch.softmax(out.logits, -1)[..., :-1].max(-1)
            cx, cy, bw, bh = out.pred_boxes.unbind(-1)
            boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1)
            return boxes * torch.tensor([w, h, w, h]), scores, labels.int()

    return DetrDC5(), inputs


def _cba(cin: int, cout: int, k: int = 1, s: int = 1, groups: int = 1, bias: bool = False, bn: bool = True,
         act: Any = None) -> Any:  # fmt: skip
    """Conv (same padding) + optional BatchNorm + optional activation module."""
    nn = torch_nn()
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=bias)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


@cache
def lite_mla() -> Any:
    """EfficientViT's multi-scale ReLU linear attention class (head dim 32, 5x5 aggregation), for B2 and L2."""
    import torch

    nn = torch.nn

    class LiteMLA(nn.Module):
        def __init__(self, c: int, dim: int = 32) -> None:
            super().__init__()
            total = c // dim * dim
            self.dim = dim
            self.qkv = _cba(c, 3 * total, bn=False)
            self.aggreg = nn.Sequential(
                nn.Conv2d(3 * total, 3 * total, 5, 1, 2, groups=3 * total, bias=False),
                nn.Conv2d(3 * total, 3 * total, 1, groups=3 * (c // dim), bias=False),
            )
            self.proj = _cba(2 * total, c)

        def forward(self, x: Any) -> Any:
            b, _, h, w = (int(s) for s in x.shape)  # static sizes, as AI Hub's compiled graph has
            qkv = self.qkv(x)
            qkv = torch.cat([qkv, self.aggreg(qkv)], 1)
            qkv = qkv.reshape(b, -1, 3 * self.dim, h * w).transpose(-1, -2)
            q, k, v = qkv[..., : self.dim], qkv[..., self.dim : 2 * self.dim], qkv[..., 2 * self.dim :]
            q, k = torch.relu(q), torch.relu(k)
            v = torch.nn.functional.pad(v, (0, 1), mode="constant", value=1.0)
            out = q @ (k.transpose(-1, -2) @ v)
            out = out[..., :-1] / (out[..., -1:] + 1e-15)
            return self.proj(out.transpose(-1, -2).reshape(b, -1, h, w))

    return LiteMLA


def _efficientvit_b2() -> Any:
    """EfficientViT-B2 classifier (MIT Han lab): MBConv stages, then LiteMLA (ReLU linear attention) blocks."""
    import torch

    nn = torch_nn()

    class Residual(torch.nn.Module):
        def __init__(self, main: Any) -> None:
            super().__init__()
            self.main = main

        def forward(self, x: Any) -> Any:
            return x + self.main(x)

    def mbconv(cin: int, cout: int, s: int, expand: int, fewer_norm: bool) -> Any:
        mid = cin * expand
        if expand == 1:
            return nn.Sequential(_cba(cin, cin, 3, s, cin, act=nn.Hardswish()), _cba(cin, cout))
        return nn.Sequential(
            _cba(cin, mid, bias=fewer_norm, bn=not fewer_norm, act=nn.Hardswish()),
            _cba(mid, mid, 3, s, mid, bias=fewer_norm, bn=not fewer_norm, act=nn.Hardswish()),
            _cba(mid, cout),
        )

    LiteMLA = lite_mla()

    widths, depths = [24, 48, 96, 192, 384], [1, 3, 4, 4, 6]
    layers: list[Any] = [_cba(3, widths[0], 3, 2, act=nn.Hardswish())]
    layers += [Residual(mbconv(widths[0], widths[0], 1, 1, False)) for _ in range(depths[0])]
    cin = widths[0]
    for w, d in zip(widths[1:3], depths[1:3], strict=True):
        for i in range(d):
            block = mbconv(cin, w, 2 if i == 0 else 1, 4, False)
            layers.append(block if i == 0 else Residual(block))
            cin = w
    for w, d in zip(widths[3:], depths[3:], strict=True):
        layers.append(mbconv(cin, w, 2, 4, True))
        cin = w
        for _ in range(d):
            layers.append(Residual(LiteMLA(w)))
            layers.append(Residual(mbconv(w, w, 1, 4, True)))
    head = [_cba(384, 2304, act=nn.Hardswish()), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(2304, 2560, bias=False), nn.LayerNorm(2560), nn.Hardswish(), nn.Linear(2560, 1000)]  # fmt: skip
    return nn.Sequential(*layers, *head)


def _bias_index(res: int) -> tuple[int, list[int]]:
    """LeViT-style relative attention bias: (number of distinct offsets, flat index of each query/key pair)."""
    import itertools

    points = list(itertools.product(range(res), range(res)))
    offsets: dict[tuple[int, int], int] = {}
    idxs = [offsets.setdefault((abs(a[0] - b[0]), abs(a[1] - b[1])), len(offsets)) for a in points for b in points]
    return len(offsets), idxs


def _efficientformer_l1() -> Any:
    """EfficientFormer-L1 (v1): pooling Meta4D blocks in 4D, one attention Meta3D block at the end, distilled head."""
    import torch

    nn = torch_nn()

    class Meta4D(torch.nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
            self.mlp = nn.Sequential(nn.Conv2d(c, 4 * c, 1), nn.BatchNorm2d(4 * c), nn.GELU(), nn.Conv2d(4 * c, c, 1),
                                     nn.BatchNorm2d(c))  # fmt: skip
            self.ls1 = nn.Parameter(torch.ones(c, 1, 1))
            self.ls2 = nn.Parameter(torch.ones(c, 1, 1))

        def forward(self, x: Any) -> Any:
            x = x + self.ls1 * (self.pool(x) - x)
            return x + self.ls2 * self.mlp(x)

    class Meta3D(torch.nn.Module):
        def __init__(self, c: int, heads: int = 8, key_dim: int = 32, ratio: int = 4, res: int = 7) -> None:
            super().__init__()
            self.heads, self.key_dim, self.d = heads, key_dim, ratio * key_dim
            self.norm1, self.norm2 = nn.LayerNorm(c), nn.LayerNorm(c)
            self.qkv = nn.Linear(c, heads * (2 * key_dim + self.d))
            self.proj = nn.Linear(heads * self.d, c)
            n_off, idxs = _bias_index(res)
            self.biases = nn.Parameter(torch.zeros(heads, n_off))
            self.register_buffer("idxs", torch.tensor(idxs).view(res * res, res * res))
            self.mlp = nn.Sequential(nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c))
            self.ls1, self.ls2 = nn.Parameter(torch.ones(c)), nn.Parameter(torch.ones(c))

        def forward(self, x: Any) -> Any:
            b, n, _ = x.shape
            qkv = self.qkv(self.norm1(x)).reshape(b, n, self.heads, -1)
            q, k, v = qkv.split([self.key_dim, self.key_dim, self.d], dim=3)
            q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3)
            attn = (q @ k.transpose(-2, -1)) * self.key_dim**-0.5 + self.biases[:, self.idxs]
            y = (attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, -1)
            x = x + self.ls1 * self.proj(y)
            return x + self.ls2 * self.mlp(self.norm2(x))

    class EfficientFormer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims, depths = [48, 96, 224, 448], [3, 2, 6, 4]
            layers: list[Any] = [conv_bn_act(3, 24, 3, 2), conv_bn_act(24, 48, 3, 2)]
            for i, (c, d) in enumerate(zip(dims, depths, strict=True)):
                if i > 0:
                    layers += [nn.Conv2d(dims[i - 1], c, 3, 2, 1), nn.BatchNorm2d(c)]
                layers += [Meta4D(c) for _ in range(d if i < 3 else d - 1)]
            self.features = nn.Sequential(*layers)
            self.meta3d = Meta3D(448)
            self.norm = nn.LayerNorm(448)
            self.head, self.dist_head = nn.Linear(448, 1000), nn.Linear(448, 1000)

        def forward(self, x: Any) -> Any:
            x = self.features(x).flatten(2).transpose(1, 2)
            x = self.norm(self.meta3d(x)).mean(1)
            return (self.head(x) + self.dist_head(x)) / 2

    return EfficientFormer()


@cache
def layer_norm_2d() -> Any:
    """SAM's LayerNorm2d class: layer norm over the channels of an NCHW map."""
    import torch

    nn = torch.nn

    class LayerNorm2d(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))

        def forward(self, x: Any) -> Any:
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            return self.weight[:, None, None] * ((x - u) / torch.sqrt(s + 1e-6)) + self.bias[:, None, None]

    return LayerNorm2d


def _mobilesam_encoder() -> tuple[Any, tuple[Any, ...]]:
    """MobileSAM image encoder: TinyViT-5M at 1024x1024 (last merge at stride 1, 64x64 out) and SAM's 256-d neck."""
    import torch

    nn = torch_nn()

    def cbn(cin: int, cout: int, k: int = 1, s: int = 1, groups: int = 1) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))

    class MBConv(torch.nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.body = nn.Sequential(cbn(c, 4 * c), nn.GELU(), cbn(4 * c, 4 * c, 3, 1, 4 * c), nn.GELU(),
                                      cbn(4 * c, c))  # fmt: skip

        def forward(self, x: Any) -> Any:
            return torch.nn.functional.gelu(x + self.body(x))

    class Merge(torch.nn.Module):
        def __init__(self, cin: int, cout: int, res: int, stride: int) -> None:
            super().__init__()
            self.res = res
            self.body = nn.Sequential(cbn(cin, cout), nn.GELU(), cbn(cout, cout, 3, stride, cout), nn.GELU(),
                                      cbn(cout, cout))  # fmt: skip

        def forward(self, x: Any) -> Any:
            if x.ndim == 3:
                x = x.view(1, self.res, self.res, -1).permute(0, 3, 1, 2)
            return self.body(x).flatten(2).transpose(1, 2)

    class Block(torch.nn.Module):
        def __init__(self, c: int, heads: int, window: int, res: int) -> None:
            super().__init__()
            self.c, self.heads, self.window, self.res = c, heads, window, res
            self.norm = nn.LayerNorm(c)
            self.qkv = nn.Linear(c, 3 * c)
            self.proj = nn.Linear(c, c)
            # in eval mode TinyViT caches the bias gathered per (query, key) pair: a constant of the graph (random, so
            # that the export does not merge identical initializers)
            self.register_buffer("ab", torch.randn(heads, window * window, window * window))
            self.local = cbn(c, c, 3, 1, c)
            self.mlp = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c))

        def attn(self, x: Any) -> Any:
            b, n, _ = x.shape
            d = self.c // self.heads
            q, k, v = self.qkv(self.norm(x)).view(b, n, self.heads, -1).split([d, d, d], dim=3)
            q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3)
            a = (q @ k.transpose(-2, -1)) * d**-0.5 + self.ab
            return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(b, n, self.c))

        def forward(self, x: Any) -> Any:
            h, w, c = self.res, self.window, self.c
            pad = (w - h % w) % w
            p = h + pad
            y = torch.nn.functional.pad(x.view(1, h, h, c), (0, 0, 0, pad, 0, pad))
            y = y.view(1, p // w, w, p // w, w, c).transpose(2, 3).reshape(-1, w * w, c)
            y = self.attn(y).view(1, p // w, p // w, w, w, c).transpose(2, 3).reshape(1, p, p, c)
            x = x + y[:, :h, :h].contiguous().view(1, h * h, c)
            x = self.local(x.transpose(1, 2).reshape(1, c, h, h)).view(1, c, h * h).transpose(1, 2)
            return x + self.mlp(x)

    LayerNorm2d = layer_norm_2d()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1) / 255)
            self.register_buffer("std", torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1) / 255)
            layers: list[Any] = [cbn(3, 32, 3, 2), nn.GELU(), cbn(32, 64, 3, 2), MBConv(64), MBConv(64),
                                 Merge(64, 128, 256, 2)]  # fmt: skip
            layers += [Block(128, 4, 7, 128) for _ in range(2)] + [Merge(128, 160, 128, 2)]
            layers += [Block(160, 5, 14, 64) for _ in range(6)] + [Merge(160, 320, 64, 1)]
            layers += [Block(320, 10, 7, 64) for _ in range(2)]
            self.body = nn.Sequential(*layers)
            self.neck = nn.Sequential(nn.Conv2d(320, 256, 1, bias=False), LayerNorm2d(256),
                                      nn.Conv2d(256, 256, 3, padding=1, bias=False), LayerNorm2d(256))  # fmt: skip

        def forward(self, image: Any) -> Any:
            x = self.body((image - self.mean) / self.std)
            return self.neck(x.view(1, 64, 64, 320).permute(0, 3, 1, 2))

    return Encoder(), img(1024)


def _mobilesam_decoder() -> tuple[Any, tuple[Any, ...]]:
    """SAM prompt encoder (points) + two-way mask decoder with AI Hub's QNN patches: linears as 1x1 convs, attention
    split per head; single-mask output; the dense positional encoding and no-mask embedding are graph constants."""
    import math

    import torch

    nn = torch_nn()

    class Lin(torch.nn.Module):  # Linear run as a 1x1 Conv2d over (B, D, 1, L)
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 1)

        def forward(self, x: Any) -> Any:
            nd = x.ndim
            x = x.unsqueeze(0).unsqueeze(1) if nd == 2 else x.unsqueeze(1)
            x = self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            return x.squeeze(1).squeeze(0) if nd == 2 else x.squeeze(1)

    class MLP(torch.nn.Module):
        def __init__(self, cin: int, hidden: int, cout: int) -> None:
            super().__init__()
            self.layers = nn.ModuleList([Lin(cin, hidden), Lin(hidden, hidden), Lin(hidden, cout)])

        def forward(self, x: Any) -> Any:
            for i, layer in enumerate(self.layers):
                x = layer(x) if i == len(self.layers) - 1 else torch.relu(layer(x))
            return x

    class Attn(torch.nn.Module):
        def __init__(self, downsample: int, dim: int = 256, heads: int = 8) -> None:
            super().__init__()
            self.heads, self.hd = heads, dim // downsample // heads
            self.q = nn.ModuleList(Lin(dim, self.hd) for _ in range(heads))
            self.k = nn.ModuleList(Lin(dim, self.hd) for _ in range(heads))
            self.v = nn.ModuleList(Lin(dim, self.hd) for _ in range(heads))
            self.out = nn.Linear(dim // downsample, dim)

        def forward(self, q: Any, k: Any, v: Any) -> Any:
            outs = []
            for i in range(self.heads):
                a = self.q[i](q) @ self.k[i](k).transpose(-2, -1) / math.sqrt(self.hd)
                outs.append(torch.softmax(a, -1) @ self.v[i](v))
            return self.out(torch.cat(outs, -1))

    class TwoWayBlock(torch.nn.Module):
        def __init__(self, skip_pe: bool) -> None:
            super().__init__()
            self.skip_pe = skip_pe
            self.self_attn, self.t2i, self.i2t = Attn(1), Attn(2), Attn(2)
            self.norms = nn.ModuleList(nn.LayerNorm(256) for _ in range(4))
            self.lin1, self.lin2 = Lin(256, 2048), Lin(2048, 256)

        def forward(self, queries: Any, keys: Any, qpe: Any, kpe: Any) -> Any:
            if self.skip_pe:
                queries = self.self_attn(queries, queries, queries)
            else:
                q = queries + qpe
                queries = queries + self.self_attn(q, q, queries)
            queries = self.norms[0](queries)
            queries = self.norms[1](queries + self.t2i(queries + qpe, keys + kpe, keys))
            queries = self.norms[2](queries + self.lin2(torch.relu(self.lin1(queries))))
            keys = self.norms[3](keys + self.i2t(keys + kpe, queries + qpe, queries))
            return queries, keys

    LayerNorm2d = layer_norm_2d()

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("gaussian", torch.randn(2, 128))
            self.point_embeddings = nn.Parameter(torch.randn(4, 256))
            self.not_a_point = nn.Parameter(torch.randn(1, 256))
            self.register_buffer("image_pe", torch.randn(1, 256, 64, 64))  # get_dense_pe(), constant-folded
            self.register_buffer("dense", torch.randn(1, 256, 64, 64))  # no-mask embedding broadcast to 64x64
            self.output_tokens = nn.Parameter(torch.randn(5, 256))  # IoU token + 4 mask tokens
            self.blocks = nn.ModuleList([TwoWayBlock(True), TwoWayBlock(False)])
            self.final_attn, self.norm_final = Attn(2), nn.LayerNorm(256)
            self.upscale = nn.Sequential(nn.ConvTranspose2d(256, 64, 2, 2), LayerNorm2d(64), nn.GELU(),
                                         nn.ConvTranspose2d(64, 32, 2, 2), nn.GELU())  # fmt: skip
            self.hyper = nn.ModuleList(MLP(256, 256, 32) for _ in range(4))
            self.iou_head = MLP(256, 256, 4)

        def forward(self, image_embeddings: Any, point_coords: Any, point_labels: Any) -> Any:
            coords = 2 * ((point_coords + 0.5) / 1024) - 1
            coords = 2 * math.pi * (coords @ self.gaussian)
            sparse = torch.cat([torch.sin(coords), torch.cos(coords)], -1)
            labels = point_labels.unsqueeze(-1).expand_as(sparse)
            sparse = sparse * (labels != -1) + self.not_a_point * (labels == -1)
            for i in range(4):
                sparse = sparse + self.point_embeddings[i] * (labels == i)
            tokens = torch.cat([self.output_tokens.unsqueeze(0), sparse], 1)
            src = image_embeddings + self.dense
            keys = src.flatten(2).permute(0, 2, 1)
            image_pe: Any = self.image_pe
            kpe = image_pe.flatten(2).permute(0, 2, 1)
            queries = tokens
            for block in self.blocks:
                queries, keys = block(queries, keys, tokens, kpe)
            queries = self.norm_final(queries + self.final_attn(queries + tokens, keys + kpe, keys))
            up = self.upscale(keys.transpose(1, 2).view(1, 256, 64, 64))
            hyper_in = torch.stack([mlp(queries[:, 1 + i, :]) for i, mlp in enumerate(self.hyper)], 1)
            masks = (hyper_in @ up.view(1, 32, 256 * 256)).view(1, -1, 256, 256)
            iou = self.iou_head(queries[:, 0, :])
            score = iou + (point_coords.shape[1] - 2.5) * torch.tensor([[1000.0, 0.0, 0.0, 0.0]])
            best = torch.argmax(score, dim=1)
            return masks[torch.arange(1), best].unsqueeze(1), iou[torch.arange(1), best].unsqueeze(1)

    return Decoder(), (zeros(1, 256, 64, 64), zeros(1, 2, 2), zeros(1, 2))


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture and input (random weights); {} params vs {} published"
    return {
        ("openai_clip", "OpenAI-Clip"): (
            _openai_clip,
            same.format("149.6M", "150M") + "; image + text encoders, 224x224 image and 77 tokens in one graph",
        ),
        ("trocr", "TrOCREncoder"): (
            _trocr_encoder,
            same.format("23.0M", "23.0M") + "; 384x384 (AI Hub's input spec), outputs the cross-attention KV cache",
        ),
        ("detr_resnet50_dc5", "DETR-ResNet50-DC5"): (
            lambda: _detr_dc5([3, 4, 6, 3]),
            same.format("41.5M", "no count; 160 MB float = ~41.9M")
            + "; 480x480 (info CSV; AI Hub's latest code defaults to 640x640), dilated stage 4, with post-processing",
        ),
        ("detr_resnet101_dc5", "DETR-ResNet101-DC5"): (
            lambda: _detr_dc5([3, 4, 23, 3]),
            same.format("60.5M", "no count; 232 MB float = ~60.8M")
            + "; 480x480 (info CSV; AI Hub's latest code defaults to 640x640), dilated stage 4, with post-processing",
        ),
        ("efficientvit_b2_cls", "EfficientViT-b2-cls"): (
            lambda: (_efficientvit_b2(), img(224)),
            same.format("24.3M", "24.3M") + "; 224x224",
        ),
        ("efficientformer", "EfficientFormer"): (
            lambda: (_efficientformer_l1(), img(224)),
            same.format("12.3M", "12.3M") + "; efficientformer_l1, 224x224",
        ),
        ("mobilesam", "MobileSAMEncoder"): (
            _mobilesam_encoder,
            same.format("6.94M in the graph", "6.95M")
            + " (counting the attention biases expanded per window position, as the exported graph holds them)"
            + "; TinyViT-5M + neck at 1024x1024 (AI Hub's input spec)",
        ),
        ("mobilesam", "MobileSAMDecoder"): (
            _mobilesam_decoder,
            same.format("6.16M in the graph", "6.16M")
            + " (4.06M weights + the 64x64 positional encoding and no-mask embedding, graph constants)"
            + "; 2 points, single-mask output",
        ),
    }
