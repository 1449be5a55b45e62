"""Class names of an image_folder job, filled on the submitting machine.

Mirrors `edgenas submit` (cli/dataset_classes.cc with
common/image_folder_layout.cc): when dataset.name is image_folder, no
class_names are given and dataset.path is readable here, the classes are the
sorted folder names under PATH/train/ (hidden ones skipped), or the sorted
labels of a "path,label" CSV whose rows name existing image files. The job
then carries its classes and every executor checks it reads the same ones.
"""

import os

from .errors import EdgenasError

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _folder_classes(root):
    train = os.path.join(root, "train")
    if not os.path.isdir(train):
        return []
    try:
        names = os.listdir(train)
    except OSError:
        return []
    return sorted(n for n in names
                  if not n.startswith(".") and os.path.isdir(os.path.join(train, n)))


def _csv_classes(csv_path):
    base = os.path.dirname(csv_path)
    labels = set()
    try:
        with open(csv_path, "r", encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError:
        return []
    for number, line in enumerate(lines, start=1):
        text = line.strip(" \t\r\n\v\f")
        if not text or text.startswith("#"):
            continue
        if number == 1 and text.lower() == "path,label":
            continue
        comma = text.rfind(",")
        if comma < 0:
            continue
        rel = text[:comma].strip(" \t\r\n\v\f")
        label = text[comma + 1:].strip(" \t\r\n\v\f")
        if not rel or not label or not rel.lower().endswith(_IMAGE_EXTENSIONS):
            continue
        path = rel if rel.startswith("/") else os.path.join(base, rel)
        if not os.path.isfile(path):
            continue
        labels.add(label)
    return sorted(labels, key=lambda s: s.encode("utf-8"))


def image_folder_classes(path):
    """The classes found at `path` (a folder or a CSV), [] when unreadable."""
    if not os.path.exists(path):
        return []
    if os.path.isdir(path):
        return _folder_classes(path)
    return _csv_classes(path)


def fill_image_folder_classes(job_spec):
    """Fills job_spec.dataset.class_names (and num_classes) in place as the
    CLI does; returns a line for the user, or "" when nothing was filled.
    Raises EdgenasError(INVALID_ARGUMENT) naming dataset.num_classes when a
    given count disagrees with the folder's."""
    dataset = job_spec.dataset
    if dataset.name != "image_folder" or len(dataset.class_names) > 0 or not dataset.path:
        return ""
    classes = image_folder_classes(dataset.path)
    if not classes:
        return ""
    n = len(classes)
    if dataset.num_classes != 0 and dataset.num_classes != n:
        import grpc
        raise EdgenasError(grpc.StatusCode.INVALID_ARGUMENT,
                           f"dataset.num_classes: {dataset.num_classes} disagrees with the "
                           f"{n} classes found in {dataset.path}")
    dataset.class_names.extend(classes)
    dataset.num_classes = n
    shown = ", ".join(classes[:10]) + (", ..." if n > 10 else "")
    return f"dataset image_folder: {n} classes ({shown}) from {dataset.path}"
