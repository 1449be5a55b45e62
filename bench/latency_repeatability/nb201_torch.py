"""The NB201 network of common/model/nb201_model.cc rebuilt in PyTorch, layer
for layer (stem conv+BN, three stages of cells with residual reduction blocks
doubling the width, ReLU+BN head, global pooling, linear classifier; dead cell
edges not built), for timing the same network with torch.utils.benchmark."""
import torch
from torch import nn

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]  # (to, from) in gene order


def parse_arch(text):
    """'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' -> 6 op indices in gene order."""
    genes = []
    for node in text.split("+"):
        for token in node.strip("|").split("|"):
            op, _ = token.split("~")
            genes.append(OPS.index(op))
    if len(genes) != 6:
        raise ValueError("not an NB201 cell: " + text)
    return genes


def live_edges(genes):
    nonzero = [True, False, False, False]
    for e, (to, frm) in enumerate(EDGES):
        if genes[e] != 0 and nonzero[frm]:
            nonzero[to] = True
    useful = [False, False, False, True]
    for e in reversed(range(6)):
        to, frm = EDGES[e]
        if genes[e] != 0 and useful[to]:
            useful[frm] = True
    return [genes[e] != 0 and nonzero[EDGES[e][1]] and useful[EDGES[e][0]] for e in range(6)]


class ReluConvBn(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(torch.relu(x)))


class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReluConvBn(cin, cout, 3, 2)
        self.conv_b = ReluConvBn(cout, cout, 3, 1)
        self.shortcut_pool = nn.AvgPool2d(2, stride=2)
        self.shortcut_conv = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.shortcut_conv(self.shortcut_pool(x))


def make_op(op, c):
    if op == 1:
        return nn.Identity()
    if op == 2:
        return ReluConvBn(c, c, 1, 1)
    if op == 3:
        return ReluConvBn(c, c, 3, 1)
    if op == 4:
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(op)


class Cell(nn.Module):
    def __init__(self, genes, c):
        super().__init__()
        live = live_edges(genes)
        self.wiring = [(to, frm) for e, (to, frm) in enumerate(EDGES) if live[e]]
        self.ops = nn.ModuleList([make_op(genes[e], c) for e in range(6) if live[e]])

    def forward(self, x):
        nodes = [x, None, None, None]
        for (to, frm), op in zip(self.wiring, self.ops):
            y = op(nodes[frm])
            nodes[to] = y if nodes[to] is None else nodes[to] + y
        return torch.zeros_like(x) if nodes[3] is None else nodes[3]


class Nb201Network(nn.Module):
    def __init__(self, genes, channels=16, cells_per_stage=1, in_channels=1, num_classes=10):
        super().__init__()
        self.stem_conv = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(channels)
        body, width = [], channels
        for stage in range(3):
            if stage > 0:
                body.append(Reduction(width, width * 2))
                width *= 2
            body.extend(Cell(genes, width) for _ in range(cells_per_stage))
        self.body = nn.Sequential(*body)
        self.head_bn = nn.BatchNorm2d(channels * 4)
        self.classifier = nn.Linear(channels * 4, num_classes)

    def forward(self, x):
        x = self.body(self.stem_bn(self.stem_conv(x)))
        x = torch.relu(self.head_bn(x))
        return self.classifier(torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))
