import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { build } from 'esbuild';
import { readImportGraph, type ImportEdge, type ImportGraph } from '../support/importGraph';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import {
  checkImportRules,
  describeViolation,
  EXTENSION_ENGINE_MODULES,
  isExtensionEngineModule,
  routeToOnnx,
  RULES,
} from './importRules';

/** A graph written by hand: each file's imports by target, a package when it is not under src/ or webview/. */
function graphOf(imports: Record<string, string[]>): ImportGraph {
  return new Map(
    Object.entries(imports).map(([from, targets]) => [
      from,
      targets.map((target, i): ImportEdge => ({
        from,
        specifier: target,
        target,
        external: !/^(src|webview)\//.test(target),
        line: i + 1,
        kind: 'import',
      })),
    ]),
  );
}

/** The rules broken in a graph, as `file -> target: rule`. */
function broken(imports: Record<string, string[]>): string[] {
  return checkImportRules(graphOf(imports)).map(({ edge, rule }) => `${edge.from} -> ${edge.target}: ${rule}`);
}

describe('the rule checker', () => {
  test('flags the protocol importing the engine (the drifts issue 13 found)', () => {
    assert.deepEqual(
      broken({
        'src/protocol/recipe.ts': ['src/engine/recipe.ts'],
        'src/protocol/engineProtocol.ts': ['src/protocol/recipe.ts', 'src/engine/pipelines/phase.ts', 'src/engine/runtime/providerChoice.ts'],
        'src/engine/server/main.ts': ['src/protocol/engineProtocol.ts'],
      }),
      [
        `src/protocol/recipe.ts -> src/engine/recipe.ts: ${RULES.protocol}`,
        `src/protocol/engineProtocol.ts -> src/engine/pipelines/phase.ts: ${RULES.protocol}`,
        `src/protocol/engineProtocol.ts -> src/engine/runtime/providerChoice.ts: ${RULES.protocol}`,
      ],
    );
  });

  test('flags the protocol importing the other rooms or any package', () => {
    assert.deepEqual(
      broken({ 'src/protocol/panelProtocol.ts': ['src/extension/settings.ts', 'webview/panelState.ts', 'src/cli/main.ts', 'vscode', 'node:path'] }).length,
      5,
    );
  });

  test('flags the webview importing the engine (webview/samplers.ts and src/engine/recipe.ts)', () => {
    assert.deepEqual(broken({ 'webview/samplers.ts': ['src/protocol/panelProtocol.ts', 'src/engine/recipe.ts'] }), [
      `webview/samplers.ts -> src/engine/recipe.ts: ${RULES.webview}`,
    ]);
  });

  test('flags the webview importing the extension, vscode, Node or native packages', () => {
    assert.deepEqual(
      broken({
        'webview/main.ts': ['webview/views/view.ts', '@vscode-elements/elements', 'src/extension/settings.ts', 'vscode', 'node:fs', 'fs', 'sharp'],
      }),
      ['src/extension/settings.ts', 'vscode', 'node:fs', 'fs', 'sharp'].map((target) => `webview/main.ts -> ${target}: ${RULES.webview}`),
    );
  });

  test('flags the extension importing engine/pipelines/generationSettings, runtime/ or onnxruntime-node', () => {
    assert.deepEqual(
      broken({
        'src/extension/generationBackend.ts': ['src/engine/pipelines/generationSettings.ts', 'src/engine/runtime/providers.ts', 'onnxruntime-node'],
        'src/engine/pipelines/generationSettings.ts': [],
      }),
      ['src/engine/pipelines/generationSettings.ts', 'src/engine/runtime/providers.ts', 'onnxruntime-node'].map(
        (target) => `src/extension/generationBackend.ts -> ${target}: ${RULES.extensionOnnx}`,
      ),
    );
  });

  test('flags an engine module off the list, the webview and the CLI imported by the extension', () => {
    assert.deepEqual(
      broken({ 'src/extension/panel/panelBackend.ts': ['src/engine/server/runJob.ts', 'webview/panelState.ts', 'src/cli/progress.ts'] }),
      ['src/engine/server/runJob.ts', 'webview/panelState.ts', 'src/cli/progress.ts'].map(
        (target) => `src/extension/panel/panelBackend.ts -> ${target}: ${RULES.extension}`,
      ),
    );
  });

  test('flags a listed engine module once it reaches ONNX Runtime, and names the route', () => {
    assert.deepEqual(
      broken({
        'src/extension/generationBackend.ts': ['src/engine/models/discovery.ts'],
        'src/engine/models/discovery.ts': ['src/engine/models/modelFolder.ts'],
        'src/engine/models/modelFolder.ts': ['src/engine/text/clipTokenizer.ts', 'src/engine/runtime/sessionSignature.ts'],
        'src/engine/runtime/sessionSignature.ts': ['onnxruntime-node'],
      }),
      [
        `src/extension/generationBackend.ts -> src/engine/models/discovery.ts: ${RULES.extensionOnnx}; it reaches it through ` +
          'src/engine/models/discovery.ts → src/engine/models/modelFolder.ts → src/engine/runtime/sessionSignature.ts',
      ],
    );
    const viaPackage = graphOf({ 'src/engine/models/catalog.ts': ['src/engine/models/catalogSchema.ts'], 'src/engine/models/catalogSchema.ts': ['onnxruntime-node'] });
    assert.deepEqual(routeToOnnx(viaPackage, 'src/engine/models/catalog.ts'), [
      'src/engine/models/catalog.ts',
      'src/engine/models/catalogSchema.ts',
      'onnxruntime-node',
    ]);
  });

  test('flags the engine importing vscode, the extension, the webview or the CLI', () => {
    assert.deepEqual(
      broken({ 'src/engine/server/runJob.ts': ['src/protocol/engineProtocol.ts', 'onnxruntime-node', 'vscode', 'src/extension/settings.ts', 'webview/panelState.ts', 'src/cli/progress.ts'] }),
      ['vscode', 'src/extension/settings.ts', 'webview/panelState.ts', 'src/cli/progress.ts'].map((target) => `src/engine/server/runJob.ts -> ${target}: ${RULES.engine}`),
    );
  });

  test('passes a graph that keeps the rules', () => {
    assert.deepEqual(
      broken({
        'webview/main.ts': ['webview/panelState.ts', 'src/protocol/panelProtocol.ts', '@vscode-elements/elements'],
        'src/protocol/panelProtocol.ts': ['src/protocol/recipe.ts'],
        'src/extension/extension.ts': ['vscode', 'sharp', 'node:path', 'src/protocol/engineProtocol.ts', 'src/engine/models/catalog.ts', 'src/engine/errors.ts'],
        'src/engine/models/catalog.ts': ['src/engine/models/catalogSchema.ts', 'node:fs'],
        'src/engine/server/main.ts': ['src/protocol/engineProtocol.ts', 'src/engine/runtime/providers.ts', 'onnxruntime-node', 'sharp'],
        'src/cli/main.ts': ['src/engine/engine.ts', 'src/engine/pipelines/textToImage.ts'],
      }),
      [],
    );
  });

  test('says which file, which import and which rule', () => {
    const [violation] = checkImportRules(graphOf({ 'webview/samplers.ts': ['src/engine/recipe.ts'] }));
    assert.equal(
      describeViolation({ ...violation!, edge: { ...violation!.edge, specifier: '../src/engine/recipe', line: 3 } }),
      `webview/samplers.ts:3 imports '../src/engine/recipe' (import): ${RULES.webview}`,
    );
  });
});

