#!/usr/bin/env python3
"""train_step.py: the PyTorch twin of bench/train_step/train_step.cc.

The same NB201 network as common/model/nb201_model.cc (same layers, same
registration order, PyTorch's default initialisation, which LibTorch shares),
the same data (Fashion-MNIST IDX files read with gzip + numpy, normalised with
the same tensor ops as worker/fashion_mnist.cc), and the same training loop as
worker/trainer.cc's TrainAndEvaluate: SGD with Nesterov momentum 0.9, weight
decay 5e-4, lr 0.05 cosine-decayed to 0 over --steps, batches from a seeded
randperm (new permutation per epoch, last partial batch dropped),
loss.item() checked every step. Timed: the SGD loop only, as train_seconds
is in C++. Prints the same figures and writes the same --json shape.

Run with Debian's /usr/bin/python3 (python3-torch), or any Python whose torch
has CUDA for --device cuda.
"""

import argparse
import gzip
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_ARCH = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+"
                "|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|")
OP_NAMES = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]  # (to, from), gene order
CELL_NODES = 4
FASHION_MNIST_MEAN = 0.2860  # worker/fashion_mnist.h
FASHION_MNIST_STD = 0.3530
LEARNING_RATE = 0.05  # worker/trainer.h TrainOptions defaults
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
EVAL_BATCH_SIZE = 500


def parse_arch(text):
    """Genes (op indices, gene order) of an NB201 string; ValueError if bad."""
    if not (text.startswith("|") and text.endswith("|")):
        raise ValueError(f"arch {text!r}: must start and end with '|'")
    nodes = text.split("+")
    if len(nodes) != 3:
        raise ValueError(f"arch {text!r}: expected 3 nodes separated by '+'")
    genes = []
    for node, part in enumerate(nodes, start=1):
        tokens = [t for t in part.split("|") if t]
        if len(tokens) != node:
            raise ValueError(f"arch {text!r}: node {node} needs {node} edges, got {len(tokens)}")
        for edge, token in enumerate(tokens):
            op, _, src = token.partition("~")
            if op not in OP_NAMES or src != str(edge):
                raise ValueError(f"arch {text!r}: bad token {token!r} (node {node}, edge {edge})")
            genes.append(OP_NAMES.index(op))
    return genes


def live_edges(genes):
    """Edges that carry a non-zero value and reach the output (nb201_model.cc)."""
    nonzero = [False] * CELL_NODES
    nonzero[0] = True
    for e, (to, frm) in enumerate(EDGES):
        if genes[e] != 0 and nonzero[frm]:
            nonzero[to] = True
    useful = [False] * CELL_NODES
    useful[CELL_NODES - 1] = True
    for e in reversed(range(len(EDGES))):
        to, frm = EDGES[e]
        if genes[e] != 0 and useful[to]:
            useful[frm] = True
    return [genes[e] != 0 and nonzero[frm] and useful[to] for e, (to, frm) in enumerate(EDGES)]


class ReluConvBn(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(F.relu(x)))


def make_op(op, channels):
    name = OP_NAMES[op]
    if name == "skip_connect":
        return nn.Sequential(nn.Identity())
    if name == "nor_conv_1x1":
        return nn.Sequential(ReluConvBn(channels, channels, 1, 1))
    if name == "nor_conv_3x3":
        return nn.Sequential(ReluConvBn(channels, channels, 3, 1))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False))
    return nn.Sequential()


class Nb201Cell(nn.Module):
    def __init__(self, genes, channels):
        super().__init__()
        self.edges = []  # (to, from, module name)
        for e, live in enumerate(live_edges(genes)):
            if not live:
                continue
            to, frm = EDGES[e]
            name = f"edge_{to}_{frm}"
            self.add_module(name, make_op(genes[e], channels))
            self.edges.append((to, frm, name))

    def forward(self, x):
        nodes = [x] + [None] * (CELL_NODES - 1)
        for to, frm, name in self.edges:
            contribution = getattr(self, name)(nodes[frm])
            nodes[to] = contribution if nodes[to] is None else nodes[to] + contribution
        if nodes[-1] is None:
            return torch.zeros_like(x)
        return nodes[-1]


class ReductionBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReluConvBn(cin, cout, 3, 2)
        self.conv_b = ReluConvBn(cout, cout, 3, 1)
        self.shortcut_pool = nn.AvgPool2d(2, stride=2)
        self.shortcut_conv = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.shortcut_conv(self.shortcut_pool(x))


