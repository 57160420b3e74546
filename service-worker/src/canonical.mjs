// Canonical manifest bytes (docs/BUNDLE_FORMAT.md): keys sorted by UTF-16 code units, no whitespace,
// strings as JSON.stringify escapes them, integers only (RFC 8785 restricted to integers).
import { BundleError } from './errors.mjs';

export function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new BundleError('BadManifest', `manifest holds a number that is not an integer within 2^53: ${value}`);
    }
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',') + '}';
  }
  throw new BundleError('BadManifest', `manifest holds a value of type ${typeof value}`);
}

// The bytes the signature covers: the manifest without its `signature` field, canonical, UTF-8.
export function signedBytes(manifest) {
  const { signature, ...rest } = manifest;
  return new TextEncoder().encode(canonicalJson(rest));
}
