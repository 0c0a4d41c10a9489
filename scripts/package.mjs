// Packages the extension as VSIXes, one per platform. onnxruntime-node and sharp load native
// binaries, and onnxruntime-node alone carries every platform's (~300 MB), so each VSIX keeps
// only its own platform's binaries and is published with vsce's matching --target.
// Usage (after `npm run build`):
//   node scripts/package.mjs [--target TARGET | --all] [--out FILE.vsix | --out-dir DIR]
// Without --target or --all it packages for the platform it runs on.
import { createVSIX, listFiles } from '@vscode/vsce';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

// The platforms onnxruntime-node documents prebuilt binaries for, named as vsce's targets, which
// are Node's `${platform}-${arch}`. Its 1.30.0 package holds no darwin/x64 folder, so that target
// gets no VSIX and says why (missingBinaries); a version that ships one needs no change here.
const TARGETS = ['win32-x64', 'win32-arm64', 'darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'];
const CACHE = '.package-cache';
// onnxruntime-node's install script, or the extension's CUDA install, adds the CUDA and TensorRT
// providers (hundreds of MB) next to the bundled runtime; users who want CUDA install them on
// their machine, so they never ship.
const INSTALLED_PROVIDER = /(^|\/)(lib)?onnxruntime_providers_[^/]*$/;
const NATIVE = /\.(node|dll|dylib)$|\.so(\.\d+)*$/;

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    all: { type: 'boolean' },
    out: { type: 'string' },
    'out-dir': { type: 'string' },
  },
});

// This run's staging folders and downloads; node_modules is only read, so a failed or
// interrupted run cannot leave it changed.
let work;
try {
  const targets = chooseTargets();
  if (args.out && targets.length > 1) throw new Error('--out names one VSIX; use --out-dir with --all');
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  mkdirSync(CACHE, { recursive: true });
  work = mkdtempSync(join(CACHE, 'run-'));
  // Everything but the native packages is the same for every target, so it is listed once,
  // without any platform's binaries.
  const commonIgnore = join(work, 'vscodeignore');
  writeFileSync(commonIgnore, [readFileSync('.vscodeignore', 'utf8'), 'node_modules/onnxruntime-node/bin/**', 'node_modules/@img/sharp-*/**'].join('\n'));
  const commonFiles = await listFiles({ ignoreFile: resolve(commonIgnore) });
  for (const target of targets) {
    const missing = missingBinaries(target);
    if (missing) {
      // With --all the other VSIXes are still worth making; a single target asked for fails.
      if (targets.length === 1) throw new Error(missing);
      console.error(`package: skipped ${target}: ${missing}`);
      continue;
    }
    const packagePath = resolve(args.out ?? join(args['out-dir'] ?? '.', `${manifest.name}-${target}-${manifest.version}.vsix`));
    mkdirSync(dirname(packagePath), { recursive: true });
    await packageVsix(target, packagePath, commonFiles, lock);
  }
} catch (error) {
  console.error(`package: ${error.message}`);
  process.exitCode = 1;
} finally {
  if (work) rmSync(work, { recursive: true, force: true });
}

function chooseTargets() {
  if (args.all) {
    if (args.target) throw new Error('give either --target or --all');
    return TARGETS;
  }
  if (args.target) {
    if (!TARGETS.includes(args.target)) throw new Error(`unknown target ${args.target}; the targets are ${TARGETS.join(', ')}`);
    return [args.target];
  }
  const here = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime) {
    throw new Error('onnxruntime-node ships glibc builds only, so there is no VSIX for musl (Alpine) Linux');
  }
  if (!TARGETS.includes(here)) throw new Error(`onnxruntime-node has no binaries for ${here}, so there is no VSIX for it`);
  return [here];
}

function onnxBinaries(target) {
  const [os, cpu] = target.split('-');
  return `node_modules/onnxruntime-node/bin/napi-v6/${os}/${cpu}`;
}

function missingBinaries(target) {
  const dir = onnxBinaries(target);
  if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.node'))) return undefined;
  const { version } = JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8'));
  return `onnxruntime-node ${version} ships no binaries for ${target} (no ${dir}), so there is no VSIX for it`;
}

/**
 * The VSIX is made from a staging folder that holds exactly what it carries: the common files,
 * this target's onnxruntime binaries and sharp packages, as hard links where the file system
 * allows (it sits in the repository so that they usually can).
 */
