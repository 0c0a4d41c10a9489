// `auto` as a user meets it on a machine whose only Vulkan driver is SwiftShader (this one
// and CI): the CPU runs the job, and info, stderr and the recipe say why WebGPU was not used.
// An explicit --provider webgpu still runs there, which is how CI tests the WebGPU path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readImageMetadata } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';
import { conformanceProviders } from '../support/webgpu';

const skip = conformanceProviders().includes('webgpu') ? false : 'WebGPU (SwiftShader) is not installed here';
const SOFTWARE_ONLY = /only a software Vulkan driver \(SwiftShader\), which renders on the CPU/;

describe('providers on a machine whose only Vulkan driver is SwiftShader', { skip }, () => {
  const work = tempFolder('sdxl-cli-providers');
  let model = '';
  before(() => {
    model = join(work, 'model');
    buildTinySdxl(model);
  });

  test('info says auto runs on the CPU and why WebGPU is left out, though WebGPU loads', async () => {
    const result = await runCli(['info', '--model', model]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`webgpu: left out by auto: ${SOFTWARE_ONLY.source}`));
    assert.match(result.stdout, /^ {2}webgpu: loads$/m);
    assert.match(result.stdout, /^auto: cpu$/m);
  });

  test('generate with auto writes a CPU image whose recipe keeps the reasons', async () => {
    const out = join(work, 'auto.png');
    const args = ['generate', '--model', model, '--prompt', 'a fox', '--width', '32', '--height', '32', '--steps', '2', '--seed', '1'];
    const result = await runCli([...args, '--provider', 'auto', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`provider webgpu not used: ${SOFTWARE_ONLY.source}`));
    const { recipe, parameters } = await readImageMetadata(out);
    assert.equal(recipe?.provider?.choice, 'auto');
    assert.equal(recipe?.provider?.provider, 'cpu');
    assert.match(recipe?.provider?.skipped.find((s) => s.provider === 'webgpu')?.reason ?? '', SOFTWARE_ONLY);
    assert.match(parameters ?? '', /, ONNX provider: cpu$/);

    const gpuOut = join(work, 'webgpu.png');
    const onWebgpu = await runCli([...args, '--provider', 'webgpu', '--out', gpuOut]);
    assert.equal(onWebgpu.code, 0, onWebgpu.stderr);
    const gpuRecipe = (await readImageMetadata(gpuOut)).recipe;
    assert.deepEqual(gpuRecipe?.provider, { choice: 'webgpu', provider: 'webgpu', skipped: [] });
  });
});
