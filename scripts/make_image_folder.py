#!/usr/bin/env python3
"""Writes a real image folder from Fashion-MNIST, for image_folder jobs and
the data pipeline benchmark, with the standard library only (gzip, struct,
zlib: PNG written by hand). JPEG needs Pillow (Debian python3-pil) and is
used only when asked for.

Layout (what DatasetSpec name: image_folder reads, and torchvision's ImageFolder):
  OUT/train/<class>/<index>.png   --per_class images per class from the training set
  OUT/test/<class>/<index>.png    --test_per_class images per class from the test set
Class folders are the Fashion-MNIST class names made filesystem-safe
("T-shirt_top", "Ankle_boot"); <index> is the image's index in its IDX file.
The images are chosen by a seeded shuffle (--seed), so the same arguments
always write the same files. With --size other than 28 the images are
resized (bilinear); --rgb repeats the grey channel three times (Fashion-MNIST
has no colour).

Usage:
  scripts/make_image_folder.py --out /tmp/edgenas-images --per_class 500 --test_per_class 100
  scripts/make_image_folder.py --out DIR --per_class 100 --test_per_class 20 --size 32 --rgb --format jpeg
"""
import argparse
import gzip
import os
import random
import shutil
import struct
import sys
import zlib

DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
# Fashion-MNIST's labels 0..9, with '/' and ' ' made filesystem-safe.
CLASS_NAMES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle_boot"]
SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


class Error(Exception):
    pass


