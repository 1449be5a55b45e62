#!/usr/bin/env python3
"""PyTorch side of onnx_runner_bench: times the same networks in Python.

Reads a manifest written by onnx_runner_bench, one network per line:

    index <TAB> space <TAB> options <TAB> arch <TAB> torchscript <TAB> state_dict <TAB> io

(options "key=value;key=value", the space options the C++ side built with;
io: a pickled dict {"input": x, "logits": LibTorch's logits on x}). For
every network it loads the TorchScript export (torch.jit.load) and, for the
mbv3 space, rebuilds the network in eager PyTorch from the architecture
string alone (the layers of spaces/mbv3/mbv3_blocks.h, the channel rounding
of mbv3_options.cc) and loads the state_dict export into it strictly, so a
layer or shape that differs from the C++ network fails the load. Both are
checked against LibTorch's logits, then timed under torch.no_grad() with
torch.set_num_threads(threads): warm-up for --warmup_ms, then single forward
passes until at least --min_runs runs and --measure_ms of timing (at most
--max_runs); the median run time is reported. Prints one line per network:

    index <TAB> script_ms <TAB> eager_ms <TAB> script_max_abs_err <TAB> eager_max_abs_err

("nan" where a column does not apply: eager is mbv3 only). Prints figures;
never passes or fails on time. Exit 1 when a network fails to load or its
logits are off by more than --tolerance.
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn

# The mbv3 skeleton's option defaults (spaces/mbv3/mbv3_options.cc).
MBV3_DEFAULTS = {
    "stages": 5,
    "stem_channels": 16,
    "stem_stride": 2,
    "channels": [24, 40, 80, 112, 160],
    "strides": [1, 2, 2, 1, 2],
    "head_channels": 960,
    "feature_channels": 1280,
}


def make_divisible(value):
    """Mbv3MakeDivisible: to a multiple of 8, at least 8, never 10% below."""
    rounded = max(8, int(value + 4.0) // 8 * 8)
    if rounded < 0.9 * value:
        rounded += 8
    return rounded


def scaled(base, width_percent):
    return make_divisible(base * width_percent / 100.0)


def read_options(text):
    options = dict(MBV3_DEFAULTS)
    for item in filter(None, text.split(";")):
        key, value = item.split("=", 1)
        if key in ("channels", "strides"):
            options[key] = [int(v) for v in value.split(",")]
        elif key in options:
            options[key] = int(value)
    return options


def parse_arch(text):
    """'r32-w100|d2-se-hs:k3e4,k5e6|...' -> (resolution, width, stages)."""
    head, *stages = text.split("|")
    resolution, width = head.split("-")
    parsed = []
    for stage in stages:
        desc, blocks = stage.split(":")
        depth, se, act = desc.split("-")
        kernels_expands = []
        for block in blocks.split(","):
            kernel, expand = block[1:].split("e")
            kernels_expands.append((int(kernel), int(expand)))
        assert len(kernels_expands) == int(depth[1:]), stage
        parsed.append((se == "se", act == "hs", kernels_expands))
    return int(resolution[1:]), int(width[1:]), parsed


def hard_sigmoid(x):
    return torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


def hard_swish(x):
    return x * hard_sigmoid(x)


def conv(cin, cout, kernel, stride, groups=1, bias=False):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=bias)


class Stem(nn.Module):
    def __init__(self, cin, channels, stride):
        super().__init__()
        self.conv = conv(cin, channels, 3, stride)
        self.bn = nn.BatchNorm2d(channels)
        self.dw = conv(channels, channels, 3, 1, groups=channels)
        self.dw_bn = nn.BatchNorm2d(channels)
        self.pw = conv(channels, channels, 1, 1)
        self.pw_bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = hard_swish(self.bn(self.conv(x)))
        return y + self.pw_bn(self.pw(torch.relu(self.dw_bn(self.dw(y)))))


class Block(nn.Module):
    def __init__(self, cin, cout, kernel, expand, stride, se, hswish):
        super().__init__()
        mid = cin if expand == 1 else make_divisible(cin * expand)
        self.hswish = hswish
        self.residual = stride == 1 and cin == cout
        self.expand = conv(cin, mid, 1, 1) if expand != 1 else None
        self.expand_bn = nn.BatchNorm2d(mid) if expand != 1 else None
        self.dw = conv(mid, mid, kernel, stride, groups=mid)
        self.dw_bn = nn.BatchNorm2d(mid)
        squeeze = make_divisible(mid / 4.0)
        self.se_reduce = conv(mid, squeeze, 1, 1, bias=True) if se else None
        self.se_expand = conv(squeeze, mid, 1, 1, bias=True) if se else None
        self.project = conv(mid, cout, 1, 1)
        self.project_bn = nn.BatchNorm2d(cout)

    def act(self, x):
        return hard_swish(x) if self.hswish else torch.relu(x)

    def forward(self, x):
        y = x
        if self.expand is not None:
            y = self.act(self.expand_bn(self.expand(y)))
        y = self.act(self.dw_bn(self.dw(y)))
        if self.se_reduce is not None:
            s = torch.nn.functional.adaptive_avg_pool2d(y, 1)
            y = y * hard_sigmoid(self.se_expand(torch.relu(self.se_reduce(s))))
        y = self.project_bn(self.project(y))
        return y + x if self.residual else y


class Head(nn.Module):
    def __init__(self, cin, channels, features, classes):
        super().__init__()
        self.conv = conv(cin, channels, 1, 1)
        self.bn = nn.BatchNorm2d(channels)
        self.feature = nn.Linear(channels, features)
        self.classifier = nn.Linear(features, classes)

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(hard_swish(self.bn(self.conv(x))), 1).flatten(1)
        return self.classifier(hard_swish(self.feature(x)))


class Mbv3Network(nn.Module):
    """Mbv3Network of spaces/mbv3/mbv3_model.cc, rebuilt from the text form."""

    def __init__(self, arch, options, in_channels, classes):
        super().__init__()
        self.resolution, width, stages = parse_arch(arch)
        assert len(stages) == options["stages"], "stage count differs from the options"
        channels = scaled(options["stem_channels"], width)
        self.stem = Stem(in_channels, channels, options["stem_stride"])
        self.names = []
        for s, (se, hswish, blocks) in enumerate(stages):
            out = scaled(options["channels"][s], width)
            for b, (kernel, expand) in enumerate(blocks):
                stride = options["strides"][s] if b == 0 else 1
                name = "s%db%d" % (s, b)
                self.add_module(name, Block(channels, out, kernel, expand, stride, se, hswish))
                self.names.append(name)
                channels = out
        features = options["feature_channels"]
        if width > 100:
            features = scaled(features, width)
        self.head = Head(channels, scaled(options["head_channels"], width), features, classes)

    def forward(self, x):
        r = self.resolution
        if x.size(2) != r or x.size(3) != r:
            x = torch.nn.functional.interpolate(x, size=(r, r), mode="bilinear", align_corners=False)
        x = self.stem(x)
        for name in self.names:
            x = getattr(self, name)(x)
        return self.head(x)


def median_ms(forward, x, args):
    with torch.no_grad():
        start = time.perf_counter()
        forward(x)
        while (time.perf_counter() - start) * 1000 < args.warmup_ms:
            forward(x)
        times = []
        begin = time.perf_counter()
        while len(times) < args.max_runs and (
            len(times) < args.min_runs or (time.perf_counter() - begin) * 1000 < args.measure_ms
        ):
            t0 = time.perf_counter()
            forward(x)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def max_abs_error(forward, x, want):
    with torch.no_grad():
        return (forward(x) - want).abs().max().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup_ms", type=int, default=1000)
    parser.add_argument("--min_runs", type=int, default=20)
    parser.add_argument("--measure_ms", type=int, default=2000)
    parser.add_argument("--max_runs", type=int, default=5000)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("# pytorch %s, threads %d" % (torch.__version__, torch.get_num_threads()), flush=True)
    failed = False
    with open(args.manifest) as manifest:
        for line in manifest:
            index, space, options, arch, script_path, state_path, io_path = line.rstrip("\n").split("\t")
            io = torch.load(io_path)
            x, want = io["input"], io["logits"]
            script = torch.jit.load(script_path).eval()
            script_err = max_abs_error(script, x, want)
            eager_ms, eager_err = float("nan"), float("nan")
            if space == "mbv3":
                eager = Mbv3Network(arch, read_options(options), x.size(1), want.size(1))
                eager.load_state_dict(torch.load(state_path), strict=True)
                eager.eval()
                eager_err = max_abs_error(eager, x, want)
            for err in (script_err, eager_err):
                if err == err and err > args.tolerance:
                    print("# %s: logits off by %g from LibTorch's" % (arch, err), file=sys.stderr)
                    failed = True
            script_ms = median_ms(script, x, args)
            if space == "mbv3":
                eager_ms = median_ms(eager, x, args)
            print("%s\t%.6f\t%.6f\t%.3g\t%.3g" % (index, script_ms, eager_ms, script_err, eager_err),
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
