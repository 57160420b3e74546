// Builds the service worker and the store module for pages that do not use the JS package:
//   node service-worker/build.mjs --out DIR [--precache FILE ...]
// writes DIR/sw.js (classic script: Workbox precaching/routing + the chunk store, bundled) and
// DIR/bundle-store.mjs (ES module). --precache names files relative to DIR (the app shell, the
// package's dist files, the wasm variants); each is listed with its SHA-256 as the Workbox revision.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const out = path.resolve(args[args.indexOf('--out') + 1] || 'dist');
const precache = [];
for (let i = 0; i < args.length; i++) if (args[i] === '--precache') precache.push(args[++i]);
const entries = precache.map((f) => ({
  url: f.split(path.sep).join('/'),
  revision: crypto.createHash('sha256').update(fs.readFileSync(path.join(out, f))).digest('hex').slice(0, 16),
}));
fs.mkdirSync(out, { recursive: true });
await esbuild.build({ entryPoints: [path.join(HERE, 'src', 'sw.mjs')], bundle: true, format: 'iife', outfile: path.join(out, 'sw.js'),
  target: 'es2020', define: { 'self.__EDGEINFER_PRECACHE': JSON.stringify(entries), 'process.env.NODE_ENV': '"production"' }, logLevel: 'warning' });
await esbuild.build({ entryPoints: [path.join(HERE, 'src', 'index.mjs')], bundle: true, format: 'esm', outfile: path.join(out, 'bundle-store.mjs'),
  target: 'es2020', platform: 'neutral', logLevel: 'warning' });
console.log(`service worker: ${path.join(out, 'sw.js')} (${entries.length} precached files)`);
