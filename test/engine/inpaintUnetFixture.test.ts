// The inpainting references' UNets under ONNX Runtime against the torch call diffusers made:
// test/fixtures/inpaint/make_reference.py recorded the first UNet call of one case per UNet kind
// (inputs and out_sample). The 9-channel UNet is that fixture's own export (unet9/), the 4-channel
// one the shared sdxl-tiny UNet. Tolerance 1e-4 max abs, the sdxl-tiny fixture's for the UNet.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy, type NpyArray } from '../support/npy';
import { fixtureDir } from '../support/sdxlTinyFixture';
import { repoRoot, skipWithoutShared } from '../support/shared';

const INPAINT_DIR = join(repoRoot, 'test', 'fixtures', 'inpaint');
const TOLERANCE = 1e-4;

interface InpaintCase {
  id: string;
  derived: { unet_timesteps: number[] };
}

function caseById(id: string): InpaintCase {
  const file = join(INPAINT_DIR, 'cases.json');
  const found = (JSON.parse(readFileSync(file, 'utf8')) as { cases: InpaintCase[] }).cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id} in ${file}`);
  return found;
}

function tensor(a: NpyArray): Tensor {
  return new Tensor('float32', a.data, a.shape);
}

/** The recorded first UNet call of a case: its inputs as ONNX feeds, and the output torch gave. */
function firstCall(id: string): { feeds: Record<string, Tensor>; sample: NpyArray; expected: NpyArray } {
  const debug = join(INPAINT_DIR, 'cases', id, 'debug');
  const npy = (name: string) => readNpy(join(debug, `unet_step0_${name}.npy`));
  const sample = npy('sample');
  const feeds = {
    sample: tensor(sample),
    timestep: new Tensor('float32', Float32Array.of(caseById(id).derived.unet_timesteps[0]), []),
    encoder_hidden_states: tensor(npy('encoder_hidden_states')),
    text_embeds: tensor(npy('text_embeds')),
    time_ids: tensor(npy('time_ids')),
  };
  return { feeds, sample, expected: npy('out_sample') };
}

async function runUnet(modelPath: string, feeds: Record<string, Tensor>): Promise<Float32Array> {
  const session = await InferenceSession.create(modelPath);
  try {
    return (await session.run(feeds)).out_sample.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('the inpainting references’ UNets match the torch calls diffusers made', () => {
  test('9-channel UNet (unet9/) on the first call of hard_9ch_euler', async (t) => {
    const config = JSON.parse(readFileSync(join(INPAINT_DIR, 'unet9', 'config.json'), 'utf8')) as {
      in_channels: number;
      out_channels: number;
    };
    assert.deepEqual([config.in_channels, config.out_channels], [9, 4]);
    const { feeds, sample, expected } = firstCall('hard_9ch_euler');
    assert.equal(sample.shape[1], 9);
    const got = await runUnet(join(INPAINT_DIR, 'unet9', 'model.onnx'), feeds);
    const error = maxAbsDiff(got, expected.data);
    t.diagnostic(`max abs error ${error.toExponential(2)}`);
    assert.ok(error <= TOLERANCE, `max abs error ${error} > ${TOLERANCE}`);
  });

  test('the mask and masked-image channels change the 9-channel output, so a wrong concatenation shows', async () => {
    const { feeds, sample, expected } = firstCall('hard_9ch_euler');
    const [batch, channels, height, width] = sample.shape;
    const plane = height * width;
    const withoutMask = Float32Array.from(sample.data);
    for (let b = 0; b < batch; b++) withoutMask.fill(0, (b * channels + 4) * plane, (b * channels + 5) * plane);
    const got = await runUnet(join(INPAINT_DIR, 'unet9', 'model.onnx'), {
      ...feeds,
      sample: new Tensor('float32', withoutMask, sample.shape),
    });
    assert.ok(maxAbsDiff(got, expected.data) > 100 * TOLERANCE);
  });

  test(
    '4-channel sdxl-tiny UNet on the first call of hard_4ch_euler',
    { skip: skipWithoutShared('reference', 'sdxl-tiny', 'model', 'unet', 'model.onnx') },
    async (t) => {
      const { feeds, sample, expected } = firstCall('hard_4ch_euler');
      assert.equal(sample.shape[1], 4);
      const got = await runUnet(join(fixtureDir, 'model', 'unet', 'model.onnx'), feeds);
      const error = maxAbsDiff(got, expected.data);
      t.diagnostic(`max abs error ${error.toExponential(2)}`);
      assert.ok(error <= TOLERANCE, `max abs error ${error} > ${TOLERANCE}`);
    },
  );
});
