import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EngineError } from '../../../src/engine/errors';
import { findCatalogEntry, loadCatalog } from '../../../src/engine/models/catalog';
import { parseCatalog } from '../../../src/engine/models/catalogSchema';
import { repoRoot } from '../../support/shared';
import { tempFolder } from '../../support/tempFolder';
import { tinyEntry } from './fakeHub';

const work = tempFolder('sdxl-catalog');

function rejects(value: unknown, message: RegExp): void {
  assert.throws(
    () => parseCatalog(value, 'test.json'),
    (error: unknown) => error instanceof EngineError && message.test(error.message),
  );
}

const withEntry = (overrides: Record<string, unknown>) => ({ version: 1, models: [{ ...tinyEntry(), ...overrides }] });

describe('the model catalog', () => {
  test('models.json validates and holds the two Optimum-layout SDXL repositories', () => {
    const catalog = loadCatalog({});
    assert.deepEqual(catalog.map((e) => e.id), ['sdxl-turbo', 'sdxl-base-1.0']);
    const turbo = findCatalogEntry(catalog, 'sdxl-turbo')!;
    assert.equal(turbo.repo, 'stabilityai/sdxl-turbo');
    assert.equal(turbo.licence.nonCommercial, true);
    assert.deepEqual(turbo.recommended, { width: 512, height: 512, steps: 1, guidance: 0, sampler: 'euler-a', timestepSpacing: 'trailing' });
    const base = findCatalogEntry(catalog, 'sdxl-base-1.0')!;
    assert.equal(base.repo, 'stabilityai/stable-diffusion-xl-base-1.0');
    assert.equal(base.licence.name, 'CreativeML Open RAIL++-M');
    assert.equal(base.recommended.width, 1024);
    for (const entry of catalog) {
      assert.match(entry.revision, /^[0-9a-f]{40}$/, `${entry.id} pins a commit`);
      assert.ok(entry.subfolders.includes('unet') && entry.exclude.includes('*.safetensors'));
    }
  });

  test('every bundled entry says which stored Hub page confirmed its pin, and links the licence at that pin', () => {
    for (const entry of loadCatalog({})) {
      const checked = entry.checked;
      assert.ok(checked, `${entry.id} records where its facts were checked`);
      assert.ok(
        checked.pages.some((page) => page.url.includes(`/${entry.repo}/`) && page.url.includes(entry.revision)),
        `${entry.id}: a page of ${entry.repo} at ${entry.revision} confirms the pin`,
      );
      for (const folder of entry.subfolders) {
        assert.ok(checked.pages.some((page) => page.url.includes(`/${folder}`)), `${entry.id}: a page lists ${folder}`);
      }
      assert.ok(entry.licence.url.startsWith(`https://huggingface.co/${entry.repo}/blob/${entry.revision}/`), `${entry.id}: licence at the pin`);
    }
    // At the pin the licence file is LICENSE.md; LICENSE.TXT is its name in older commits (cf0e5cb, b0ff6e8).
    assert.match(findCatalogEntry(loadCatalog({}), 'sdxl-turbo')!.licence.url, /\/LICENSE\.md$/);
  });

  test('the record of checks is validated, and repositories left out need a reason and Hub pages', () => {
    const checked = { date: '2026-12-05', pages: [{ url: 'https://huggingface.co/test-org/tiny-sdxl/tree/main', confirms: 'the files' }] };
    assert.deepEqual(parseCatalog(withEntry({ checked }), 'test.json')[0]!.checked, { ...checked, unconfirmed: [] });
    rejects(withEntry({ checked: { ...checked, date: '5 Dec' } }), /entry "tiny-sdxl", field "checked\.date" must be a day, YYYY-MM-DD/);
    rejects(withEntry({ checked: { ...checked, pages: [] } }), /field "checked\.pages" must be a non-empty array/);
    rejects(
      withEntry({ checked: { ...checked, pages: [{ url: 'https://example.com/tree', confirms: 'x' }] } }),
      /field "checked\.pages\[0\]\.url" must be a https:\/\/huggingface\.co\/ page/,
    );
    rejects(withEntry({ checked: { ...checked, unconfirmed: [''] } }), /field "checked\.unconfirmed" must be an array of non-empty strings/);
    const leftOut = { repo: 'org/other', reason: 'CUDA only', pages: ['https://huggingface.co/org/other'] };
    assert.doesNotThrow(() => parseCatalog({ ...withEntry({}), notListed: [leftOut] }, 'test.json'));
    rejects({ ...withEntry({}), notListed: [{ ...leftOut, reason: '' }] }, /notListed\[0\], field "reason" must be a non-empty string/);
    rejects({ ...withEntry({}), notListed: [{ ...leftOut, pages: ['http://x'] }] }, /notListed\[0\], field "pages" holds "http:\/\/x"/);
  });

  test('SDXL_ASSETS_CATALOG names another catalog file', () => {
    const path = join(work, 'other.json');
    writeFileSync(path, JSON.stringify({ version: 1, models: [tinyEntry()] }));
    assert.deepEqual(loadCatalog({ SDXL_ASSETS_CATALOG: path }).map((e) => e.id), ['tiny-sdxl']);
    writeFileSync(path, '{ not json');
    assert.throws(() => loadCatalog({ SDXL_ASSETS_CATALOG: path }), /Model catalog .*other\.json is not valid JSON/);
    assert.throws(() => loadCatalog({ SDXL_ASSETS_CATALOG: join(work, 'missing.json') }), /Cannot read the model catalog SDXL_ASSETS_CATALOG=.*missing\.json/);
  });

  test('errors name the entry and the field', () => {
    rejects([], /test\.json: the top level must be an object/);
    rejects({ version: 2, models: [] }, /"version" must be 1, got 2/);
    rejects({ version: 1, models: [] }, /"models" must be a non-empty array/);
    rejects(withEntry({ repo: 'no-slash' }), /entry "tiny-sdxl", field "repo" must be "org\/name", got "no-slash"/);
    rejects(withEntry({ family: 'flux' }), /entry "tiny-sdxl", field "family" must be one of sdxl, sdxl-turbo/);
    rejects(withEntry({ sizeBytes: -1 }), /field "sizeBytes" must be a whole number from 1/);
    rejects(withEntry({ subfolders: ['unet', '../etc'] }), /field "subfolders" holds "\.\.\/etc", which is not a relative path inside the repository/);
    rejects(withEntry({ pathPrefix: '/abs' }), /field "pathPrefix" must be a relative path/);
    rejects(withEntry({ licence: { name: 'x', url: 'http://insecure', nonCommercial: false } }), /field "licence\.url" must be an https URL/);
    rejects(withEntry({ licence: { name: 'x', url: 'https://x' } }), /field "licence\.nonCommercial" must be true or false, got nothing/);
    rejects(withEntry({ recommended: { ...tinyEntry().recommended, sampler: 'heun' } }), /field "recommended\.sampler" must be one of euler, euler-a/);
    rejects(withEntry({ id: 'Bad Id' }), /entry "Bad Id", field "id" must be lower-case letters/);
    const { displayName: _dropped, ...noName } = tinyEntry();
    rejects({ version: 1, models: [noName] }, /entry "tiny-sdxl", field "displayName" must be a non-empty string, got nothing/);
    rejects({ version: 1, models: [tinyEntry(), tinyEntry()] }, /entry "tiny-sdxl" appears twice/);
  });

  test('models.json is the file the loader bundles', () => {
    const onDisk = parseCatalog(JSON.parse(readFileSync(join(repoRoot, 'models.json'), 'utf8')), 'models.json');
    assert.deepEqual(loadCatalog({}), onDisk);
  });
});