describe('readImportGraph', () => {
  const root = tempFolder('sdxl-import-graph');
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } }),
    'src/protocol/recipe.ts': "export type Phase = 'denoise';\n",
    'src/engine/errors.ts': 'export class EngineError extends Error {}\n',
    'src/engine/index.ts': "export * from './errors';\n",
    'src/protocol/kinds.ts': [
      "import type { EngineError } from '../engine/errors';",
      "export { EngineError as E } from '../engine';",
      "export type Phase = import('../engine/errors').EngineError;",
      "export const later = () => import('../engine/errors');",
      "const cjs = require('../engine/errors');",
      "import old = require('vscode');",
      "const where = require.resolve('onnxruntime-node');",
      "import { join } from 'node:path';",
      "import { Button } from '@vscode-elements/elements/dist/main.js';",
      'export { cjs, old, where, join, Button };',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }

  test('counts type-only imports, re-exports, import(), require and import types; not require.resolve', () => {
    const graph = readImportGraph(root, ['src']);
    assert.deepEqual(
      graph.get('src/protocol/kinds.ts')!.map(({ kind, target, line, external }) => `${line} ${kind} ${target}${external ? ' (package)' : ''}`),
      [
        '1 import type src/engine/errors.ts',
        '2 export from src/engine/index.ts',
        '3 type import() src/engine/errors.ts',
        '4 import() src/engine/errors.ts',
        '5 require src/engine/errors.ts',
        '6 import = require vscode (package)',
        '8 import node:path (package)',
        '9 import @vscode-elements/elements (package)',
      ],
    );
    assert.deepEqual(
      checkImportRules(graph).map(describeViolation),
      [
        `src/protocol/kinds.ts:1 imports '../engine/errors' (import type): ${RULES.protocol}`,
        `src/protocol/kinds.ts:2 imports '../engine' (export from): ${RULES.protocol}`,
        `src/protocol/kinds.ts:3 imports '../engine/errors' (type import()): ${RULES.protocol}`,
        `src/protocol/kinds.ts:4 imports '../engine/errors' (import()): ${RULES.protocol}`,
        `src/protocol/kinds.ts:5 imports '../engine/errors' (require): ${RULES.protocol}`,
        `src/protocol/kinds.ts:6 imports 'vscode' (import = require): ${RULES.protocol}`,
        `src/protocol/kinds.ts:8 imports 'node:path' (import): ${RULES.protocol}`,
        `src/protocol/kinds.ts:9 imports '@vscode-elements/elements/dist/main.js' (import): ${RULES.protocol}`,
      ],
    );
  });
});

