import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

/** How a file reaches another; every kind counts, since each one makes the bundler follow the edge. */
export type ImportKind = 'import' | 'import type' | 'export from' | 'import()' | 'require' | 'import = require' | 'type import()';

export interface ImportEdge {
  /** The importing file, relative to the repository root, with `/` separators. */
  from: string;
  /** The text between the quotes. */
  specifier: string;
  /** A repository path (`src/engine/errors.ts`) for a relative specifier, otherwise the package name (`vscode`, `node:fs`). */
  target: string;
  /** Whether the target is a package rather than a repository path. */
  external: boolean;
  line: number;
  kind: ImportKind;
}

/** Every source file's imports, keyed by the file's repository path. */
export type ImportGraph = Map<string, ImportEdge[]>;

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const NODE_BUILTINS = new Set(builtinModules);

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function isNodeBuiltin(target: string): boolean {
  return target.startsWith('node:') || NODE_BUILTINS.has(target);
}

function sourceFiles(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => SOURCE.test(name) && !name.endsWith('.d.ts'))
    .map((name) => join(folder, name).split(sep).join('/'));
}

function specifiersOf(source: ts.SourceFile): { specifier: string; node: ts.Node; kind: ImportKind }[] {
  const found: { specifier: string; node: ts.Node; kind: ImportKind }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, node, kind: node.importClause?.isTypeOnly ? 'import type' : 'import' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, node, kind: 'export from' });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, node, kind: 'import = require' });
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const argument = node.arguments[0].text;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) found.push({ specifier: argument, node, kind: 'import()' });
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') found.push({ specifier: argument, node, kind: 'require' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, node, kind: 'type import()' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Reads the imports of every TypeScript file under `folders` with the TypeScript parser and
 * resolves relative ones the way tsconfig.json's module resolution does. `require.resolve`
 * is not an import: it finds a path without loading the module.
 */
export function readImportGraph(root: string, folders: string[]): ImportGraph {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const graph: ImportGraph = new Map();
  for (const file of folders.flatMap((folder) => sourceFiles(root, folder))) {
    const path = join(root, file);
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const edges = specifiersOf(source).map(({ specifier, node, kind }): ImportEdge => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      if (!specifier.startsWith('.')) return { from: file, specifier, target: packageName(specifier), external: true, line, kind };
      const resolved = ts.resolveModuleName(specifier, path, options, ts.sys).resolvedModule?.resolvedFileName;
      // An unresolvable path still names the folder it points into, which is what the rules read.
      const target = relative(root, resolved ?? join(dirname(path), `${specifier}.ts`)).split(sep).join('/');
      return { from: file, specifier, target, external: false, line, kind };
    });
    graph.set(file, edges);
  }
  return graph;
}
