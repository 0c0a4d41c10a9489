#!/usr/bin/env bash
# Measures the engine's UNet step on a GPU machine that has no Node and no network.
#
#   scripts/gpu-bench.sh pack          here: bundles Node, onnxruntime-node, the bench and the
#                                      Vulkan loader into .gpu-bench/ (git-ignored, at most 60 MiB)
#   scripts/gpu-bench.sh run [--skip-torch]
#                                      there, in the repository root with .gpu-bench/ carried along:
#                                      builds the full-size SDXL UNet (random weights), times it on
#                                      WebGPU, then PyTorch's own fp16 step on the same card; the
#                                      table goes to $OUT/gpu-bench.txt
#
# GPU_BENCH_SCALE=tiny runs a reduced UNet at small sizes, so the whole run can be tried on a
# software Vulkan driver (VK_ICD_FILENAMES set beforehand is kept). GPU_BENCH_SECONDS (default
# 560) bounds the whole run: every stage gets the smaller of its own limit and what is left.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACK="$ROOT/.gpu-bench"
LIMIT_MIB=60

pack() {
  set -e
  cd "$ROOT"
  local stage app
  stage="$(mktemp -d)"
  trap "rm -rf '$stage'" EXIT
  app="$stage/app"
  mkdir -p "$app/node_modules/@img"
  # The native packages stay outside the bundles: their binaries load from node_modules.
  local esbuild=(node_modules/.bin/esbuild --bundle --platform=node --target=node20 --format=cjs
    --external:onnxruntime-node --external:sharp --log-level=warning)
  "${esbuild[@]}" test/bench/pipeline.bench.ts --outfile="$app/bench.js"
  "${esbuild[@]}" scripts/gpu-bench/buildUnet.ts --outfile="$app/build-unet.js"
  # The engine starts its noise worker from the file beside the bundle that runs it.
  "${esbuild[@]}" src/engine/random/noiseWorker.ts --outfile="$app/noiseWorker.js"
  local ort=node_modules/onnxruntime-node
  mkdir -p "$app/$ort/bin/napi-v6/linux"
  cp -r "$ort/package.json" "$ort/dist" "$app/$ort/"
  cp -r "$ort/bin/napi-v6/linux/x64" "$app/$ort/bin/napi-v6/linux/"
  cp -r node_modules/onnxruntime-common node_modules/sharp node_modules/detect-libc node_modules/semver "$app/node_modules/"
  cp -r node_modules/@img/colour node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64 "$app/node_modules/@img/"
  rm -rf "$PACK"
  mkdir -p "$PACK"
  tar -C "$stage" -cf - app | xz -T0 -6 >"$PACK/app.tar.xz"
  xz -T0 -6 -c "$(node -p process.execPath)" >"$PACK/node.xz"
  (cd "$PACK" && apt-get download -q libvulkan1:amd64 >/dev/null)
  local bytes
  bytes="$(du -cb "$PACK"/* | tail -1 | cut -f1)"
  ls -l "$PACK"
  echo "pack: $((bytes / 1048576)) MiB in $PACK (limit $LIMIT_MIB MiB)"
  if ((bytes > LIMIT_MIB * 1048576)); then
    echo "pack: over the limit" >&2
    exit 1
  fi
}

