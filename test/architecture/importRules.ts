import { isNodeBuiltin, type ImportEdge, type ImportGraph } from '../support/importGraph';

/**
 * The engine modules the extension host may import (a folder ends with `/`). Each was read
 * for what it imports transitively and none reaches ONNX Runtime; the tests check that this
 * stays so for every file these entries cover.
 */
export const EXTENSION_ENGINE_MODULES = [
  // The catalog, model discovery, model folder reading and downloads; not models/ as a whole,
  // where float16 conversion may run on ONNX Runtime's code.
  'src/engine/models/catalog.ts',
  'src/engine/models/discovery.ts',
  'src/engine/models/hfCache.ts',
  'src/engine/models/modelFolder.ts',
  'src/engine/models/modelStore.ts',
  // The matting models' catalog list and folder reading (a JSON file and a path check), for a transparent background.
  'src/engine/models/mattingCatalog.ts',
  'src/engine/models/mattingFolder.ts',
  // Each family's defaults and a job's settings, from the model folder alone.
  'src/engine/models/generationSettings.ts',
  'src/engine/models/download/',
  // Recipe reading, an init image's size, and the output file names.
  'src/engine/image/recipeMetadata.ts',
  'src/engine/image/a1111Parameters.ts',
  'src/engine/image/readInputImage.ts',
  'src/engine/image/fileNames.ts',
  // Installs ONNX Runtime's CUDA provider files; it finds onnxruntime-node's folder with
  // require.resolve and never loads it.
  'src/engine/cuda/',
  'src/engine/errors.ts',
  // The palette file parser of pixel art (.hex, .gpl), so the panel's "Choose palette file…" reads a file as --palette does.
  'src/engine/finish/paletteFile.ts',
  // The assets manifest: parsing, the lock, model file hashes and staleness, shared with the CLI's build.
  'src/engine/manifest/',
];

export const RULES = {
  webview: 'webview/ imports only src/protocol/ (the panel runs in the browser: no vscode, Node or native packages)',
  protocol: 'src/protocol/ imports nothing from src/engine/, src/extension/, src/cli/, webview/ or any package',
  extension: `src/extension/ imports only src/protocol/ and the engine modules that never load ONNX Runtime (${EXTENSION_ENGINE_MODULES.join(', ')})`,
  extensionOnnx: 'src/extension/ never loads ONNX Runtime: no src/engine/runtime/, src/engine/pipelines/ or onnxruntime-node, directly or through another module',
  engine: 'src/engine/ never imports vscode, src/extension/, webview/ or src/cli/',
} as const;

export interface Violation {
  edge: ImportEdge;
  rule: string;
}

export function describeViolation({ edge, rule }: Violation): string {
  return `${edge.from}:${edge.line} imports '${edge.specifier}' (${edge.kind}): ${rule}`;
}

const under = (target: string, ...folders: string[]): boolean => folders.some((folder) => target.startsWith(folder));

/** Whether a module is ONNX work in itself: the runtime and pipeline folders, and ONNX Runtime. */
function isOnnx(edge: ImportEdge): boolean {
  return edge.external ? edge.target === 'onnxruntime-node' : under(edge.target, 'src/engine/runtime/', 'src/engine/pipelines/');
}

export function isExtensionEngineModule(file: string): boolean {
  return EXTENSION_ENGINE_MODULES.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));
}

/**
 * The shortest chain of imports from `file` to ONNX work (`a.ts → b.ts → onnxruntime-node`),
 * or undefined when there is none.
 */
export function routeToOnnx(graph: ImportGraph, file: string): string[] | undefined {
  const cameFrom = new Map<string, string[]>([[file, [file]]]);
  const queue = [file];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const edge of graph.get(next) ?? []) {
      const route = [...cameFrom.get(next)!, edge.target];
      if (isOnnx(edge)) return route;
      if (!edge.external && !cameFrom.has(edge.target)) {
        cameFrom.set(edge.target, route);
        queue.push(edge.target);
      }
    }
  }
  return undefined;
}

function webviewProblem(edge: ImportEdge): string | undefined {
  if (edge.external) {
    const forbidden = edge.target === 'vscode' || edge.target === 'onnxruntime-node' || edge.target === 'sharp' || isNodeBuiltin(edge.target);
    return forbidden ? RULES.webview : undefined;
  }
  return under(edge.target, 'webview/', 'src/protocol/') ? undefined : RULES.webview;
}

function protocolProblem(edge: ImportEdge): string | undefined {
  return edge.external || !under(edge.target, 'src/protocol/') ? RULES.protocol : undefined;
}

function extensionProblem(graph: ImportGraph, edge: ImportEdge): string | undefined {
  if (isOnnx(edge)) return RULES.extensionOnnx;
  if (edge.external || under(edge.target, 'src/extension/', 'src/protocol/')) return undefined;
  if (!isExtensionEngineModule(edge.target)) return RULES.extension;
  const route = routeToOnnx(graph, edge.target);
  return route ? `${RULES.extensionOnnx}; it reaches it through ${route.join(' → ')}` : undefined;
}

function engineProblem(edge: ImportEdge): string | undefined {
  const forbidden = edge.external ? edge.target === 'vscode' : under(edge.target, 'src/extension/', 'webview/', 'src/cli/');
  return forbidden ? RULES.engine : undefined;
}

/** Every import in the graph that breaks a rule of DESIGN.md, in file order. */
export function checkImportRules(graph: ImportGraph): Violation[] {
  const violations: Violation[] = [];
  for (const [file, edges] of graph) {
    for (const edge of edges) {
      const rule = under(file, 'webview/')
        ? webviewProblem(edge)
        : under(file, 'src/protocol/')
          ? protocolProblem(edge)
          : under(file, 'src/extension/')
            ? extensionProblem(graph, edge)
            : under(file, 'src/engine/')
              ? engineProblem(edge)
              : undefined;
      if (rule) violations.push({ edge, rule });
    }
  }
  return violations;
}
