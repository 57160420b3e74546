// Structural checks of a schema-1 manifest (docs/BUNDLE_FORMAT.md) before anything is downloaded.
import { BundleError } from './errors.mjs';
import { parseSemver } from './semver.mjs';
import { canonicalJson } from './canonical.mjs';

const HEX64 = /^[0-9a-f]{64}$/;

export function validateManifest(m) {
  const bad = (msg) => { throw new BundleError('BadManifest', msg); };
  if (!m || typeof m !== 'object' || Array.isArray(m)) bad('manifest is not a JSON object');
  if (m.schema !== 1) bad(`manifest schema ${m.schema} is not supported (want 1)`);
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(m.name)) bad(`bad model name "${m.name}"`);
  parseSemver(m.version);
  if (m.channel !== 'stable' && m.channel !== 'beta') bad(`bad channel "${m.channel}"`);
  if (typeof m.runtime !== 'string') bad('runtime range missing');
  canonicalJson(m); // integers only, everywhere
  const p = m.payload;
  if (!p || !Number.isSafeInteger(p.size) || p.size < 0 || !HEX64.test(p.sha256 || '')) bad('bad payload {size, sha256}');
  if (!Array.isArray(m.chunks)) bad('chunks is not an array');
  let off = 0;
  m.chunks.forEach((c, i) => {
    if (!c || !HEX64.test(c.sha256 || '')) bad(`chunk ${i}: bad sha256`);
    if (!Number.isSafeInteger(c.size) || c.size <= 0) bad(`chunk ${i}: bad size ${c.size}`);
    if (c.offset !== off) bad(`chunk ${i}: offset ${c.offset}, want ${off} (chunks must be contiguous)`);
    off += c.size;
  });
  if (off !== p.size) bad(`chunk sizes sum to ${off}, payload.size is ${p.size}`);
  const r = m.rollout;
  if (r !== undefined && (!r || !Number.isSafeInteger(r.percent) || r.percent < 0 || r.percent > 100)) bad('bad rollout.percent');
  return m;
}
