export interface WebviewPage {
  /** `webview.cspSource`: where the page may load its own files from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
}

/**
 * Nothing but the bundled script runs, and styles, fonts and images come only from the
 * extension and the workspace folders. Preview frames arrive as `data:` PNGs. No
 * 'unsafe-inline' for styles: vscode-elements styles its shadow roots with constructed
 * stylesheets and sets element styles through the CSSOM, neither of which CSP governs.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The page shell; webview/main.ts builds everything inside #app. The codicon sheet carries
 * the id that vscode-elements' icons look for, to link the font into their shadow roots.
 */
export function webviewHtml(page: WebviewPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(page.cspSource, page.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${page.codiconUri}">
  <link rel="stylesheet" href="${page.styleUri}">
  <title>Generate Image</title>
</head>
<body>
  <main id="app" data-testid="generate-panel"></main>
  <script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}
