import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackendEventMessages, pngDataUrl } from '../../src/extension/panel/backendEventMessages';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/panel/webviewHtml';

describe('panel host: backend events to panel messages', () => {
  const src = (path: string) => `https://file+.vscode-resource.vscode-cdn.net${path}`;

  test('phases and steps arrive as one progress message carrying both', () => {
    const messages = new BackendEventMessages(src);
    assert.deepEqual(messages.translate({ type: 'phase', jobId: 'j', phase: 'load' }), {
      type: 'progress', jobId: 'j', step: 0, total: 0, itPerSecond: 0, etaSeconds: 0, phase: 'load',
    });
    messages.translate({ type: 'phase', jobId: 'j', phase: 'denoise' });
    const step = messages.translate({ type: 'progress', jobId: 'j', step: 7, total: 30, itPerSecond: 2.1, etaSeconds: 11 });
    assert.deepEqual(step, {
      type: 'progress', jobId: 'j', step: 7, total: 30, itPerSecond: 2.1, etaSeconds: 11, phase: 'denoise',
    });
    assert.deepEqual(messages.translate({ type: 'phase', jobId: 'j', phase: 'decode' }), {
      type: 'progress', jobId: 'j', step: 7, total: 30, itPerSecond: 2.1, etaSeconds: 11, phase: 'decode',
    });
  });

  test('a job that ends forgets its progress', () => {
    const messages = new BackendEventMessages(src);
    messages.translate({ type: 'progress', jobId: 'j', step: 7, total: 30, itPerSecond: 2, etaSeconds: 11 });
    messages.translate({ type: 'jobCancelled', jobId: 'j' });
    const next = messages.translate({ type: 'phase', jobId: 'j', phase: 'load' });
    assert.equal(next?.type === 'progress' && next.step, 0);
  });

  test('previews become PNG data URLs and finished files webview URIs', () => {
    const messages = new BackendEventMessages(src);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    assert.deepEqual(messages.translate({ type: 'preview', jobId: 'j', png }), {
      type: 'preview', jobId: 'j', dataUrl: 'data:image/png;base64,iVBORw==',
    });
    const file = { path: '/ws/assets/fox.png', relativePath: 'assets/fox.png', modifiedMs: 5 };
    assert.deepEqual(messages.translate({ type: 'jobDone', jobId: 'j', file }), {
      type: 'jobDone', jobId: 'j', item: { ...file, src: src('/ws/assets/fox.png') },
    });
  });

  test('a preview that is a view into a larger buffer encodes only its own bytes', () => {
    const buffer = new Uint8Array([1, 2, 0x89, 0x50, 0x4e, 0x47, 3]);
    assert.equal(pngDataUrl(buffer.subarray(2, 6)), 'data:image/png;base64,iVBORw==');
  });

  test('events needing a fresh read are left to the panel', () => {
    const messages = new BackendEventMessages(src);
    assert.equal(messages.translate({ type: 'galleryChanged' }), undefined);
    assert.equal(messages.translate({ type: 'modelsChanged' }), undefined);
    assert.deepEqual(messages.translate({ type: 'queue', items: [] }), { type: 'queue', items: [] });
  });
});

describe('panel host: page', () => {
  test('the CSP runs only the nonce-tagged script and loads only local files and data: previews', () => {
    assert.equal(
      contentSecurityPolicy('https://*.vscode-cdn.net', 'abc'),
      "default-src 'none'; img-src https://*.vscode-cdn.net data:; style-src https://*.vscode-cdn.net; " +
        "font-src https://*.vscode-cdn.net; script-src 'nonce-abc'",
    );
  });

  test('the page links the bundle with the nonce and the codicon sheet by the id vscode-elements looks for', () => {
    const html = webviewHtml({
      cspSource: 'https://cdn',
      nonce: 'n0nce',
      scriptUri: 'https://cdn/main.js',
      styleUri: 'https://cdn/main.css',
      codiconUri: 'https://cdn/codicon.css',
    });
    assert.match(html, /<script nonce="n0nce" src="https:\/\/cdn\/main.js"><\/script>/);
    assert.match(html, /id="vscode-codicon-stylesheet" href="https:\/\/cdn\/codicon.css"/);
    assert.doesNotMatch(html, /unsafe-inline|style="/);
  });
});