async function packageVsix(target, packagePath, commonFiles, lock) {
  const stage = join(work, target);
  try {
    for (const file of commonFiles) stageFile(file, join(stage, file));
    const onnxDir = onnxBinaries(target);
    // Libraries only: a CUDA install's download left there is neither.
    for (const name of readdirSync(onnxDir)) {
      if (NATIVE.test(name) && !INSTALLED_PROVIDER.test(name)) stageFile(join(onnxDir, name), join(stage, onnxDir, name));
    }
    for (const [name, dir] of sharpPackages(target, lock)) stageTree(dir, join(stage, 'node_modules', name));

    const ignoreFile = resolve('.vscodeignore');
    checkNativeFiles(target, await listFiles({ cwd: stage, ignoreFile }));
    await createVSIX({
      cwd: stage,
      target,
      packagePath,
      ignoreFile,
      useYarn: false,
      // The project has no public repository URL yet; once package.json names one, this goes.
      allowMissingRepository: true,
      // Without a repository vsce cannot make the README's pictures absolute and refuses them;
      // left relative they show from the VSIX's own files in VS Code's extension page.
      rewriteRelativeLinks: false,
    });
    console.log(`VSIX for ${target}: ${packagePath} (${megabytes(statSync(packagePath).size)})`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * sharp's package for the target and the libvips package it depends on, each as [name, folder]:
 * the installed one when it is the locked version, else the locked tarball from the registry.
 */
function sharpPackages(target, lock) {
  const main = `@img/sharp-${target}`;
  const locked = lock.packages[`node_modules/${main}`];
  if (!locked) throw new Error(`package-lock.json has no ${main}`);
  return [main, ...Object.keys(locked.optionalDependencies ?? {})].map((name) => [name, lockedPackage(name, lock)]);
}

function lockedPackage(name, lock) {
  const { version, integrity } = lock.packages[`node_modules/${name}`] ?? {};
  if (!integrity) throw new Error(`package-lock.json has no integrity for ${name}`);
  const installed = join('node_modules', name);
  if (existsSync(join(installed, 'package.json')) && JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version === version) {
    return installed;
  }
  const cached = join(CACHE, 'packages', `${name.replace('/', '+')}@${version}`);
  if (existsSync(cached)) return cached;

  const download = join(work, 'download');
  mkdirSync(download);
  try {
    // npm pack fetches with the user's registry, proxy and credentials, and keeps npm's cache warm.
    const [{ filename }] = JSON.parse(
      execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', `${name}@${version}`, '--json', '--loglevel=error', '--pack-destination', download], {
        encoding: 'utf8',
        shell: process.platform === 'win32',
      }),
    );
    const tarball = readFileSync(join(download, filename));
    const [algorithm, expected] = integrity.split('-', 2);
    const actual = createHash(algorithm).update(tarball).digest('base64');
    if (actual !== expected) throw new Error(`${name}@${version} from the registry is ${algorithm}-${actual}, package-lock.json says ${integrity}`);
    // Extracted beside the cache and renamed into it, so an interrupted run leaves no half package.
    extractNpmTarball(tarball, join(download, 'package'));
    mkdirSync(dirname(cached), { recursive: true });
    renameSync(join(download, 'package'), cached);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  return cached;
}

/** Writes the regular files of an npm tarball (ustar, with pax or GNU long names) under dest. */
function extractNpmTarball(gzipped, dest) {
  const tar = gunzipSync(gzipped);
  let longName;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type !== '0') continue;
    // npm strips the tarball's top folder (usually package/).
    const relative = name.split('/').slice(1);
    if (relative.length === 0 || relative.some((part) => part === '..' || part === '') || name.startsWith('/')) {
      throw new Error(`unsafe path in tarball: ${name}`);
    }
    const path = join(dest, ...relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
}

function stageTree(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) stageTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile()) stageFile(join(from, entry.name), join(to, entry.name));
  }
}

function stageFile(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    // Other file systems, or ones without hard links: a copy costs only time and space.
    copyFileSync(from, to);
  }
}

/** The VSIX must load on its platform, and carry no other platform's binaries. */
function checkNativeFiles(target, files) {
  const native = files.filter((f) => NATIVE.test(f));
  const [os, cpu] = target.split('-');
  const ownDirs = [onnxBinaries(target), `node_modules/@img/sharp-${os}-${cpu}`, `node_modules/@img/sharp-libvips-${os}-${cpu}`];
  const foreign = native.filter((f) => !ownDirs.some((dir) => f.startsWith(`${dir}/`)) || INSTALLED_PROVIDER.test(f));
  if (foreign.length > 0) {
    throw new Error(`native files that ${target} must not carry would be packaged:\n  ${foreign.join('\n  ')}`);
  }
  for (const dir of ownDirs.slice(0, 2)) {
    if (!native.some((f) => f.startsWith(`${dir}/`) && f.endsWith('.node'))) throw new Error(`no native module in ${dir} for ${target}`);
  }
}

function megabytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
