export { BundleError } from './errors.mjs';
export { canonicalJson, signedBytes } from './canonical.mjs';
export { parseSemver, compareSemver, satisfiesRange } from './semver.mjs';
export { sha256Hex, verifyManifestSignature } from './crypto.mjs';
export { validateManifest } from './manifest.mjs';
export { openModelStore, ModelStore, fetchManifest, indexedDBAvailable, DB_NAME } from './store.mjs';
export { loadBundle, fetchBundleDirect } from './load.mjs';
