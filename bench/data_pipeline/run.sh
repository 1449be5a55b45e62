#!/usr/bin/env bash
# Runs bench/data_pipeline in C++ (the worker's image_folder path) and, when
# present, its PyTorch peer (pytorch_loader.py: torchvision-style loader with
# an in-memory cache) on the same folder, and prints both sets of figures.
# Builds nothing: build the `data_pipeline` target first.
#
#   bench/data_pipeline/run.sh [--build_dir ./build] [--folder DIR] [--sizes 32,224]
#       [--threads 1] [--channels 3] [--python /usr/bin/python3]
#
# Without --folder, the C++ program generates a folder of random JPEGs under
# /tmp (or scripts/make_image_folder.py does, when present).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build_dir=./build
folder=""
sizes="32,224"
threads=1
channels=3
python="${PYTHON:-/usr/bin/python3}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build_dir) build_dir="$2"; shift 2 ;;
    --folder) folder="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --channels) channels="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    *) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
bin="$build_dir/bench/data_pipeline/data_pipeline"
[[ -x "$bin" ]] || bin="$build_dir/bin/data_pipeline"
if [[ ! -x "$bin" ]]; then
  echo "run.sh: no data_pipeline binary in $build_dir (ninja -C $build_dir data_pipeline)" >&2
  exit 2
fi
if [[ -z "$folder" && -f "$root/scripts/make_image_folder.py" ]]; then
  folder="${TMPDIR:-/tmp}/edgenas_data_pipeline_folder"
  # 2,000 RGB JPEGs of 256 px (Fashion-MNIST upscaled), as labs' photos are
  # larger than the networks' input.
  [[ -d "$folder/train" ]] || "$python" "$root/scripts/make_image_folder.py" --out "$folder" \
    --per_class 200 --test_per_class 0 --size 256 --rgb --format jpeg
fi
echo "== C++ (edgenas worker: OpenCV decode, uint8 cache, batch normalise + crop/flip)"
"$bin" ${folder:+--folder "$folder"} --sizes "$sizes" --threads "$threads" \
  --channels "$channels" --batch 64
if [[ -f "$here/pytorch_loader.py" && -n "$folder" ]]; then
  echo "== PyTorch peer (pytorch_loader.py)"
  for size in ${sizes//,/ }; do
    echo "-- size $size"
    "$python" "$here/pytorch_loader.py" --folder "$folder" --size "$size" --batch 64 --epochs 2 \
      --channels "$channels" --threads "$threads"
  done
else
  echo "(PyTorch peer skipped: needs bench/data_pipeline/pytorch_loader.py and --folder or" \
       "scripts/make_image_folder.py)"
fi
