#!/usr/bin/env python3
# The PyTorch peer of the data pipeline benchmark: how many training images
# per second torchvision's ImageFolder + DataLoader delivers from an image
# folder (DIR/train/<class>/*), decoding and augmenting as an image_folder
# job does: Resize(N) + CenterCrop(N) [+ Grayscale when --channels 1] +
# RandomCrop(N, padding=N//8) + RandomHorizontalFlip + ToTensor + Normalize,
# batches of --batch, shuffled, num_workers=0 (one process, as the C++ side).
#
# It times the first epoch and the second one. PyTorch keeps no decoded
# images between epochs, so both decode every file (the second may gain
# from the OS page cache only); the C++ side can cache decoded images, and
# run.sh prints the two side by side. With --epochs > 2 the second figure
# is the mean over epochs 2..E. Output, exactly two lines:
#   first_epoch_images_per_s X
#   cached_epoch_images_per_s Y
# Make a folder with scripts/make_image_folder.py.
import argparse
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(description="torchvision ImageFolder throughput")
    parser.add_argument("--folder", required=True, help="image folder root (reads FOLDER/train)")
    parser.add_argument("--size", type=int, required=True, help="image side N")
    parser.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs, >= 2 (default 2)")
    parser.add_argument("--channels", type=int, choices=[1, 3], default=1,
                        help="1 (greyscale, default) or 3")
    parser.add_argument("--seed", type=int, default=0, help="shuffle and augmentation seed")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1, as the C++ side's default)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be >= 2 (the first epoch and at least one more)")
    if args.size < 1 or args.batch < 1:
        parser.error("--size and --batch must be positive")
    train = os.path.join(args.folder, "train")
    if not os.path.isdir(train):
        print(f"pytorch_loader: error: {train}: no such folder (make one with "
              "scripts/make_image_folder.py)", file=sys.stderr)
        return 1

    import torch
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(args.seed)
    steps = [transforms.Resize(args.size), transforms.CenterCrop(args.size)]
    if args.channels == 1:
        steps.append(transforms.Grayscale(num_output_channels=1))
    steps += [transforms.RandomCrop(args.size, padding=args.size // 8),
              transforms.RandomHorizontalFlip(),
              transforms.ToTensor(),
              # Fixed constants: the cost is the same as with the split's statistics.
              transforms.Normalize([0.5] * args.channels, [0.5] * args.channels)]
    try:
        dataset = datasets.ImageFolder(train, transform=transforms.Compose(steps))
    except (FileNotFoundError, RuntimeError) as e:
        print(f"pytorch_loader: error: {train}: {e}", file=sys.stderr)
        return 1
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(args.seed))

    rates = []
    for _ in range(args.epochs):
        images = 0
        start = time.perf_counter()
        for batch, _labels in loader:
            if batch.shape[1:] != (args.channels, args.size, args.size):
                print(f"pytorch_loader: error: batch of shape {tuple(batch.shape)}, expected "
                      f"[*, {args.channels}, {args.size}, {args.size}]", file=sys.stderr)
                return 1
            images += batch.shape[0]
        rates.append(images / (time.perf_counter() - start))
    print(f"first_epoch_images_per_s {rates[0]:.1f}")
    print(f"cached_epoch_images_per_s {sum(rates[1:]) / len(rates[1:]):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