def read_idx(path, expected_dims):
    """(dims, bytes) of an IDX file of unsigned bytes (magic 0x0000080N)."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Error(f"{path}: cannot read ({e}); install Debian's dataset-fashion-mnist or "
                    "pass --source") from None
    if len(data) < 4:
        raise Error(f"{path}: too short for an IDX header")
    zero, dtype, ndims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndims != expected_dims:
        raise Error(f"{path}: not an IDX file of unsigned bytes with {expected_dims} dimensions "
                    f"(magic {data[:4].hex()})")
    dims = struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims])
    body = data[4 + 4 * ndims:]
    count = 1
    for d in dims:
        count *= d
    if len(body) != count:
        raise Error(f"{path}: header says {dims} ({count} bytes), file holds {len(body)}")
    return dims, body


def resize_bilinear(pixels, side, size):
    """A side x side grey image (bytes) resized to size x size (align corners off)."""
    if size == side:
        return bytes(pixels)
    out = bytearray(size * size)
    scale = side / size
    for y in range(size):
        sy = min(max((y + 0.5) * scale - 0.5, 0.0), side - 1.0)
        y0 = int(sy)
        y1 = min(y0 + 1, side - 1)
        fy = sy - y0
        for x in range(size):
            sx = min(max((x + 0.5) * scale - 0.5, 0.0), side - 1.0)
            x0 = int(sx)
            x1 = min(x0 + 1, side - 1)
            fx = sx - x0
            top = pixels[y0 * side + x0] * (1 - fx) + pixels[y0 * side + x1] * fx
            bottom = pixels[y1 * side + x0] * (1 - fx) + pixels[y1 * side + x1] * fx
            out[y * size + x] = int(round(top * (1 - fy) + bottom * fy))
    return bytes(out)


def _chunk(kind, payload):
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bytes(pixels, size, rgb):
    """An 8-bit greyscale (colour type 0) or RGB (2) PNG of a size x size grey image."""
    rows = bytearray()
    for y in range(size):
        row = pixels[y * size:(y + 1) * size]
        rows.append(0)  # filter: none
        rows += bytes(v for v in row for _ in range(3)) if rgb else row
    header = struct.pack(">IIBBBBB", size, size, 8, 2 if rgb else 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))


def jpeg_writer():
    try:
        from PIL import Image
    except ImportError:
        raise Error("--format jpeg needs Pillow (Debian: apt-get install python3-pil); "
                    "PNG needs nothing") from None

    def write(path, pixels, size, rgb):
        image = Image.frombytes("L", (size, size), pixels)
        (image.convert("RGB") if rgb else image).save(path, "JPEG", quality=95)
    return write


def choose(labels, per_class, rng, split):
    """Per class, `per_class` indexes of `labels` in a seeded order, then sorted."""
    by_class = [[] for _ in CLASS_NAMES]
    for i, label in enumerate(labels):
        if label >= len(CLASS_NAMES):
            raise Error(f"{split}: label {label} at index {i} is not a Fashion-MNIST class")
        by_class[label].append(i)
    chosen = []
    for label, indexes in enumerate(by_class):
        if per_class > len(indexes):
            raise Error(f"{split}: asked for {per_class} images of {CLASS_NAMES[label]}, "
                        f"the split has {len(indexes)}")
        rng.shuffle(indexes)
        chosen.append(sorted(indexes[:per_class]))
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Write an image folder (OUT/{train,test}/<class>/*.png) from Fashion-MNIST.")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--per_class", type=int, required=True, help="training images per class")
    parser.add_argument("--test_per_class", type=int, required=True, help="test images per class")
    parser.add_argument("--size", type=int, default=28, help="image side in pixels (default 28)")
    parser.add_argument("--rgb", action="store_true", help="three channels instead of one")
    parser.add_argument("--format", choices=["png", "jpeg"], default="png",
                        help="png (default, stdlib only) or jpeg (needs python3-pil)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image choice")
    parser.add_argument("--source", default=DEFAULT_SOURCE,
                        help=f"folder with the IDX .gz files (default {DEFAULT_SOURCE})")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT/train and OUT/test when they exist")
    args = parser.parse_args(argv)
    try:
        if args.per_class < 1 or args.test_per_class < 0:
            raise Error("--per_class must be >= 1 and --test_per_class >= 0")
        if not 8 <= args.size <= 1024:
            raise Error(f"--size must be in [8, 1024], got {args.size}")
        write_jpeg = jpeg_writer() if args.format == "jpeg" else None
        for split in ("train", "test"):
            target = os.path.join(args.out, split)
            if os.path.exists(target):
                if not args.force:
                    raise Error(f"{target} exists; pass --force to replace it")
                shutil.rmtree(target)
        rng = random.Random(args.seed)
        extension = "jpg" if write_jpeg else "png"
        # Read and choose everything first, so a bad count writes nothing.
        plans = []
        for split, per_class in (("train", args.per_class), ("test", args.test_per_class)):
            images_file, labels_file = SPLITS[split]
            (n, rows, cols), images = read_idx(os.path.join(args.source, images_file), 3)
            (n_labels,), labels = read_idx(os.path.join(args.source, labels_file), 1)
            if n != n_labels or rows != cols:
                raise Error(f"{split}: {n} images of {rows}x{cols} but {n_labels} labels")
            plans.append((split, rows, images, choose(labels, per_class, rng, split)))
        counts = {}
        for split, side, images, chosen in plans:
            counts[split] = 0
            if not any(chosen):
                continue  # no test/ at all (an empty class folder is an error)
            for label, indexes in enumerate(chosen):
                folder = os.path.join(args.out, split, CLASS_NAMES[label])
                os.makedirs(folder, exist_ok=True)
                for i in indexes:
                    pixels = resize_bilinear(images[i * side * side:(i + 1) * side * side], side,
                                             args.size)
                    path = os.path.join(folder, f"{i:05d}.{extension}")
                    if write_jpeg:
                        write_jpeg(path, pixels, args.size, args.rgb)
                    else:
                        with open(path, "wb") as f:
                            f.write(png_bytes(pixels, args.size, args.rgb))
                    counts[split] += 1
    except (Error, OSError) as e:
        print(f"make_image_folder: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {counts['train']} training and {counts['test']} test images "
          f"({len(CLASS_NAMES)} classes, {args.size}x{args.size}, {'RGB' if args.rgb else 'grey'}, "
          f"{args.format}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
