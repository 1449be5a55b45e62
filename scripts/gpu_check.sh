#!/usr/bin/env bash
# The prepared GPU check of the worker (one run, at most ~10 minutes), on a
# machine with a CUDA Python torch and, in .gpu/, the Debian packages and
# Fashion-MNIST files ../shared/gpu/prepare.sh gathers. Run from the project
# root; figures and logs go to $OUT (default /tmp/edgenas-gpu-check):
#   1. builds edgenas-worker, worker_throughput and train_step with
#      scripts/build_gpu_worker.sh against the machine's CUDA LibTorch;
#   2. train_step: the same NB201 network and optimizer for 200 steps in C++
#      and in Python (PyTorch) on the GPU, side by side;
#   3. worker_throughput: candidates per hour at one schedule (400 steps,
#      batch 128) on 16 CPU threads, then on the GPU with 1 and with several
#      slots, GPU utilisation sampled by nvidia-smi every 200 ms;
#   4. the supernet trained on the GPU, utilisation sampled likewise.
set -uo pipefail
out="${OUT:-/tmp/edgenas-gpu-check}"
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
root="$PWD"
pfx="$root/.gpu/pfx"
mkdir -p "$pfx"
for f in "$root"/.gpu/debs/*.deb; do dpkg -x "$f" "$pfx"; done
mkdir -p /usr/share/datasets && ln -sfn "$root/.gpu/fashion-mnist" /usr/share/datasets/fashion-mnist
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda)'
nproc

start=$(date +%s)
EDGENAS_DEPS_PREFIX="$pfx" scripts/build_gpu_worker.sh edgenas-worker worker_throughput train_step ||
  { tail -40 build-gpu.log; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
export LD_LIBRARY_PATH="$pfx/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
bin="$root/build-gpu/bin"

sample() {  # sample FILE: GPU utilisation every 200 ms until killed
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 > "$1" &
  echo $!
}
summarise() {  # summarise FILE LABEL
  awk -v label="$2" '{ s += $1; n += 1; if ($1 > 0) b += 1 }
    END { if (n) printf "%s: mean GPU utilisation %.1f%% over %d samples (%.0f%% of samples busy)\n",
          label, s / n, n, 100 * b / n }' "$1"
}

echo "== train_step: C++ vs Python on the GPU (200 steps, batch 128)"
timeout 150 bench/train_step/run.sh --build_dir "$root/build-gpu" --device cuda --steps 200 \
  --python "$(command -v python3)" --threads 4 --out "$out/train_step" \
  --batch_size 128 --repeats 3 2>&1 | tail -15

common=(--steps 400 --batch_size 128 --validation_examples 2000 --seed 1)
echo "== worker_throughput: 16 CPU threads, one candidate at a time"
timeout 200 "$bin/worker_throughput" --device cpu --threads 16 --slots 1 --candidates 4 \
  "${common[@]}" --json "$out/cpu16.json"
echo "== worker_throughput: GPU, 1 slot"
p=$(sample "$out/util_gpu_slot1.txt")
timeout 120 "$bin/worker_throughput" --device cuda --threads 2 --slots 1 --candidates 8 \
  "${common[@]}" --json "$out/gpu_slot1.json"
kill "$p"; summarise "$out/util_gpu_slot1.txt" "GPU 1 slot"
for slots in 8 16; do
  echo "== worker_throughput: GPU, $slots slots"
  p=$(sample "$out/util_gpu_slots$slots.txt")
  timeout 150 "$bin/worker_throughput" --device cuda --threads 1 --slots "$slots" \
    --candidates $((slots * 4)) "${common[@]}" --json "$out/gpu_slots$slots.json"
  kill "$p"; summarise "$out/util_gpu_slots$slots.txt" "GPU $slots slots"
done
echo "== supernet training on the GPU (3000 steps, batch 128)"
p=$(sample "$out/util_supernet.txt")
timeout 120 "$bin/worker_throughput" --device cuda --threads 2 --slots 1 --candidates 1 \
  --steps 5 --batch_size 128 --supernet_steps 3000 --json "$out/supernet.json"
kill "$p"; summarise "$out/util_supernet.txt" "supernet"
echo "total: $(( $(date +%s) - start )) s"