describe('the import graph of src/ and webview/', () => {
  const graph = readImportGraph(repoRoot, ['src', 'webview']);

  test('is read whole: every room is there and every relative import resolves to a file', () => {
    for (const room of ['src/protocol/', 'src/engine/', 'src/extension/', 'src/cli/', 'webview/']) {
      assert.ok([...graph.keys()].some((file) => file.startsWith(room)), `no files read under ${room}`);
    }
    const edges = [...graph.values()].flat();
    assert.ok(edges.filter((edge) => !edge.external).length > 300, `only ${edges.length} imports read`);
    const unresolved = edges.filter((edge) => !edge.external && !existsSync(join(repoRoot, edge.target)));
    assert.deepEqual(unresolved.map((edge) => `${edge.from}:${edge.line} ${edge.specifier}`), []);
  });

  test('keeps every import rule of DESIGN.md', () => {
    const violations = checkImportRules(graph).map(describeViolation);
    assert.deepEqual(violations, [], `\n${violations.join('\n')}`);
  });

  test("each engine module on the extension's list exists and never reaches ONNX Runtime", () => {
    for (const entry of EXTENSION_ENGINE_MODULES) {
      assert.ok([...graph.keys()].some((file) => file === entry || (entry.endsWith('/') && file.startsWith(entry))), `${entry} matches no file`);
    }
    const routes = [...graph.keys()]
      .filter(isExtensionEngineModule)
      .map((file) => routeToOnnx(graph, file)?.join(' → '))
      .filter((route) => route !== undefined);
    assert.deepEqual(routes, []);
  });
});

describe('the extension bundle', () => {
  test('never loads onnxruntime-node (finding its folder with require.resolve loads nothing)', async () => {
    const result = await build({
      entryPoints: [join(repoRoot, 'src/extension/extension.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['onnxruntime-node', 'sharp', 'vscode'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const loads = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.path.startsWith('onnxruntime-node') && i.kind !== 'require-resolve').map((i) => `${file}: ${i.kind} ${i.path}`),
    );
    assert.deepEqual(loads, []);
    const text = result.outputFiles[0]!.text;
    assert.doesNotMatch(text, /(require|import)\(\s*["']onnxruntime-node/);
    assert.ok(Object.keys(result.metafile.inputs).some((file) => file.endsWith('src/extension/extension.ts')), 'the bundle holds no extension code');
  });
});
