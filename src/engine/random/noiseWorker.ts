// The thread behind PrefetchedNoise (noisePrefetch.ts): continues a generator's stream from the
// snapshot it starts with, drawing one randn(shape) per message and posting it with the
// generator's state after it.
import { parentPort, workerData } from 'node:worker_threads';
import type { NoiseDraw, NoiseRequest } from './noisePrefetch';
import { TorchGenerator } from './torchGenerator';

if (parentPort === null) throw new Error('noiseWorker runs only as a worker thread');
const port = parentPort;
const { state, shape } = workerData as NoiseRequest;
// The seed is irrelevant: the snapshot replaces all of the state.
const generator = new TorchGenerator(0);
generator.setState(state);

port.on('message', () => {
  const noise = generator.randn(shape);
  const draw: NoiseDraw = { noise, state: generator.getState() };
  port.postMessage(draw, [noise.buffer]);
});
