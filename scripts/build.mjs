// Bundles the Node entry points; the native packages stay external because their
// binaries are loaded from node_modules at run time.
import { build } from 'esbuild';
import { copyFile } from 'node:fs/promises';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['onnxruntime-node', 'sharp', 'vscode'],
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});

// The engine's child process, forked by the extension host; not run by users, so no shebang.
await build({
  ...common,
  entryPoints: { engineServer: 'src/engine/server/main.ts' },
  outdir: 'dist',
});

// The thread that draws a stochastic sampler's noise during the UNet runs; the engine starts it
// from dist/ beside the bundle it runs in (src/engine/random/noisePrefetch.ts).
await build({
  ...common,
  entryPoints: { noiseWorker: 'src/engine/random/noiseWorker.ts' },
  outdir: 'dist',
});

// The extension host side; `vscode` is provided by the editor at run time.
await build({
  ...common,
  entryPoints: { extension: 'src/extension/extension.ts' },
  outdir: 'dist',
});

// The Generate Image panel's page, for the browser: one self-contained script, since the
// webview's CSP lets only that script run, and its stylesheet next to it.
await build({
  entryPoints: ['webview/main.ts', 'webview/main.css'],
  outdir: 'dist/webview',
  bundle: true,
  platform: 'browser',
  target: 'chrome120', // VS Code 1.90's Electron runs Chromium 122
  format: 'iife',
  sourcemap: true,
  logLevel: 'warning',
});
// vscode-elements draws its icons with the codicon font, linked from the page by its own URL.
for (const file of ['codicon.css', 'codicon.ttf']) {
  await copyFile(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/${file}`);
}
