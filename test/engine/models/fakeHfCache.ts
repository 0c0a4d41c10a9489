// Lays out a model the way huggingface_hub caches it: the bytes in blobs/ named by their hash,
// snapshots/{commit}/… made of relative symlinks into blobs/, and refs/main naming the commit.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Moves the files of `modelDir` into a cache snapshot of `repo` (under `prefix`, if given); returns the snapshot folder. */
export function cacheModel(hubDir: string, repo: string, commit: string, modelDir: string, prefix = ''): string {
  const repoDir = join(hubDir, `models--${repo.replace('/', '--')}`);
  const snapshot = join(repoDir, 'snapshots', commit);
  for (const file of walk(modelDir)) {
    const content = readFileSync(file);
    const blob = join(repoDir, 'blobs', createHash('sha256').update(content).digest('hex'));
    mkdirSync(dirname(blob), { recursive: true });
    renameSync(file, blob);
    const link = join(snapshot, prefix, relative(modelDir, file));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), blob), link);
  }
  rmSync(modelDir, { recursive: true, force: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  return snapshot;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
