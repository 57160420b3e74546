// SHA-256 and Ed25519 verification with WebCrypto; @noble/ed25519 where the browser lacks Ed25519.
import { BundleError } from './errors.mjs';
import { signedBytes } from './canonical.mjs';

const subtle = () => globalThis.crypto && globalThis.crypto.subtle;

export async function sha256Hex(bytes) {
  const d = new Uint8Array(await subtle().digest('SHA-256', bytes));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let webCryptoEd25519 = null; // null: not probed yet
async function verifyEd25519(pub, sig, msg) {
  if (webCryptoEd25519 !== false) {
    try {
      const key = await subtle().importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
      webCryptoEd25519 = true;
      return await subtle().verify({ name: 'Ed25519' }, key, sig, msg);
    } catch (e) {
      if (webCryptoEd25519 === true) throw e;
      webCryptoEd25519 = false; // NotSupportedError and the like: use the fallback from now on
    }
  }
  const ed = await import('@noble/ed25519');
  return ed.verifyAsync(sig, msg, pub);
}
export function _forceEd25519Fallback(on) { webCryptoEd25519 = on ? false : null; }

// Checks manifest.signature against the configured raw public key (base64 string or 32 bytes).
export async function verifyManifestSignature(manifest, publicKey) {
  const pub = typeof publicKey === 'string' ? base64ToBytes(publicKey) : new Uint8Array(publicKey);
  if (pub.length !== 32) throw new BundleError('BadSignature', `configured public key is ${pub.length} bytes, want 32`);
  const sig = manifest.signature;
  if (!sig || typeof sig !== 'object') throw new BundleError('BadSignature', `manifest ${manifest.name}@${manifest.version} is not signed`);
  if (sig.alg !== 'Ed25519') throw new BundleError('BadSignature', `signature alg "${sig.alg}" is not Ed25519`);
  const keyId = (await sha256Hex(pub)).slice(0, 16);
  if (sig.key_id !== keyId) throw new BundleError('BadSignature', `manifest signed by key ${sig.key_id}, configured key is ${keyId}`);
  let value;
  try { value = base64ToBytes(sig.value); } catch { value = new Uint8Array(0); }
  if (value.length !== 64) throw new BundleError('BadSignature', 'signature value is not 64 bytes of base64');
  if (!(await verifyEd25519(pub, value, signedBytes(manifest)))) {
    throw new BundleError('BadSignature', `signature of ${manifest.name}@${manifest.version} does not verify`);
  }
}