class Nb201Network(nn.Module):
    def __init__(self, genes, channels, cells_per_stage, in_channels=1, num_classes=10):
        super().__init__()
        self.stem_conv = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(channels)
        body = []
        width = channels
        for stage in range(3):
            if stage > 0:
                body.append(ReductionBlock(width, width * 2))
                width *= 2
            for _ in range(cells_per_stage):
                body.append(Nb201Cell(genes, width))
        self.body = nn.Sequential(*body)
        self.head_bn = nn.BatchNorm2d(channels * 4)
        self.classifier = nn.Linear(channels * 4, num_classes)

    def forward(self, x):
        x = self.body(self.stem_bn(self.stem_conv(x)))
        x = F.relu(self.head_bn(x))
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        return self.classifier(x)


def read_idx(path, magic, dims):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    header = struct.unpack(">" + "I" * (1 + dims), raw[:4 * (1 + dims)])
    if header[0] != magic:
        raise ValueError(f"{path}: bad magic 0x{header[0]:08x}, expected 0x{magic:08x}")
    shape = header[1:]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + dims))
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {shape}")
    return data.reshape(shape)


def resolve(directory, name):
    gz = os.path.join(directory, name + ".gz")
    return gz if os.path.exists(gz) else os.path.join(directory, name)


def load_pair(directory, images_name, labels_name):
    images = read_idx(resolve(directory, images_name), 0x00000803, 3)
    labels = read_idx(resolve(directory, labels_name), 0x00000801, 1)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"{directory}: {images.shape} images, {labels.shape} labels")
    # The same ops, in the same order and precision, as fashion_mnist.cc.
    x = (torch.from_numpy(images.copy()).to(torch.float32)
         .div_(255.0).sub_(FASHION_MNIST_MEAN).div_(FASHION_MNIST_STD)
         .unsqueeze(1).contiguous())
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class BatchSampler:
    """trainer.cc's BatchSampler: seeded randperm, new one per epoch."""

    def __init__(self, size, batch_size, seed):
        self.size, self.batch_size = size, batch_size
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)
        self.order, self.cursor = None, 0

    def next(self):
        if self.order is None or self.cursor + self.batch_size > self.size:
            self.order = torch.randperm(self.size, generator=self.generator, dtype=torch.int64)
            self.cursor = 0
        batch = self.order.narrow(0, self.cursor, self.batch_size)
        self.cursor += self.batch_size
        return batch


def evaluate(model, x_all, y_all, device):
    with torch.no_grad():
        model.eval()
        correct = 0
        for start in range(0, x_all.size(0), EVAL_BATCH_SIZE):
            x = x_all[start:start + EVAL_BATCH_SIZE].to(device)
            y = y_all[start:start + EVAL_BATCH_SIZE].to(device)
            correct += model(x).argmax(dim=1).eq(y).sum().item()
    return correct / x_all.size(0)


def train_and_evaluate(model, train_x, train_y, check_x, check_y, steps, batch_size, seed,
                       device):
    """Mirrors TrainAndEvaluate; returns (train_seconds, final_loss, accuracy)."""
    model.to(device)
    model.train()
    # foreach=False and zero_grad(set_to_none=False): LibTorch 1.13's SGD
    # updates one parameter at a time and zeroes gradients in place; PyTorch
    # >= 2.0 defaults differ (multi-tensor kernels on CUDA, set_to_none=True).
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM,
                                nesterov=MOMENTUM > 0.0, weight_decay=WEIGHT_DECAY,
                                foreach=False)
    sampler = BatchSampler(train_x.size(0), batch_size, seed)
    final_loss = 0.0
    start = time.perf_counter()
    for step in range(steps):
        lr = 0.5 * LEARNING_RATE * (1.0 + math.cos(math.pi * step / steps))
        for group in optimizer.param_groups:
            group["lr"] = lr
        index = sampler.next()
        x = train_x.index_select(0, index).to(device)
        y = train_y.index_select(0, index).to(device)
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise RuntimeError(f"training diverged at step {step}: loss {loss_value}")
        loss.backward()
        optimizer.step()
        final_loss = loss_value
    seconds = time.perf_counter() - start
    return seconds, final_loss, evaluate(model, check_x, check_y, device)


