import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A library ONNX Runtime's CUDA provider needs, and where a user gets it. */
export interface CudaLibrary {
  file: string;
  /** What installs it: 'the CUDA 12 toolkit', 'cuDNN 9 for CUDA 12', 'the NVIDIA driver'. */
  from: string;
  /** The pip package with the same library, for a Python environment; none for the driver. */
  pip?: string;
}

/** Where a library was found, and whether the dynamic loader finds it there without help. */
export interface FoundLibrary {
  file: string;
  path: string;
  /** How the folder was found: 'LD_LIBRARY_PATH', 'ldconfig', 'CUDA_PATH', 'python', … */
  via: string;
  onLoaderPath: boolean;
}

/** A folder to look in, and how it was found. */
export interface SearchRoot {
  dir: string;
  via: string;
  /** The loader searches it already (LD_LIBRARY_PATH, the ldconfig cache, PATH on Windows). */
  onLoaderPath: boolean;
}

export interface LibrarySearch {
  found: FoundLibrary[];
  missing: CudaLibrary[];
  /** Folders of found libraries that the loader does not search by itself, in search order. */
  libraryDirs: string[];
}

const TOOLKIT = 'the CUDA 12 toolkit';
const CUDNN = 'cuDNN 9 for CUDA 12';
const DRIVER = 'the NVIDIA driver';

/**
 * What ONNX Runtime 1.2x's CUDA provider (built for CUDA 12 and cuDNN 9) loads, as its own
 * preload_dlls lists them, and the driver under them; cuDNN 9 loads its sub-libraries from
 * its own folder.
 */
export function requiredCudaLibraries(platform: NodeJS.Platform = process.platform): CudaLibrary[] {
  if (platform === 'win32') {
    return [
      { file: 'nvcuda.dll', from: DRIVER },
      { file: 'cudart64_12.dll', from: TOOLKIT, pip: 'nvidia-cuda-runtime-cu12' },
      { file: 'cublas64_12.dll', from: TOOLKIT, pip: 'nvidia-cublas-cu12' },
      { file: 'cublasLt64_12.dll', from: TOOLKIT, pip: 'nvidia-cublas-cu12' },
      { file: 'cufft64_11.dll', from: TOOLKIT, pip: 'nvidia-cufft-cu12' },
      { file: 'cudnn64_9.dll', from: CUDNN, pip: 'nvidia-cudnn-cu12' },
    ];
  }
  return [
    { file: 'libcuda.so.1', from: DRIVER },
    { file: 'libcudart.so.12', from: TOOLKIT, pip: 'nvidia-cuda-runtime-cu12' },
    { file: 'libcublas.so.12', from: TOOLKIT, pip: 'nvidia-cublas-cu12' },
    { file: 'libcublasLt.so.12', from: TOOLKIT, pip: 'nvidia-cublas-cu12' },
    { file: 'libcufft.so.11', from: TOOLKIT, pip: 'nvidia-cufft-cu12' },
    { file: 'libcurand.so.10', from: TOOLKIT, pip: 'nvidia-curand-cu12' },
    { file: 'libcudnn.so.9', from: CUDNN, pip: 'nvidia-cudnn-cu12' },
  ];
}

/** How to get the libraries, in one clause: "install cuDNN 9 for CUDA 12 or `pip install nvidia-cudnn-cu12`". */
export function installHint(libraries: readonly CudaLibrary[]): string {
  const from = [...new Set(libraries.map((library) => library.from))];
  // A pip command only when it covers them all: no wheel carries the driver.
  const pip = libraries.every((library) => library.pip) ? [...new Set(libraries.map((library) => library.pip))] : [];
  const install = `install ${from.join(' and ')}`;
  return pip.length > 0 ? `${install} or \`pip install ${pip.join(' ')}\`` : install;
}

export interface SearchRootOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /**
   * Also the machine's own places: the ldconfig cache, the system and /usr/local/cuda* folders,
   * the Python installations on PATH and in the home folder. Tests turn it off to see only the
   * folders their environment names.
   */
  system?: boolean;
}

