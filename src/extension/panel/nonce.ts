import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce for each page load: only the script tagged with it may run. */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}
