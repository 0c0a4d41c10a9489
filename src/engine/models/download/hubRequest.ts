import { EngineError } from '../../errors';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
const MAX_REDIRECTS = 10;

export interface HubConnection {
  /** The Hub's base URL, e.g. https://huggingface.co or a mirror (HF_ENDPOINT). */
  endpoint: string;
  token?: string;
  /** How the user adds a token where this runs: the CLI names HF_TOKEN, the extension its command. */
  tokenHint: string;
}

/** HF_ENDPOINT as huggingface_hub reads it, without a trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/**
 * A GET that follows redirects itself rather than leaving them to fetch: a Range header must
 * reach the final host unchanged, and the token may go only to the Hub, never to the storage
 * host a file redirects to (its signed URL is the credential there).
 */
export async function hubGet(
  hub: HubConnection,
  url: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const hubOrigin = new URL(hub.endpoint).origin;
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { ...options.headers };
    if (hub.token && current.origin === hubOrigin) headers.authorization = `Bearer ${hub.token}`;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: 'manual', signal: options.signal ?? null });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new NetworkError(`Cannot reach ${current.host}: ${causeText(error)}`);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current);
      continue;
    }
    return response;
  }
  throw new EngineError(`Too many redirects fetching ${url}.`, 'download');
}

/** A failure worth trying again: the connection, or the server for a moment. */
export class NetworkError extends EngineError {
  constructor(message: string) {
    super(message, 'download');
    this.name = 'NetworkError';
  }
}

/** The Hub refused the token, or the lack of one: the host offers a way to set one. */
export class AccessDeniedError extends EngineError {
  constructor(message: string) {
    super(message, 'download');
    this.name = 'AccessDeniedError';
  }
}

/**
 * The error for a response that is not the file or listing asked for. The Hub names the cause
 * in X-Error-Code; 401 and 403 from the Hub itself mean the repository is gated or private and
 * this token (or no token) may not read it.
 */
export async function hubResponseError(hub: HubConnection, response: Response, repo: string, what: string): Promise<EngineError> {
  const code = response.headers.get('x-error-code');
  const serverMessage = response.headers.get('x-error-message') ?? (await response.text().catch(() => '')).slice(0, 200);
  if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
  const status = `HTTP ${response.status}${code ? ` ${code}` : ''}`;
  const fromStorage = response.url !== '' && new URL(response.url).origin !== new URL(hub.endpoint).origin;
  if (fromStorage && (response.status === 401 || response.status === 403)) {
    // A signed storage link that expired while a download waited: resolving again signs a new one.
    return new NetworkError(`The storage host refused ${what} (${status}); asking the Hub for a new link.`);
  }
  if (response.status === 401 || response.status === 403) {
    const page = `${hub.endpoint}/${repo}`;
    const fix = hub.token
      ? `the token in use may not read it: accept the model's terms at ${page} with the account of that token, or use a token with read access (${hub.tokenHint})`
      : `accept the model's terms at ${page}, then add a Hugging Face access token with read access (${hub.tokenHint})`;
    return new AccessDeniedError(`${repo} is gated or private (${status}): ${fix}.`);
  }
  if (response.status === 404) {
    return new EngineError(`${what} was not found on ${hub.endpoint} (${status}${serverMessage ? `: ${serverMessage}` : ''}).`, 'download');
  }
  if (response.status >= 500 || response.status === 429) {
    return new NetworkError(`${hub.endpoint} answered ${status} for ${what}; try again later.`);
  }
  return new EngineError(`${what}: unexpected ${status}${serverMessage ? ` (${serverMessage})` : ''}.`, 'download');
}

/** The system's reason behind a failed fetch (ECONNRESET, ENOTFOUND…), which fetch wraps as "fetch failed" or "terminated". */
export function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