/** Every folder to look in, best first: what the loader already searches, then CUDA installs, then Python's NVIDIA wheels. */
export function cudaSearchRoots(options: SearchRootOptions = {}): SearchRoot[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const system = options.system ?? true;
  const windows = platform === 'win32';
  const delimiter = windows ? ';' : ':';
  const roots: SearchRoot[] = [];
  const add = (dir: string | undefined, via: string, onLoaderPath = false) => {
    if (dir && !roots.some((root) => root.dir === dir)) roots.push({ dir, via, onLoaderPath });
  };
  const listed = (value: string | undefined) => (value ?? '').split(delimiter).filter((dir) => dir !== '');

  if (windows) {
    for (const dir of listed(env.PATH ?? env.Path)) add(dir, 'PATH', true);
  } else {
    for (const dir of listed(env.LD_LIBRARY_PATH)) add(dir, 'LD_LIBRARY_PATH', true);
    if (system) for (const dir of ldconfigDirs()) add(dir, 'ldconfig', true);
  }
  const cudaDirs = (home: string | undefined) => (home ? [join(home, windows ? 'bin' : 'lib64'), ...(windows ? [] : [join(home, 'lib')])] : []);
  for (const name of ['CUDA_PATH', 'CUDA_HOME']) for (const dir of cudaDirs(env[name])) add(dir, name);
  if (windows) {
    for (const [name, value] of Object.entries(env)) if (/^CUDA_PATH_V12_\d+$/i.test(name)) for (const dir of cudaDirs(value)) add(dir, name);
  }
  if (system) {
    if (windows) {
      const programFiles = env.ProgramFiles ?? 'C:\\Program Files';
      for (const dir of subfolders(join(programFiles, 'NVIDIA GPU Computing Toolkit', 'CUDA'), /^v12\./)) add(join(dir, 'bin'), 'CUDA toolkit');
      // cuDNN 9's Windows installer keeps one folder of DLLs per CUDA major version.
      for (const dir of subfolders(join(programFiles, 'NVIDIA', 'CUDNN'), /^v9\./)) for (const cuda of subfolders(join(dir, 'bin'), /^12\./)) add(cuda, 'cuDNN');
    } else {
      for (const dir of subfolders('/usr/local', /^cuda(-12(\.\d+)*)?$/)) add(join(dir, 'lib64'), 'CUDA toolkit');
      for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/wsl/lib', '/usr/lib64', '/usr/lib']) add(dir, 'system', true);
    }
  }
  if (env.CONDA_PREFIX) add(windows ? join(env.CONDA_PREFIX, 'Library', 'bin') : join(env.CONDA_PREFIX, 'lib'), 'CONDA_PREFIX');
  for (const { dir, via } of sitePackages(env, platform, system)) {
    for (const lib of subfolders(join(dir, 'nvidia'), /./)) add(join(lib, windows ? 'bin' : 'lib'), via);
  }
  return roots;
}

/** Looks for each library in the roots, in order; the first folder that has it wins. */
export function findCudaLibraries(roots: readonly SearchRoot[], platform: NodeJS.Platform = process.platform): LibrarySearch {
  const found: FoundLibrary[] = [];
  const missing: CudaLibrary[] = [];
  for (const library of requiredCudaLibraries(platform)) {
    const root = roots.find((candidate) => existsSync(join(candidate.dir, library.file)));
    if (root) found.push({ file: library.file, path: join(root.dir, library.file), via: root.via, onLoaderPath: root.onLoaderPath });
    else missing.push(library);
  }
  const libraryDirs: string[] = [];
  for (const library of found) {
    const dir = dirname(library.path);
    if (!library.onLoaderPath && !libraryDirs.includes(dir)) libraryDirs.push(dir);
  }
  return { found, missing, libraryDirs };
}

/** Folders of the libraries in the dynamic loader's cache: those load by name without LD_LIBRARY_PATH. */
function ldconfigDirs(): string[] {
  const output = run('ldconfig', ['-p']) ?? run('/sbin/ldconfig', ['-p']) ?? '';
  const dirs = new Set<string>();
  for (const match of output.matchAll(/=>\s*(\S+)/g)) {
    if (/\/lib(cuda|cublas|cufft|curand|cudnn)/.test(match[1]!)) dirs.add(dirname(match[1]!));
  }
  return [...dirs];
}

/** site-packages folders of the Python environments a user is likely to have put NVIDIA's wheels in. */
function sitePackages(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, system: boolean): Array<{ dir: string; via: string }> {
  const windows = platform === 'win32';
  const inPrefix = (prefix: string): string[] =>
    windows ? [join(prefix, 'Lib', 'site-packages')] : subfolders(join(prefix, 'lib'), /^python3\.\d+$/).map((dir) => join(dir, 'site-packages'));
  const result: Array<{ dir: string; via: string }> = [];
  for (const name of ['VIRTUAL_ENV', 'CONDA_PREFIX']) {
    const prefix = env[name];
    if (prefix) for (const dir of inPrefix(prefix)) result.push({ dir, via: name });
  }
  if (!system) return result;
  const python = run(windows ? 'python' : 'python3', ['-c', 'import json, site; print(json.dumps(site.getsitepackages() + [site.getusersitepackages()]))']);
  try {
    for (const dir of JSON.parse(python ?? '[]') as unknown[]) if (typeof dir === 'string') result.push({ dir, via: 'python' });
  } catch {
    // A python that prints something else is not one we can ask.
  }
  const home = homedir();
  for (const prefix of [join(home, '.venv'), join(home, 'venv'), join(home, 'miniconda3'), join(home, 'anaconda3'), join(home, 'miniforge3')]) {
    for (const dir of inPrefix(prefix)) result.push({ dir, via: 'python' });
  }
  if (!windows) for (const dir of subfolders(join(home, '.local', 'lib'), /^python3\.\d+$/)) result.push({ dir: join(dir, 'site-packages'), via: 'python' });
  return result;
}

function subfolders(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && pattern.test(entry.name))
      .map((entry) => join(dir, entry.name))
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/** Its stdout, or undefined when it is not there, fails or takes too long: a missing tool only narrows the search. */
function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
  } catch {
    return undefined;
  }
}