def build(genes, args):
    torch.manual_seed(args.seed)
    model = Nb201Network(genes, args.channels, args.cells_per_stage)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    checksum = sum(p.detach().to(torch.float64).abs().sum().item() for p in model.parameters())
    return model, params, checksum


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default=DEFAULT_ARCH)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--cells_per_stage", type=int, default=1)
    p.add_argument("--batch_size", type=int, default=64)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--warmup_steps", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset_dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--eval_examples", type=int, default=1000)
    p.add_argument("--expect_params", type=int, default=None,
                   help="fail unless the network has exactly this many parameters "
                        "(run.sh passes the C++ count)")
    p.add_argument("--json", default="")
    args = p.parse_args()
    if args.steps < 1 or args.repeats < 1 or args.warmup_steps < 0 or args.eval_examples < 1:
        p.error("--steps, --repeats and --eval_examples must be >= 1; --warmup_steps >= 0")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error(f"--device cuda: torch {torch.__version__} at {torch.__file__} sees no CUDA device")
    try:
        genes = parse_arch(args.arch)
    except ValueError as e:
        p.error(str(e))

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    _, params, checksum = build(genes, args)
    if args.expect_params is not None and params != args.expect_params:
        sys.exit(f"train_step.py: FAIL: the PyTorch network has {params} parameters, "
                 f"expected {args.expect_params} (the C++ network's count); the two "
                 f"networks differ, so their timings are not comparable")

    train_x, train_y = load_pair(args.dataset_dir, "train-images-idx3-ubyte",
                                 "train-labels-idx1-ubyte")
    test_x, test_y = load_pair(args.dataset_dir, "t10k-images-idx3-ubyte",
                               "t10k-labels-idx1-ubyte")
    eval_n = min(args.eval_examples, test_x.size(0))
    check_x, check_y = test_x[:eval_n], test_y[:eval_n]

    print(f"train_step.py [PyTorch {torch.__version__}, Python "
          f"{sys.version.split()[0]}]: device {args.device}, {args.threads} threads, "
          f"arch {args.arch}, channels {args.channels}, cells/stage {args.cells_per_stage}, "
          f"batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats after "
          f"{args.warmup_steps} warm-up steps, seed {args.seed}, {train_x.size(0)} training "
          f"images in memory ({args.dataset_dir})", flush=True)

    if args.warmup_steps > 0:
        model, _, _ = build(genes, args)
        train_and_evaluate(model, train_x, train_y, check_x, check_y, args.warmup_steps,
                           args.batch_size, args.seed, device)

    seconds, losses, accuracies = [], [], []
    for i in range(args.repeats):
        model, _, _ = build(genes, args)
        s, loss, acc = train_and_evaluate(model, train_x, train_y, check_x, check_y,
                                          args.steps, args.batch_size, args.seed, device)
        seconds.append(s)
        losses.append(loss)
        accuracies.append(acc)
        print(f"  repeat {i + 1}: {args.steps} steps in {s:.3f} s "
              f"({1e3 * s / args.steps:.2f} ms/step), final loss {loss:.4f}, "
              f"accuracy on first {eval_n} test images {acc:.4f}", flush=True)

    median = statistics.median(seconds)
    per_step = median / args.steps
    images_per_second = args.batch_size * args.steps / median
    print(f"parameters: {params} (init checksum {checksum:.9g})")
    print(f"median of {args.repeats}: {median:.3f} s for {args.steps} steps, "
          f"{1e3 * per_step:.2f} ms/step, {images_per_second:.1f} images/s "
          f"[PyTorch {torch.__version__}, {args.device}, {args.threads} threads]")
    if args.json:
        record = {
            "impl": "pytorch", "language": "Python", "torch_version": torch.__version__,
            "device": args.device, "threads": args.threads, "arch": args.arch,
            "channels": args.channels, "cells_per_stage": args.cells_per_stage,
            "batch_size": args.batch_size, "steps": args.steps,
            "warmup_steps": args.warmup_steps, "repeats": args.repeats, "seed": args.seed,
            "train_examples": train_x.size(0), "params": params,
            "init_checksum": float(f"{checksum:.12g}"),
            "repeat_seconds": [round(s, 6) for s in seconds],
            "median_seconds": round(median, 6), "seconds_per_step": round(per_step, 6),
            "images_per_second": round(images_per_second, 2),
            "final_loss": [round(v, 6) for v in losses], "eval_examples": eval_n,
            "accuracy": [round(v, 4) for v in accuracies],
        }
        with open(args.json, "w") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
