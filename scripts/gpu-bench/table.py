"""Prints gpu-bench.sh's summary from the files its stages left in the output folder."""

import json
import sys
from pathlib import Path

out = Path(sys.argv[1])


def read_json(name: str):
    path = out / name
    return json.loads(path.read_text()) if path.exists() else None


def read_text(name: str) -> str:
    path = out / name
    return path.read_text().strip() if path.exists() else "-"


def seconds(ms) -> str:
    return f"{ms / 1000:.3f}" if isinstance(ms, (int, float)) else "-"


failures = []
rows = [("runtime", "weights", "size", "batch", "s/step", "image-steps/s", "in ORT", "first run", "session s", "finite")]


def images_per_second(batch: int, ms) -> str:
    """Image-steps per second (divide by the steps for images per second): an even batch is rows of guidance, two per image; batch 1 is one image without guidance."""
    images = batch // 2 if batch % 2 == 0 else batch
    return f"{images / (ms / 1000):.3f}" if isinstance(ms, (int, float)) and ms > 0 else "-"

for dtype in ("float16", "float32"):
    bench = read_json(f"webgpu-{dtype}.json")
    if bench is None or "unet" not in bench:
        why = (bench or {}).get("error", "timed out or skipped")
        rows.append(("onnxruntime webgpu", dtype, "-", "-", "failed", "", "", "", "", ""))
        failures.append(f"webgpu {dtype}: {why}")
        continue
    unet = bench["unet"]
    for t in unet["timings"]:
        rows.append(
            ("onnxruntime webgpu", dtype, f"{t['width']}x{t['height']}", str(t["batch"]), seconds(t["stepMs"]),
             images_per_second(t["batch"], t["stepMs"]), seconds(t["runMs"]), seconds(t["firstMs"]),
             seconds(unet["sessionMs"]), str(t["finite"]).lower())
        )
peer = read_json("torch-float16.json")
if peer is None:
    rows.append(("pytorch cuda", "float16", "-", "-", "failed", "", "", "", "", ""))
    failures.append("pytorch: failed, timed out or skipped (see gpu-bench.log)")
else:
    for t in peer["timings"]:
        rows.append(
            (f"pytorch {peer['torch']} cuda", "float16", f"{t['width']}x{t['height']}", str(t["batch"]),
             seconds(t["stepMs"]), images_per_second(t["batch"], t["stepMs"]), "", "", "", str(t["finite"]).lower())
        )

widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
print(f"GPU: {read_text('gpu.txt')}")
print(f"Vulkan loader (VK_LOADER_DEBUG=driver):\n{read_text('adapter.txt')}")
for name in ("build-float16.txt", "build-float32.txt"):
    print(read_text(name))
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
for failure in failures:
    print(failure)

pipeline = read_json("webgpu-pipeline.json")
if pipeline is not None:
    loads = ", ".join(f"{name} {ms:.0f} ms" for name, ms in pipeline["pipeline"]["sessionMs"].items())
    print(f"tiny pipeline on webgpu: sessions {loads}")
