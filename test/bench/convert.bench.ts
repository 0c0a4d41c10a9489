// Peak memory of `convert --fp16` against model size: a UNet of 16 MiB float32 tensors in
// model.onnx_data, at each `--sizes` (MiB), converted in a fresh process whose peak RSS is read
// from the kernel. Streaming means the peak stays near the baseline whatever the size.
// Run: npm run bench:convert [-- --sizes 256,2048]
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataType, encodeModel, type NodeInit, type TensorInit } from '../support/onnx/onnxProto';
import { buildTinySdxl } from '../support/tinyModels';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '256,2048' } } });
const WIDTH = 2048;
const TENSOR_BYTES = WIDTH * WIDTH * 4;

/** Replaces the tiny UNet by a chain of MatMuls whose weights come to `mebibytes`, in external data. */
function writeBigUnet(dir: string, mebibytes: number): void {
  const count = Math.max(1, Math.round((mebibytes * 1024 * 1024) / TENSOR_BYTES));
  const initializers: TensorInit[] = [];
  const nodes: NodeInit[] = [];
  const data = openSync(join(dir, 'model.onnx_data'), 'w');
  const block = new Float32Array(WIDTH * WIDTH);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < block.length; j++) block[j] = Math.sin(i * 7919 + j) * 0.05;
    writeSync(data, new Uint8Array(block.buffer));
    initializers.push({
      name: `w${i}`,
      dataType: DataType.FLOAT,
      dims: [WIDTH, WIDTH],
      data: { kind: 'external', where: { location: 'model.onnx_data', offset: i * TENSOR_BYTES, length: TENSOR_BYTES } },
    });
    nodes.push({ opType: 'MatMul', inputs: [i === 0 ? 'sample' : `h${i - 1}`, `w${i}`], outputs: [i === count - 1 ? 'out_sample' : `h${i}`] });
  }
  closeSync(data);
  const io = (name: string) => ({ name, elemType: DataType.FLOAT, shape: [1, WIDTH] });
  const graph = { name: 'big', nodes, initializers, inputs: [io('sample')], outputs: [io('out_sample')] };
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 'bench', graph }));
}

/** Peak RSS in MiB of a fresh process that imports the converter and, given a folder, converts it. */
function peakRss(modelDir?: string): { mib: number; seconds: number } {
  const script = `
    const { convertModelFolderToFloat16 } = require('./src/engine/models/convert/folderConversion');
    const started = performance.now();
    (async () => {
      if (process.argv[1]) await convertModelFolderToFloat16(process.argv[1]);
      console.log(JSON.stringify({ mib: process.resourceUsage().maxRSS / 1024, seconds: (performance.now() - started) / 1000 }));
    })();`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script, modelDir ?? ''], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as { mib: number; seconds: number };
}

const work = mkdtempSync(join(tmpdir(), 'sdxl-convert-bench-'));
try {
  const baseline = peakRss();
  console.log(`baseline (node, tsx and the converter loaded): peak RSS ${baseline.mib.toFixed(0)} MiB`);
  for (const size of args.sizes.split(',').map(Number)) {
    const dir = join(work, `model-${size}`);
    buildTinySdxl(dir);
    writeBigUnet(join(dir, 'unet'), size);
    const run = peakRss(dir);
    console.log(`UNet weights ${size} MiB float32: peak RSS ${run.mib.toFixed(0)} MiB (${(run.mib - baseline.mib).toFixed(0)} MiB over baseline), ${run.seconds.toFixed(1)} s`);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-fp16`, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
