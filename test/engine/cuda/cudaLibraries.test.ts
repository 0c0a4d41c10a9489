// Finding the CUDA 12 and cuDNN 9 libraries in a fake folder tree (real files named like the
// libraries), named through the environment as a user's machine names them.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { cudaSearchRoots, findCudaLibraries } from '../../../src/engine/cuda/cudaLibraries';
import { cudaSupport, withCudaLibraryPath } from '../../../src/engine/cuda/cudaSupport';
import { tempFolder } from '../../support/tempFolder';
import { LINUX_PROVIDER_FILES } from './fakeNuget';

const work = tempFolder('sdxl-cuda-libs');
let binDir = '';
before(() => {
  binDir = join(work, 'ort-bin');
  mkdirSync(binDir);
});

function libraries(dir: string, ...names: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const name of names) writeFileSync(join(dir, name), 'not really a library');
  return dir;
}

describe('CUDA library discovery on Linux', () => {
  test('finds each library in the first folder that has it: LD_LIBRARY_PATH, then CUDA_PATH, then a venv\'s NVIDIA wheels', () => {
    const onPath = libraries(join(work, 'a', 'driver'), 'libcuda.so.1', 'libcudart.so.12');
    const toolkit = libraries(join(work, 'a', 'cuda-12.4', 'lib64'), 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10');
    const venv = join(work, 'a', 'venv');
    const cudnn = libraries(join(venv, 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib'), 'libcudnn.so.9');
    libraries(join(venv, 'lib', 'python3.11', 'site-packages', 'nvidia', 'cublas', 'lib'), 'libcublas.so.12');

    const env = { LD_LIBRARY_PATH: `${onPath}:/nonexistent`, CUDA_PATH: join(work, 'a', 'cuda-12.4'), VIRTUAL_ENV: venv };
    const search = findCudaLibraries(cudaSearchRoots({ env, platform: 'linux', system: false }), 'linux');
    const where = Object.fromEntries(search.found.map((library) => [library.file, `${library.path} (${library.via})`]));
    assert.deepEqual(where, {
      'libcuda.so.1': `${join(onPath, 'libcuda.so.1')} (LD_LIBRARY_PATH)`,
      'libcudart.so.12': `${join(onPath, 'libcudart.so.12')} (LD_LIBRARY_PATH)`,
      'libcublas.so.12': `${join(toolkit, 'libcublas.so.12')} (CUDA_PATH)`,
      'libcublasLt.so.12': `${join(toolkit, 'libcublasLt.so.12')} (CUDA_PATH)`,
      'libcufft.so.11': `${join(toolkit, 'libcufft.so.11')} (CUDA_PATH)`,
      'libcurand.so.10': `${join(toolkit, 'libcurand.so.10')} (CUDA_PATH)`,
      'libcudnn.so.9': `${join(cudnn, 'libcudnn.so.9')} (VIRTUAL_ENV)`,
    });
    assert.deepEqual(search.missing, []);
    assert.deepEqual(search.libraryDirs, [toolkit, cudnn], 'folders already on LD_LIBRARY_PATH are not added again');
  });

  test('names each missing library with where to get it, and the reason sums them up in one line', () => {
    const onPath = libraries(join(work, 'b', 'lib'), 'libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcurand.so.10');
    const env = { LD_LIBRARY_PATH: onPath, SDXL_ASSETS_ORT_BIN_DIR: binDir };
    libraries(binDir, ...Object.keys(LINUX_PROVIDER_FILES));
    const support = cudaSupport({ env, platform: 'linux', arch: 'x64', system: false });
    assert.equal(support.providerInstalled, true);
    assert.deepEqual(support.missing, [
      'libcufft.so.11 not found: install the CUDA 12 toolkit or `pip install nvidia-cufft-cu12`',
      'libcudnn.so.9 not found: install cuDNN 9 for CUDA 12 or `pip install nvidia-cudnn-cu12`',
    ]);
    assert.equal(
      support.reason,
      'CUDA libraries not found (libcufft.so.11, libcudnn.so.9): install the CUDA 12 toolkit and cuDNN 9 for CUDA 12 or `pip install nvidia-cufft-cu12 nvidia-cudnn-cu12`.',
    );
  });

  test('without the provider, the reason says how to install it; with everything, there is no reason', () => {
    const all = libraries(join(work, 'c', 'lib'), 'libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9');
    const empty = join(work, 'c', 'empty-bin');
    mkdirSync(empty);
    const without = cudaSupport({ env: { CUDA_HOME: join(work, 'c'), SDXL_ASSETS_ORT_BIN_DIR: empty }, platform: 'linux', arch: 'x64', system: false });
    assert.equal(without.reason, 'CUDA provider not installed: run `sdxl-assets gpu install cuda`, or SDXL Assets: Install CUDA Support… in VS Code.');
    assert.deepEqual(withCudaLibraryPath({ LD_LIBRARY_PATH: '/opt/x' }, without, 'linux'), { LD_LIBRARY_PATH: '/opt/x' }, 'no folders without the provider');

    const ready = cudaSupport({ env: { CUDA_HOME: join(work, 'c'), SDXL_ASSETS_ORT_BIN_DIR: binDir }, platform: 'linux', arch: 'x64', system: false });
    assert.equal(ready.reason, undefined);
    assert.deepEqual(ready.libraryDirs, [all]);
    assert.deepEqual(withCudaLibraryPath({ LD_LIBRARY_PATH: '/opt/x', HOME: '/home/u' }, ready, 'linux'), { LD_LIBRARY_PATH: `${all}:/opt/x`, HOME: '/home/u' });
    assert.deepEqual(withCudaLibraryPath({ HOME: '/home/u' }, ready, 'linux'), { LD_LIBRARY_PATH: all, HOME: '/home/u' });
    assert.deepEqual(withCudaLibraryPath({ LD_LIBRARY_PATH: all }, ready, 'linux'), { LD_LIBRARY_PATH: all }, 'a folder already there is not repeated');
  });

  test('a platform without a CUDA build says so', () => {
    assert.equal(cudaSupport({ env: {}, platform: 'darwin', arch: 'arm64', system: false }).reason, 'ONNX Runtime has no CUDA build for darwin-arm64.');
  });
});

describe('CUDA library discovery on Windows', () => {
  test('PATH, CUDA_PATH\\bin and the wheels\' bin folders; the library path is PATH, whatever its case', () => {
    const toolkit = libraries(join(work, 'w', 'CUDA', 'v12.6', 'bin'), 'cudart64_12.dll', 'cublas64_12.dll', 'cublasLt64_12.dll', 'cufft64_11.dll');
    const system32 = libraries(join(work, 'w', 'System32'), 'nvcuda.dll');
    const venv = join(work, 'w', 'venv');
    const cudnn = libraries(join(venv, 'Lib', 'site-packages', 'nvidia', 'cudnn', 'bin'), 'cudnn64_9.dll');
    const env = { Path: system32, CUDA_PATH: join(work, 'w', 'CUDA', 'v12.6'), VIRTUAL_ENV: venv };
    const search = findCudaLibraries(cudaSearchRoots({ env, platform: 'win32', system: false }), 'win32');
    assert.deepEqual(search.missing, []);
    assert.deepEqual(search.libraryDirs, [toolkit, cudnn]);
    const support = { offered: true, providerInstalled: true, binDir, libraries: search.found, libraryDirs: search.libraryDirs, missing: [] };
    assert.deepEqual(withCudaLibraryPath(env, support, 'win32'), { ...env, Path: `${toolkit};${cudnn};${system32}` });
  });
});
