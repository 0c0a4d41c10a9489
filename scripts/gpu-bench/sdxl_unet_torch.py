"""PyTorch's own float16 step for the SDXL base UNet, the peer of the WebGPU numbers.

The same architecture as sdxlUnet.ts builds for ONNX (diffusers' UNet2DConditionModel with
stabilityai/stable-diffusion-xl-base-1.0's unet/config.json), written here in torch.nn with
random weights, so the two measure one network on one card. Needs only torch and CUDA.

    python3 sdxl_unet_torch.py [--scale full|tiny] [--shapes 1024x1024x2,512x512x1] [--json FILE]
"""

import argparse
import json
import math
import statistics

import torch
import torch.nn.functional as F
from torch import nn

CONFIGS = {
    "full": dict(channels=(320, 640, 1280), layers_per_block=2, transformer_layers=(1, 2, 10), head_dim=64, groups=32),
    "tiny": dict(channels=(32, 64, 128), layers_per_block=2, transformer_layers=(1, 1, 2), head_dim=16, groups=8),
}
CROSS_ATTENTION_DIM = 2048
POOLED_DIM = 1280
TIME_IDS = 6
ADDITION_TIME_EMBED_DIM = 256


def sinusoid(x: torch.Tensor, dim: int) -> torch.Tensor:
    """get_timestep_embedding with flip_sin_to_cos and shift 0, in float32 as t reaches 999."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=x.device, dtype=torch.float32) / half)
    args = x.float()[:, None] * freqs[None]
    return torch.cat([args.cos(), args.sin()], dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_features, out_features)
        self.linear_2 = nn.Linear(out_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(F.silu(self.linear_1(x)))


class Resnet(nn.Module):
    """ResnetBlock2D: norm-SiLU-conv twice, the time embedding added between, 1x1 shortcut on a width change."""

    def __init__(self, cin: int, cout: int, emb_dim: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x))) + self.time_emb_proj(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Attention(nn.Module):
    def __init__(self, channels: int, context_dim: int, head_dim: int):
        super().__init__()
        self.heads = channels // head_dim
        self.to_q = nn.Linear(channels, channels, bias=False)
        self.to_k = nn.Linear(context_dim, channels, bias=False)
        self.to_v = nn.Linear(context_dim, channels, bias=False)
        self.to_out = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        split = lambda t: t.view(b, -1, self.heads, t.shape[-1] // self.heads).transpose(1, 2)
        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(out.transpose(1, 2).reshape(b, -1, self.heads * out.shape[-1]))


class Block(nn.Module):
    """BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward (arXiv:2002.05202), each pre-norm."""

    def __init__(self, channels: int, head_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(channels)
        self.attn1 = Attention(channels, channels, head_dim)
        self.norm2 = nn.LayerNorm(channels)
        self.attn2 = Attention(channels, CROSS_ATTENTION_DIM, head_dim)
        self.norm3 = nn.LayerNorm(channels)
        self.ff_proj = nn.Linear(channels, 8 * channels)
        self.ff_out = nn.Linear(4 * channels, channels)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn1(h, h)
        x = x + self.attn2(self.norm2(x), context)
        hidden, gate = self.ff_proj(self.norm3(x)).chunk(2, dim=-1)
        return x + self.ff_out(hidden * F.gelu(gate))


class Transformer(nn.Module):
    """Transformer2DModel with use_linear_projection."""

    def __init__(self, channels: int, layers: int, head_dim: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels)
        self.blocks = nn.ModuleList(Block(channels, head_dim) for _ in range(layers))
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        t = self.proj_in(self.norm(x).permute(0, 2, 3, 1).reshape(b, h * w, c))
        for block in self.blocks:
            t = block(t, context)
        return self.proj_out(t).reshape(b, h, w, c).permute(0, 3, 1, 2) + x


class Unet(nn.Module):
    def __init__(self, channels, layers_per_block, transformer_layers, head_dim, groups):
        super().__init__()
        self.channels = channels
        emb = 4 * channels[0]
        self.time_embedding = TimestepEmbedding(channels[0], emb)
        self.add_embedding = TimestepEmbedding(POOLED_DIM + TIME_IDS * ADDITION_TIME_EMBED_DIM, emb)
        self.conv_in = nn.Conv2d(4, channels[0], 3, padding=1)
        attention = lambda level, c: Transformer(c, transformer_layers[level], head_dim, groups) if level > 0 else None

        self.down = nn.ModuleList()
        skip_widths, width = [channels[0]], channels[0]
        for level, out in enumerate(channels):
            for _ in range(layers_per_block):
                self.down.append(nn.ModuleList([Resnet(width, out, emb, groups), attention(level, out)]))
                width = out
                skip_widths.append(out)
            if level < len(channels) - 1:
                self.down.append(nn.Conv2d(out, out, 3, stride=2, padding=1))
                skip_widths.append(out)

        deepest = len(channels) - 1
        self.mid = nn.ModuleList([Resnet(width, width, emb, groups), attention(deepest, width), Resnet(width, width, emb, groups)])

        self.up = nn.ModuleList()
        for level in reversed(range(len(channels))):
            out = channels[level]
            for _ in range(layers_per_block + 1):
                self.up.append(nn.ModuleList([Resnet(width + skip_widths.pop(), out, emb, groups), attention(level, out)]))
                width = out
            if level > 0:
                self.up.append(nn.Conv2d(out, out, 3, padding=1))

        self.conv_norm_out = nn.GroupNorm(groups, width, eps=1e-5)
        self.conv_out = nn.Conv2d(width, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        dtype = sample.dtype
        emb = self.time_embedding(sinusoid(timestep.reshape(1), self.channels[0]).to(dtype))
        ids = sinusoid(time_ids.reshape(-1), ADDITION_TIME_EMBED_DIM).to(dtype).reshape(sample.shape[0], -1)
        emb = F.silu(emb + self.add_embedding(torch.cat([text_embeds, ids], dim=1)))

        x = self.conv_in(sample)
        skips = [x]
        for layer in self.down:
            if isinstance(layer, nn.Conv2d):
                x = layer(x)
            else:
                resnet, attn = layer
                x = resnet(x, emb)
                if attn is not None:
                    x = attn(x, encoder_hidden_states)
            skips.append(x)

        x = self.mid[0](x, emb)
        x = self.mid[1](x, encoder_hidden_states)
        x = self.mid[2](x, emb)

        for layer in self.up:
            if isinstance(layer, nn.Conv2d):
                x = layer(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            else:
                resnet, attn = layer
                x = resnet(torch.cat([x, skips.pop()], dim=1), emb)
                if attn is not None:
                    x = attn(x, encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


def time_step(model: Unet, width: int, height: int, batch: int, warmup: int = 3, runs: int = 10) -> dict:
    device, dtype = "cuda", torch.float16
    inputs = dict(
        sample=torch.randn(batch, 4, height // 8, width // 8, device=device, dtype=dtype),
        timestep=torch.tensor(999.0, device=device, dtype=dtype),
        encoder_hidden_states=torch.randn(batch, 77, CROSS_ATTENTION_DIM, device=device, dtype=dtype),
        text_embeds=torch.randn(batch, POOLED_DIM, device=device, dtype=dtype),
        time_ids=torch.tensor([height, width, 0, 0, height, width], device=device, dtype=dtype).repeat(batch, 1),
    )
    for _ in range(warmup):
        out = model(**inputs)
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        out = model(**inputs)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return dict(width=width, height=height, batch=batch, stepMs=statistics.median(times), finite=bool(torch.isfinite(out).all()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=sorted(CONFIGS), default="full")
    parser.add_argument("--shapes", default="1024x1024x2,512x512x1")
    parser.add_argument("--json")
    args = parser.parse_args()

    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Unet(**CONFIGS[args.scale]).half().eval()
    parameters = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}: {args.scale} UNet, {parameters:,} parameters")
    timings = []
    with torch.inference_mode():
        for shape in args.shapes.split(","):
            width, height, batch = (int(v) for v in shape.split("x"))
            t = time_step(model, width, height, batch)
            timings.append(t)
            print(f"torch: {width}x{height} batch {batch}: {t['stepMs'] / 1000:.3f} s/step{'' if t['finite'] else ', OUTPUT NOT FINITE'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(torch=torch.__version__, device=torch.cuda.get_device_name(), parameters=parameters, timings=timings), f, indent=2)


if __name__ == "__main__":
    main()
