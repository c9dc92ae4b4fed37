import { createHash } from 'node:crypto';

/** sha256 of a string (its UTF-8 bytes) or of bytes, as lowercase hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
