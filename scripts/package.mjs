// Packages the extension as a VSIX for the platform this runs on. onnxruntime-node and sharp
// load native binaries, and onnxruntime-node alone carries every platform's (~300 MB), so each
// VSIX keeps only its own platform's binaries and is published with vsce's matching --target.
// Usage: node scripts/package.mjs [--out FILE.vsix]   (after `npm run build`)
import { createVSIX, listFiles } from '@vscode/vsce';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { out: { type: 'string' } } });
const { platform, arch } = process;
const onnxBinaries = `node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}`;
const sharpPackages = [`node_modules/@img/sharp-${platform}-${arch}`, `node_modules/@img/sharp-libvips-${platform}-${arch}`];
// vsce names the targets of the platforms onnxruntime-node supports as Node names them.
const target = `${platform}-${arch}`;

try {
  if (platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime) {
    throw new Error('onnxruntime-node ships glibc builds only, so there is no VSIX for musl (Alpine) Linux');
  }
  const { name, version } = JSON.parse(readFileSync('package.json', 'utf8'));
  await packageVsix(args.out ?? `${name}-${target}-${version}.vsix`);
} catch (error) {
  console.error(`package: ${error.message}`);
  process.exitCode = 1;
}

async function packageVsix(packagePath) {
  const tempDir = mkdtempSync(join(tmpdir(), 'sdxl-assets-package-'));
  try {
    // vsce reads a single ignore file; its negations win over every ignore rule, in any order.
    const ignoreFile = join(tempDir, 'vscodeignore');
    writeFileSync(
      ignoreFile,
      [
        readFileSync('.vscodeignore', 'utf8'),
        'node_modules/onnxruntime-node/bin/**',
        `!${onnxBinaries}/**`,
        'node_modules/@img/sharp-*/**',
        ...sharpPackages.map((dir) => `!${dir}/**`),
      ].join('\n'),
    );
    const files = await listFiles({ ignoreFile });
    checkNativeFiles(files);
    await createVSIX({
      target,
      packagePath,
      ignoreFile,
      useYarn: false,
      // Not published from this repository yet: it has neither a repository URL nor a LICENSE file.
      allowMissingRepository: true,
      skipLicense: true,
    });
    console.log(`VSIX for ${target}: ${packagePath} (${megabytes(statSync(packagePath).size)})`);
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/** The VSIX must load on its platform, and carry no other platform's binaries. */
function checkNativeFiles(files) {
  const native = files.filter((f) => /\.(node|dll|dylib)$|\.so(\.\d+)*$/.test(f));
  const ownDirs = [onnxBinaries, ...sharpPackages];
  const foreign = native.filter((f) => !ownDirs.some((dir) => f.startsWith(`${dir}/`)));
  if (foreign.length > 0) {
    throw new Error(`native files of another platform would be packaged:\n  ${foreign.join('\n  ')}`);
  }
  for (const dir of [onnxBinaries, sharpPackages[0]]) {
    if (!native.some((f) => f.startsWith(`${dir}/`) && f.endsWith('.node'))) {
      throw new Error(`no native module in ${dir}: not installed, or the package has no build for ${platform}/${arch}`);
    }
  }
}

function megabytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