run() {
  local skip_torch=0
  [[ "${1:-}" == "--skip-torch" ]] && skip_torch=1
  local out="${OUT:-$ROOT/.gpu-bench-out}"
  local scale="${GPU_BENCH_SCALE:-full}"
  local deadline="${GPU_BENCH_SECONDS:-560}"
  local work shapes runs torch_shapes pipeline_size
  mkdir -p "$out"
  work="$(mktemp -d /tmp/gpu-bench.XXXXXX)"
  exec > >(tee "$out/gpu-bench.log") 2>&1
  # Batch 2 at 1024×1024 is one image with guidance; 4 and 8 are two and four images sharing each
  # step (the engine's --batch on a GPU), so images per second against batch size can be read off.
  if [[ "$scale" == full ]]; then
    shapes=1024x1024x2,1024x1024x4,1024x1024x8,512x512x1 runs=3
    torch_shapes=1024x1024x2,1024x1024x4,1024x1024x8,512x512x1 pipeline_size=1024
  else
    shapes=128x128x2,64x64x1 runs=1 torch_shapes=128x128x2,64x64x1 pipeline_size=128
  fi

  # Runs "$@" under the smaller of $2 seconds and the time left; says so when it times out.
  stage() {
    local name="$1" max="$2" left
    shift 2
    left=$((deadline - SECONDS))
    ((max > left)) && max=$left
    if ((max < 10)); then
      echo "== $name: skipped, ${left}s left"
      return 1
    fi
    echo "== $name (limit ${max}s, at ${SECONDS}s)"
    timeout -k 5 "$max" "$@"
    local rc=$?
    ((rc == 124 || rc == 137)) && echo "== $name: timed out after ${max}s"
    return $rc
  }

  stage unpack 90 bash -c "xz -dc '$PACK/node.xz' >'$work/node' && chmod +x '$work/node' &&
    xz -dc '$PACK/app.tar.xz' | tar -C '$work' -xf - && dpkg -x '$PACK'/libvulkan1_*.deb '$work/vulkan'" || return 1
  local node="$work/node" app="$work/app"

  # Debian's loader, private to this run; the machine may have none.
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [[ -d /usr/local/nvidia/lib64 ]] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
  local icd="${GPU_BENCH_ICD:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
  if [[ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" && -f "$icd" ]] &&
    ! grep -qil nvidia /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null; then
    # The loader's search path misses where the NVIDIA container toolkit puts its driver's manifest.
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
  fi
  echo "Vulkan driver manifest: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-default search path}}"
  local gpu="no nvidia-smi"
  command -v nvidia-smi >/dev/null && gpu="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
  echo "GPU: $gpu"
  echo "$gpu" >"$out/gpu.txt"

  # A reduced UNet first: it proves WebGPU loads before minutes go into the big one, and the
  # loader's debug output names the driver it picked.
  stage probe-build 60 "$node" "$app/build-unet.js" --scale tiny --dtype float32 --out "$work/probe"
  VK_LOADER_DEBUG=driver stage probe-webgpu 60 "$node" "$app/bench.js" --provider webgpu --unet "$work/probe" \
    --shapes 64x64x1 --runs 1 >"$out/probe.log" 2>&1
  grep -E 'Using "|Found ICD manifest|ERROR' "$out/probe.log" | sed 's/^.*DRIVER: *//' | sort -u | head -10 | tee "$out/adapter.txt"
  grep -E 'webgpu:' "$out/probe.log"

  for dtype in float16 float32; do
    local model="$work/unet-$dtype"
    stage "build $dtype UNet" 150 "$node" "$app/build-unet.js" --scale "$scale" --dtype "$dtype" --out "$model" |
      tee "$out/build-$dtype.txt"
    stage "webgpu $dtype" 240 "$node" "$app/bench.js" --provider webgpu --unet "$model" --shapes "$shapes" \
      --runs "$runs" --json "$out/webgpu-$dtype.json"
    rm -rf "$model"
    if [[ "$dtype" == float16 && "$skip_torch" == 0 ]]; then
      stage "torch float16" 150 python3 "$ROOT/scripts/gpu-bench/sdxl_unet_torch.py" --scale "$scale" \
        --shapes "$torch_shapes" --json "$out/torch-float16.json"
    fi
  done
  stage "webgpu pipeline copies" 60 "$node" "$app/bench.js" --provider webgpu --size "$pipeline_size" --steps 3 \
    --json "$out/webgpu-pipeline.json"

  python3 "$ROOT/scripts/gpu-bench/table.py" "$out" | tee "$out/gpu-bench.txt"
  rm -rf "$work"
}

case "${1:-}" in
  pack) pack ;;
  run)
    shift
    run "$@"
    ;;
  *)
    echo "usage: $0 pack | run [--skip-torch]" >&2
    exit 2
    ;;
esac
