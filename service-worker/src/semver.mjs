// SemVer 2.0 parsing, precedence, and the manifest `runtime` range (comparators separated by spaces).
import { BundleError } from './errors.mjs';

const RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function parseSemver(s) {
  const m = RE.exec(String(s));
  if (!m) throw new BundleError('BadManifest', `not a SemVer version: "${s}"`);
  return { major: +m[1], minor: +m[2], patch: +m[3], pre: m[4] ? m[4].split('.') : [] };
}

export function compareSemver(a, b) {
  const x = typeof a === 'string' ? parseSemver(a) : a;
  const y = typeof b === 'string' ? parseSemver(b) : b;
  for (const k of ['major', 'minor', 'patch']) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
  if (!x.pre.length || !y.pre.length) return x.pre.length === y.pre.length ? 0 : (x.pre.length ? -1 : 1);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    if (i >= x.pre.length) return -1;
    if (i >= y.pre.length) return 1;
    const p = x.pre[i], q = y.pre[i];
    const pn = /^\d+$/.test(p), qn = /^\d+$/.test(q);
    if (pn && qn) { if (+p !== +q) return +p < +q ? -1 : 1; }
    else if (pn !== qn) return pn ? -1 : 1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export function satisfiesRange(version, range) {
  const v = parseSemver(version);
  const parts = String(range).split(' ');
  if (!range || parts.some((p) => !p)) throw new BundleError('BadManifest', `bad runtime range "${range}"`);
  return parts.every((p) => {
    const m = /^(>=|<=|>|<|=)(.+)$/.exec(p);
    if (!m) throw new BundleError('BadManifest', `bad comparator "${p}" in runtime range "${range}"`);
    const c = compareSemver(v, parseSemver(m[2]));
    switch (m[1]) {
      case '>=': return c >= 0;
      case '<=': return c <= 0;
      case '>': return c > 0;
      case '<': return c < 0;
      default: return c === 0;
    }
  });
}
