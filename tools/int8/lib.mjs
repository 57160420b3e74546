// Shared helpers of the int8 evaluation scripts (tools/int8/): the data cache, .npy writing, and running
// a model on a set of feeds in our runtime (the native CLI `edgeinfer run`) or in onnxruntime-node.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../npy.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Same default and override as models/int8_data.py.
export const CACHE = process.env.EDGEINFER_INT8_CACHE || path.join(ROOT, 'models', 'cache', 'int8');
export const CLI = process.env.EDGEINFER_CLI || path.join(ROOT, 'build', 'native', 'tools', 'edgeinfer');

// Tensor name -> file name part (the CLI's rule: [A-Za-z0-9._-], no leading '.').
export function sanitize(name) {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s.startsWith('.') ? `_${s}` : s;
}

const DESCR = { float32: '<f4', int64: '<i8', int32: '<i4', int8: '|i1', uint8: '|u1' };
export function npyBytes(dtype, dims, data) {
  const descr = DESCR[dtype];
  if (!descr) throw new Error(`npyBytes: unsupported dtype ${dtype}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export function writeNpy(file, t) {
  fs.writeFileSync(file, npyBytes(t.dtype, t.dims, t.data));
}

// Runs MODEL with the native CLI. feeds: {name: {dtype, dims, data}} or {name: 'file.npy'}.
// Returns {name: {dtype, dims, data}} for every output.
export function runCli(model, feeds, { threads = 1, cli = CLI } = {}) {
  if (!fs.existsSync(cli)) {
    throw new Error(`${cli} is missing: build it (cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build/native edgeinfer_cli) or set EDGEINFER_CLI`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeinfer-int8-'));
  try {
    const args = ['run', model, '--output-dir', path.join(tmp, 'out'), '--threads', String(threads)];
    for (const [name, t] of Object.entries(feeds)) {
      let file = t;
      if (typeof t !== 'string') {
        file = path.join(tmp, `in_${sanitize(name)}.npy`);
        writeNpy(file, t);
      }
      args.push('--input', `${name}=${file}`);
    }
    const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`edgeinfer run ${path.basename(model)} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim()}`);
    const out = {};
    // Output files are named after the sanitized tensor names; the CLI prints "name dtype [dims] -> file".
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+)\s+\S+\s+\[[^\]]*\]\s+->\s+(.+\.npy)$/.exec(line.trim());
      if (m) out[m[1]] = readNpy(m[2]);
    }
    if (!Object.keys(out).length) throw new Error(`edgeinfer run printed no outputs:\n${r.stdout}`);
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

let ortModule = null;
async function ort() {
  if (!ortModule) ortModule = (await import('onnxruntime-node')).default;
  return ortModule;
}

// Runs MODEL in onnxruntime-node (CPU, 1 thread, all graph optimizations: how it is deployed).
export async function runOrt(model, feeds, { optimize = true } = {}) {
  const o = await ort();
  const sess = await o.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: optimize ? 'all' : 'disabled',
  });
  try {
    const f = {};
    for (const [name, t] of Object.entries(feeds)) {
      const v = typeof t === 'string' ? readNpy(t) : t;
      f[name] = new o.Tensor(v.dtype, v.data, v.dims);
    }
    const r = await sess.run(f);
    const out = {};
    for (const name of sess.outputNames) out[name] = { dtype: r[name].type, dims: Array.from(r[name].dims), data: r[name].data };
    return out;
  } finally {
    await sess.release();
  }
}

export function argmaxRows(t) {
  const [n, k] = [t.dims[0], t.data.length / t.dims[0]];
  const out = new Int32Array(n);
  for (let i = 0; i < n; ++i) {
    let best = 0;
    for (let j = 1; j < k; ++j) if (t.data[i * k + j] > t.data[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

export function maxAbsDiff(a, b) {
  if (a.data.length !== b.data.length) throw new Error(`size mismatch ${a.dims} vs ${b.dims}`);
  let m = 0;
  for (let i = 0; i < a.data.length; ++i) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

// Minimal flag parser: --name value / --name=value / --flag.
export function parseFlags(argv, spec, usage) {
  const o = { ...spec };
  for (let i = 0; i < argv.length; ++i) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const key = a.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    if (!a.startsWith('--') || !(key in spec)) { console.error(`unknown argument '${argv[i]}'\n${usage}`); process.exit(2); }
    if (typeof spec[key] === 'boolean') o[key] = true;
    else {
      if (v === undefined) {
        if (i + 1 >= argv.length) { console.error(`${a} needs a value\n${usage}`); process.exit(2); }
        v = argv[++i];
      }
      o[key] = typeof spec[key] === 'number' ? Number(v) : v;
    }
  }
  return o;
}
