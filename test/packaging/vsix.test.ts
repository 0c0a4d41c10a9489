import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { readZip, type ZipEntry } from '../support/zip';

// Runs the real packaging script on the built dist/ (npm test builds before the unit tests),
// once for every target, and reads what each VSIX carries.

interface Expected {
  os: string;
  cpu: string;
  /** onnxruntime's runtime libraries beside its binding, by file name. */
  runtime: RegExp[];
}

const EXPECTED: Record<string, Expected> = {
  'win32-x64': { os: 'win32', cpu: 'x64', runtime: [/^onnxruntime\.dll$/, /^DirectML\.dll$/] },
  'win32-arm64': { os: 'win32', cpu: 'arm64', runtime: [/^onnxruntime\.dll$/, /^DirectML\.dll$/] },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', runtime: [/^libonnxruntime.*\.dylib$/] },
  'linux-x64': { os: 'linux', cpu: 'x64', runtime: [/^libonnxruntime\.so\.1$/] },
  'linux-arm64': { os: 'linux', cpu: 'arm64', runtime: [/^libonnxruntime\.so\.1$/] },
};
const NATIVE = /\.(node|dll|dylib)$|\.so(\.\d+)*$/;
const { name, version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

const out = tempFolder('sdxl-vsix');
let run: { code: number; stdout: string; stderr: string };
let nativeInstallBefore: string[];

function runPackage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['scripts/package.mjs', ...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolvePromise({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The installed native packages, which packaging must leave as they are. */
function nativeInstall(): string[] {
  const onnxBin = join(repoRoot, 'node_modules', 'onnxruntime-node', 'bin');
  return [
    ...readdirSync(join(repoRoot, 'node_modules', '@img')),
    ...readdirSync(onnxBin, { recursive: true, encoding: 'utf8' }),
  ].sort();
}

before(async () => {
  nativeInstallBefore = nativeInstall();
  run = await runPackage(['--all', '--out-dir', out]);
});

/** The CPU a native binary was built for, from its ELF, PE or Mach-O header. */
function binaryPlatform(header: Buffer): string {
  if (header.readUInt32BE(0) === 0x7f454c46) {
    return `linux-${({ 62: 'x64', 183: 'arm64' } as Record<number, string>)[header.readUInt16LE(18)] ?? header.readUInt16LE(18)}`;
  }
  if (header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3c);
    const machine = header.readUInt16LE(pe + 4);
    return `win32-${({ 0x8664: 'x64', 0xaa64: 'arm64' } as Record<number, string>)[machine] ?? machine.toString(16)}`;
  }
  if (header.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = header.readUInt32LE(4);
    return `darwin-${({ 0x0100000c: 'arm64', 0x01000007: 'x64' } as Record<number, string>)[cpu] ?? cpu.toString(16)}`;
  }
  return `unknown (${header.subarray(0, 4).toString('hex')})`;
}

describe('scripts/package.mjs --all', () => {
  test('makes every VSIX but darwin-x64, and says why not that one', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipped darwin-x64: onnxruntime-node [\d.]+ ships no binaries for darwin-x64/);
    const made = readdirSync(out).sort();
    assert.deepEqual(made, Object.keys(EXPECTED).map((target) => `${name}-${target}-${version}.vsix`).sort());
  });

  test('leaves node_modules as it was', () => {
    assert.deepEqual(nativeInstall(), nativeInstallBefore);
  });

  for (const [target, { os, cpu, runtime }] of Object.entries(EXPECTED)) {
    describe(target, () => {
      let entries: ZipEntry[] = [];
      before(async () => {
        const vsix = join(out, `${name}-${target}-${version}.vsix`);
        if (existsSync(vsix)) entries = await readZip(vsix);
      });
      const names = () => entries.map((e) => e.name);

      test('is published for its target', async () => {
        const manifest = entries.find((e) => e.name === 'extension.vsixmanifest');
        assert.ok(manifest, 'no extension.vsixmanifest');
        assert.match((await manifest.read()).toString('utf8'), new RegExp(`TargetPlatform="${target}"`));
        assert.ok(names().includes('extension/dist/extension.js'), 'no dist/extension.js: run npm run build first');
      });

      test('carries the manifest schema that package.json contributes to VS Code', () => {
        assert.ok(names().includes('extension/schemas/assets.sdxl.schema.json'), 'no schemas/assets.sdxl.schema.json');
      });

      test("carries its platform's onnxruntime and sharp", () => {
        const onnxDir = `extension/node_modules/onnxruntime-node/bin/napi-v6/${os}/${cpu}/`;
        const onnxFiles = names().filter((n) => n.startsWith(onnxDir)).map((n) => n.slice(onnxDir.length));
        assert.ok(onnxFiles.includes('onnxruntime_binding.node'), `no binding in ${onnxDir}`);
        for (const library of runtime) assert.ok(onnxFiles.some((f) => library.test(f)), `no ${library} in ${onnxDir}: ${onnxFiles.join(', ')}`);
        assert.deepEqual(onnxFiles.filter((f) => !NATIVE.test(f)), [], 'only libraries from the binaries folder');
        const sharpBinding = new RegExp(`^extension/node_modules/@img/sharp-${os}-${cpu}/lib/sharp-${os}-${cpu}-[\\d.]+\\.node$`);
        assert.ok(names().some((n) => sharpBinding.test(n)), `no ${sharpBinding}`);
        assert.ok(names().includes('extension/node_modules/sharp/package.json'), 'no sharp');
      });

      test('carries no native file of another platform, and no CUDA provider', async () => {
        const native = entries.filter((e) => NATIVE.test(e.name));
        assert.ok(native.length > 0);
        const ownDirs = [
          `extension/node_modules/onnxruntime-node/bin/napi-v6/${os}/${cpu}/`,
          `extension/node_modules/@img/sharp-${os}-${cpu}/`,
          `extension/node_modules/@img/sharp-libvips-${os}-${cpu}/`,
        ];
        assert.deepEqual(native.filter((e) => !ownDirs.some((dir) => e.name.startsWith(dir))).map((e) => e.name), []);
        assert.deepEqual(native.filter((e) => /onnxruntime_providers_/.test(e.name)).map((e) => e.name), []);
        // The folder names could lie; the binaries' own headers say what they run on.
        const wrong: string[] = [];
        for (const e of native) {
          const line = `${e.name}: ${binaryPlatform(await e.read())}`;
          if (!line.endsWith(`: ${target}`)) wrong.push(line);
        }
        assert.deepEqual(wrong, []);
      });
    });
  }
});

describe('scripts/package.mjs --target darwin-x64', () => {
  test('fails with the reason instead of a VSIX without onnxruntime', async () => {
    const result = await runPackage(['--target', 'darwin-x64', '--out-dir', out]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /onnxruntime-node [\d.]+ ships no binaries for darwin-x64/);
    assert.equal(existsSync(join(out, `${name}-darwin-x64-${version}.vsix`)), false);
  });
});
