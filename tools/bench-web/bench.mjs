// In-browser benchmark of edgeinfer against onnxruntime-web (wasm backend, SIMD + threads), in headless
// Chromium through puppeteer-core. Run it through tools/bench_web.sh, or directly:
//
//   node tools/bench-web/bench.mjs [--models a,b] [--threads 1,2] [--runs N] [--warmup-seconds S]
//                                  [--min-seconds S] [--variant relaxed-threads] [--out FILE] [--verbose]
//   node tools/bench-web/bench.mjs --report build/bench-web/results.json     (re-print a saved run's table)
//   node tools/bench-web/bench.mjs --int8 [--int8-config tools/int8/models.json] [--models mnist_cnn,...] ...
//
// --int8: for each (fp32, int8) model pair of the int8 config, per thread count: our fp32, our int8,
// onnxruntime-web's int8 and onnxruntime-web's fp32 (context), each in a fresh browser as above; prints the
// p50 ratios ours-int8/ours-fp32 and ours-int8/ort-int8 (and ort-int8/ort-fp32), and the max abs
// difference of the two runtimes' int8 outputs. Pairs whose files are missing are listed and skipped.
//
// For each model x threads x runtime, a fresh Chromium with a fresh profile (so no HTTP or wasm code
// cache carries over) opens tools/bench-web/index.html and measures, in the page:
//   start-up   loading and instantiating the runtime's wasm module (edgeinfer: edgeinfer.js + factory,
//              pthread pool included; onnxruntime-web: import of ort.wasm.min.mjs + backend initialisation,
//              which onnxruntime-web only does inside InferenceSession.create, so through a one-node model)
//   create     InferenceSession creation for the model
//   first      the first inference
//   then warm-up by time (Chromium tiers hot wasm code up in the background), then at least N timed runs
//   (more while under --min-seconds): p50, p95;
//   memory     wasm memory (WebAssembly.Memory buffer byteLength) after the runs; it only grows, so this is
//              its peak.
// Outputs are checked in the page against the golden outputs (onnxruntime-node), and a separate page per
// model runs both runtimes and prints their max abs difference.
// Prints a markdown table and writes JSON to build/bench-web/results.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { startServer, ROOT } from './server.mjs';
import { loadInt8Config, DEFAULT_CONFIG as INT8_CONFIG } from '../int8/config.mjs';

const MODELS = {
  ppocr_det: { golden: 'ppocr_det', shape: '1x3x640x640' },
  ppocr_rec: { golden: 'ppocr_rec', shape: '1x3x48x320' },
  melspectrogram: { golden: 'melspectrogram' },
  embedding_model: { golden: 'embedding_model' },
  hey_jarvis: { golden: 'hey_jarvis' },
};

function usage(msg) {
  if (msg) console.error(`bench.mjs: ${msg}`);
  console.error('usage: bench.mjs [--models ' + Object.keys(MODELS).join(',') + '] [--threads 1,2] [--runs N]\n' +
    '                 [--warmup-seconds S] [--min-seconds S] [--max-runs N] [--variant relaxed-threads] [--out FILE]\n' +
    '                 [--no-verify] [--verbose]  |  --report results.json\n' +
    '       bench.mjs --int8 [--int8-config tools/int8/models.json] [--models mnist_cnn,...] [same options]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    models: Object.keys(MODELS), threads: [1, 2], runs: 30, warmupSeconds: 3, minSeconds: 2, maxRuns: 1000,
    variant: 'relaxed-threads', out: null, verbose: false,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium', verify: true, int8: false, int8Config: INT8_CONFIG,
  };
  let modelsGiven = false;
  for (let i = 0; i < argv.length; ++i) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const num = (s, min) => {
      const n = Number(s);
      if (!Number.isFinite(n) || n < min) usage(`${a}: '${s}' is not a number >= ${min}`);
      return n;
    };
    switch (a) {
      case '--models': o.models = next().split(',').map((s) => s.trim()).filter(Boolean); modelsGiven = true; break;
      case '--int8': o.int8 = true; break;
      case '--int8-config': o.int8Config = path.resolve(next()); break;
      case '--threads': o.threads = next().split(',').map((s) => Math.trunc(num(s.trim(), 1))); break;
      case '--runs': o.runs = Math.trunc(num(next(), 1)); break;
      case '--warmup-seconds': o.warmupSeconds = num(next(), 0); break;
      case '--min-seconds': o.minSeconds = num(next(), 0); break;
      case '--max-runs': o.maxRuns = Math.trunc(num(next(), 1)); break;
      case '--variant': o.variant = next(); break;
      case '--out': o.out = path.resolve(next()); break;
      case '--chromium': o.chromium = next(); break;
      case '--no-verify': o.verify = false; break;
      case '--report': o.report = path.resolve(next()); break;
      case '--verbose': case '-v': o.verbose = true; break;
      case '--help': case '-h': usage(); break;
      default: usage(`unknown argument '${argv[i]}'`);
    }
  }
  o.out ||= path.join(ROOT, 'build', 'bench-web', o.int8 ? 'results-int8.json' : 'results.json');
  if (o.int8 && !o.report) {
    o.pairs = loadInt8Config(o.int8Config);
    if (!modelsGiven) o.models = Object.keys(o.pairs);
    for (const m of o.models) if (!o.pairs[m]) usage(`unknown int8 model '${m}' (in ${o.int8Config}: ${Object.keys(o.pairs).join(', ')})`);
  } else if (!o.report) {
    for (const m of o.models) if (!MODELS[m]) usage(`unknown model '${m}' (known: ${Object.keys(MODELS).join(', ')})`);
  }
  if (!o.models.length || !o.threads.length) usage('nothing to run');
  if (!['simd-threads', 'simd', 'baseline', 'relaxed-threads'].includes(o.variant)) usage(`unknown variant '${o.variant}'`);
  return o;
}

// The model's file and its first golden case (inputs + expected outputs), as URLs for the page.
function modelConfig(name) {
  const goldenDir = path.join(ROOT, 'models', 'cache', 'golden', MODELS[name].golden);
  const manifest = JSON.parse(fs.readFileSync(path.join(goldenDir, 'manifest.json'), 'utf8'));
  const c = manifest.cases[0];
  const caseDir = path.join(goldenDir, c.dir || '.');
  const url = (file) => '/' + path.relative(ROOT, file).split(path.sep).join('/');
  const modelFile = path.resolve(goldenDir, manifest.model);
  for (const f of [modelFile, ...Object.values(c.inputs).map((p) => path.join(caseDir, p))]) {
    if (!fs.existsSync(f)) throw new Error(`missing ${path.relative(ROOT, f)} (run models/prepare.sh)`);
  }
  return {
    name,
    url: url(modelFile),
    inputs: Object.fromEntries(Object.entries(c.inputs).map(([k, p]) => [k, url(path.join(caseDir, p))])),
    outputs: Object.fromEntries(Object.entries(c.outputs).map(([k, p]) => [k, url(path.join(caseDir, p))])),
    inputShapes: c.input_shapes,
    tolerance: manifest.tolerance ? { atol: manifest.tolerance.atol, rtol: manifest.tolerance.rtol } : undefined,
  };
}

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
  // Keep the (headless) page from being throttled as a background tab during long runs.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
  // Fallback memory figure (performance.measureUserAgentSpecificMemory) without its random delay.
  '--enable-blink-features=ForceEagerMeasureMemory',
];

// One fresh browser with a fresh profile, one page; calls window[fn](cfg) there.
async function inFreshBrowser(opts, serverUrl, fn, cfg, timeoutMs) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-profile-'));
  let browser = null;
  try {
    browser = await puppeteer.launch({
      executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS, userDataDir: profile,
      protocolTimeout: timeoutMs + 60000,
    });
    const page = await browser.newPage();
    const consoleLines = [];
    page.on('console', (m) => {
      const line = `[page ${m.type()}] ${m.text()}`;
      consoleLines.push(line);
      if (opts.verbose) console.error(line);
    });
    page.on('pageerror', (e) => {
      const line = `[page error] ${e.message}`;
      consoleLines.push(line);
      if (opts.verbose) console.error(line);
    });
    await page.goto(`${serverUrl}/tools/bench-web/index.html`, { waitUntil: 'load', timeout: 60000 });
    await page.waitForFunction('window.benchReady === true', { timeout: 60000 });
    const run = page.evaluate((f, c) => window[f](c), fn, cfg);
    let timer;
    const result = await Promise.race([
      run,
      new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${fn} timed out after ${timeoutMs} ms`)), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
    const warnings = consoleLines.filter((l) => /warn|error/i.test(l) && !/\[bench\]/.test(l));
    if (warnings.length) result.consoleWarnings = warnings.slice(0, 20);
    return result;
  } finally {
    if (browser) await browser.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmtMs = (v) => (v == null ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtMiB = (b) => (b == null ? 'n/a' : (b / 1048576).toFixed(1));
const ratio = (a, b) => (a == null || b == null || !(b > 0) ? null : a / b);
const fmtRatio = (r) => (r == null ? 'n/a' : `${r.toFixed(2)}x`);
const cell = (ours, theirs, fmt) => `${fmt(ours)} / ${fmt(theirs)} (${fmtRatio(ratio(ours, theirs))})`;
const fmtDiff = (d) => (d == null ? 'n/a' : d === 0 ? '0' : d.toExponential(1));

function geomean(xs) {
  const v = xs.filter((x) => x != null && x > 0);
  if (!v.length) return null;
  return Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
}

function startupPlusCreate(r) {
  return r && !r.error && r.startupMs != null && r.createMs != null ? r.startupMs + r.createMs : null;
}

function report(opts, results, verify, env) {
  const lines = [];
  lines.push(`edgeinfer (${opts.variant}) vs onnxruntime-web ${env.ortVersion} (wasm, SIMD, threaded, proxy off), ` +
    `Chromium ${env.browserVersion}, headless, ${env.cpus} logical CPUs (${env.cpuModel}).`);
  lines.push(`Cells: ours / theirs (ours/theirs). Times in ms; memory = wasm memory after the runs, MiB. ` +
    `Warm-up ${opts.warmupSeconds} s, then >= ${opts.runs} timed runs (>= ${opts.minSeconds} s).`);
  const loads = results.map((r) => r.loadAvgBefore).filter((x) => x != null);
  if (loads.length) {
    lines.push(`1-minute load average before the measurements: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} ` +
      `on ${env.cpus} CPUs${Math.max(...loads) > env.cpus ? ' (a busy machine: expect noisy p95 and start-up figures)' : ''}.`);
  }
  lines.push('');
  lines.push('| model | threads | start-up + create | first inference | p50 | p95 | wasm memory | max abs diff ours vs ORT |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const p50Ratios = {};
  const errors = [];
  for (const m of opts.models) {
    for (const t of opts.threads) {
      const ours = results.find((r) => r.model === m && r.threads === t && r.runtime === 'edgeinfer');
      const theirs = results.find((r) => r.model === m && r.threads === t && r.runtime === 'ort');
      const v = verify[m];
      const diff = v && v.oursVsOrt ? `${fmtDiff(v.oursVsOrt.maxAbsDiff)}${v.oursVsOrt.withinTolerance ? '' : ' (OUT OF TOLERANCE)'}`
        : 'n/a';
      const label = MODELS[m].shape ? `${m} ${MODELS[m].shape}` : m;
      if (ours && ours.error) {
        errors.push(`- ${m}, ${t} thread(s): edgeinfer failed in ${ours.error.stage}: ${ours.error.message}`);
      }
      if (theirs && theirs.error) {
        errors.push(`- ${m}, ${t} thread(s): onnxruntime-web failed in ${theirs.error.stage}: ${theirs.error.message}`);
      }
      if ((ours && ours.error) || (theirs && theirs.error) || !ours || !theirs) {
        // One side failed: show what the other measured, 'fail' for the side that failed.
        const o = ours && !ours.error ? ours : {};
        const th = theirs && !theirs.error ? theirs : {};
        const oF = !ours || !!ours.error;
        const tF = !theirs || !!theirs.error;
        const c = (a, b, fmt) => `${oF ? 'fail' : fmt(a)} / ${tF ? 'fail' : fmt(b)}`;
        lines.push(`| ${label} | ${t} | ${c(startupPlusCreate(o), startupPlusCreate(th), fmtMs)} | ` +
          `${c(o.firstMs, th.firstMs, fmtMs)} | ${c(o.p50Ms, th.p50Ms, fmtMs)} | ${c(o.p95Ms, th.p95Ms, fmtMs)} | ` +
          `${c(o.memory && o.memory.bytes, th.memory && th.memory.bytes, fmtMiB)} | ${diff} |`);
        continue;
      }
      const r = ratio(ours.p50Ms, theirs.p50Ms);
      (p50Ratios[t] ||= []).push(r);
      lines.push(`| ${label} | ${t} | ${cell(startupPlusCreate(ours), startupPlusCreate(theirs), fmtMs)} | ` +
        `${cell(ours.firstMs, theirs.firstMs, fmtMs)} | ${cell(ours.p50Ms, theirs.p50Ms, fmtMs)} | ` +
        `${cell(ours.p95Ms, theirs.p95Ms, fmtMs)} | ` +
        `${cell(ours.memory && ours.memory.bytes, theirs.memory && theirs.memory.bytes, fmtMiB)} | ${diff} |`);
    }
  }
  lines.push('');
  const geo = {};
  for (const t of opts.threads) {
    geo[t] = geomean(p50Ratios[t] || []);
    const n = (p50Ratios[t] || []).length;
    lines.push(`Geometric mean of p50 ours/theirs at ${t} thread(s): ${fmtRatio(geo[t])} over ${n} model(s)` +
      `${geo[t] != null ? (geo[t] < 1 ? ' (ours faster)' : ' (ours slower)') : ''}.`);
  }
  // Start-up and creation separately, since the table sums them.
  lines.push('');
  lines.push('Start-up / session creation separately (ms, ours ; theirs):');
  for (const m of opts.models) {
    for (const t of opts.threads) {
      const o = results.find((r) => r.model === m && r.threads === t && r.runtime === 'edgeinfer') || {};
      const th = results.find((r) => r.model === m && r.threads === t && r.runtime === 'ort') || {};
      lines.push(`- ${m} @${t}: ${fmtMs(o.startupMs)} + ${fmtMs(o.createMs)} ; ${fmtMs(th.startupMs)} + ${fmtMs(th.createMs)}` +
        `  (runs ${o.runs ?? 'n/a'} ; ${th.runs ?? 'n/a'}; warm-up runs ${o.warmupRuns ?? 'n/a'} ; ${th.warmupRuns ?? 'n/a'})`);
    }
  }
  // Correctness against the golden outputs, per measurement.
  const bad = results.filter((r) => !r.error && r.check && !r.check.withinTolerance);
  lines.push('');
  if (bad.length) {
    lines.push('Outputs outside the golden tolerance:');
    for (const r of bad) lines.push(`- ${r.runtime} ${r.model} @${r.threads}: max abs diff ${fmtDiff(r.check.maxAbsDiff)}`);
  } else {
    lines.push('Every measured first inference matched the golden outputs (onnxruntime-node) within the manifest tolerance.');
  }
  for (const m of opts.models) {
    const v = verify[m];
    if (v && (v.edgeinferError || v.ortError)) {
      const e = v.edgeinferError || v.ortError;
      lines.push(`- verify ${m}: ${v.edgeinferError ? 'edgeinfer' : 'onnxruntime-web'} failed in ${e.stage}: ${e.message}`);
    }
  }
  if (errors.length) {
    lines.push('');
    lines.push('Errors:');
    lines.push(...errors);
  }
  return { text: lines.join('\n'), geomeanP50Ratio: geo };
}

// ---------------------------------------------------------------------------------------------
// int8 mode: (fp32, int8) model pairs from tools/int8/models.json.

const INT8_RUNS = [
  { runtime: 'edgeinfer', precision: 'fp32' },
  { runtime: 'edgeinfer', precision: 'int8' },
  { runtime: 'ort', precision: 'int8' },
  { runtime: 'ort', precision: 'fp32' },
];
const urlOf = (file) => {
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${file} is outside the repository: the bench server cannot serve it`);
  return '/' + rel.split(path.sep).join('/');
};

// The page's model config for one side of a pair: no golden outputs (int8 has none); inputs from the config.
function int8ModelConfig(name, pair, precision) {
  const file = precision === 'int8' ? pair.int8 : pair.fp32;
  return { name: `${name}:${precision}`, url: urlOf(file), inputs: Object.fromEntries(Object.entries(pair.benchInputs).map(([k, f]) => [k, urlOf(f)])),
    outputs: {} };
}

function int8Missing(pair) {
  return [pair.fp32, pair.int8, ...Object.values(pair.benchInputs)].filter((f) => !fs.existsSync(f)).map((f) => path.relative(ROOT, f));
}

function reportInt8(opts, results, verify, env) {
  const lines = [];
  lines.push(`int8: edgeinfer (${opts.variant}) vs onnxruntime-web ${env.ortVersion} (wasm, SIMD, threaded, proxy off), ` +
    `Chromium ${env.browserVersion}, headless, ${env.cpus} logical CPUs (${env.cpuModel}).`);
  lines.push(`p50 in ms after ${opts.warmupSeconds} s warm-up, >= ${opts.runs} timed runs (>= ${opts.minSeconds} s). ` +
    'Ratios < 1: the first is faster.');
  lines.push('');
  lines.push('| model | threads | ours fp32 | ours int8 | ORT int8 | ORT fp32 | ours int8 / ours fp32 | ours int8 / ORT int8 | ORT int8 / ORT fp32 | max abs diff int8 ours vs ORT |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const find = (m, t, runtime, precision) => results.find((r) => r.pair === m && r.threads === t && r.runtime === runtime && r.precision === precision);
  const p50 = (r) => (r && !r.error ? r.p50Ms : null);
  const ratios = { selfSpeedup: {}, vsOrt: {} };
  const errors = [];
  for (const m of opts.models) {
    if (verify[m] && verify[m].skipped) continue;
    for (const t of opts.threads) {
      const of = find(m, t, 'edgeinfer', 'fp32'), oi = find(m, t, 'edgeinfer', 'int8');
      const ti = find(m, t, 'ort', 'int8'), tf = find(m, t, 'ort', 'fp32');
      for (const r of [of, oi, ti, tf]) if (r && r.error) errors.push(`- ${m} ${r.runtime} ${r.precision} @${t}: failed in ${r.error.stage}: ${r.error.message}`);
      const rs = ratio(p50(oi), p50(of)), rv = ratio(p50(oi), p50(ti)), ro = ratio(p50(ti), p50(tf));
      if (rs != null) (ratios.selfSpeedup[t] ||= []).push(rs);
      if (rv != null) (ratios.vsOrt[t] ||= []).push(rv);
      const v = verify[m];
      const diff = v && v.oursVsOrt ? fmtDiff(v.oursVsOrt.maxAbsDiff) : 'n/a';
      const f = (r) => (r && r.error ? 'fail' : fmtMs(p50(r)));
      lines.push(`| ${m} | ${t} | ${f(of)} | ${f(oi)} | ${f(ti)} | ${f(tf)} | ${fmtRatio(rs)} | ${fmtRatio(rv)} | ${fmtRatio(ro)} | ${diff} |`);
    }
  }
  lines.push('');
  const geo = { selfSpeedup: {}, vsOrt: {} };
  for (const t of opts.threads) {
    geo.selfSpeedup[t] = geomean(ratios.selfSpeedup[t] || []);
    geo.vsOrt[t] = geomean(ratios.vsOrt[t] || []);
    lines.push(`Geometric mean at ${t} thread(s): ours int8 / ours fp32 ${fmtRatio(geo.selfSpeedup[t])}, ` +
      `ours int8 / ORT int8 ${fmtRatio(geo.vsOrt[t])} over ${(ratios.vsOrt[t] || []).length} model(s).`);
  }
  const skipped = opts.models.filter((m) => verify[m] && verify[m].skipped);
  if (skipped.length) {
    lines.push('');
    lines.push('Skipped (files missing: run tools/int8_report.sh, or edit tools/int8/models.json):');
    for (const m of skipped) lines.push(`- ${m}: ${verify[m].skipped.join(', ')}`);
  }
  for (const m of opts.models) {
    const v = verify[m];
    if (v && (v.edgeinferError || v.ortError || v.error)) {
      const e = v.edgeinferError || v.ortError || { stage: 'browser', message: v.error };
      errors.push(`- verify ${m} int8: ${v.edgeinferError ? 'edgeinfer' : v.ortError ? 'onnxruntime-web' : 'browser'} failed in ${e.stage}: ${e.message}`);
    }
  }
  if (errors.length) {
    lines.push('');
    lines.push('Errors:');
    lines.push(...errors);
  }
  return { text: lines.join('\n'), geomean: geo };
}

async function mainInt8(opts) {
  const ortVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;
  const server = await startServer({ log: opts.verbose ? (m) => console.error(`[server] ${m}`) : null });
  const env = {
    date: new Date().toISOString(), ortVersion, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim(),
    node: process.version, variant: opts.variant, browserVersion: 'unknown', int8Config: path.relative(ROOT, opts.int8Config),
  };
  try {
    const b = await puppeteer.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS });
    env.browserVersion = (await b.version()).replace(/^[^/]*\//, '');
    await b.close();
  } catch (e) {
    await server.close();
    throw new Error(`cannot launch ${opts.chromium}: ${e.message}`);
  }
  const results = [];
  const verify = {};
  const started = Date.now();
  try {
    for (const m of opts.models) {
      const pair = opts.pairs[m];
      const missing = int8Missing(pair);
      if (missing.length) {
        verify[m] = { skipped: missing };
        process.stderr.write(`[bench] ${m}: skipped, missing ${missing.join(', ')}\n`);
        continue;
      }
      if (opts.verify) {
        const t = Math.max(...opts.threads);
        try {
          verify[m] = await inFreshBrowser(opts, server.url, 'benchVerify',
            { model: int8ModelConfig(m, pair, 'int8'), threads: t, variant: opts.variant }, 15 * 60000);
        } catch (e) {
          verify[m] = { error: String(e.message || e) };
        }
        const v = verify[m];
        process.stderr.write(`[bench] ${m} int8: ${v.oursVsOrt ? `max abs diff ours vs ORT ${v.oursVsOrt.maxAbsDiff}`
          : `no comparison: ${JSON.stringify(v.edgeinferError || v.ortError || v.error)}`}\n`);
      }
      for (const t of opts.threads) {
        const order = (opts.threads.indexOf(t) + opts.models.indexOf(m)) % 2 ? INT8_RUNS.slice().reverse() : INT8_RUNS;
        for (const { runtime, precision } of order) {
          const cfg = {
            runtime, variant: opts.variant, threads: t, runs: opts.runs, warmupSeconds: opts.warmupSeconds,
            minSeconds: opts.minSeconds, maxRuns: opts.maxRuns, model: int8ModelConfig(m, pair, precision),
          };
          const load = os.loadavg()[0];
          process.stderr.write(`[bench] ${m} ${runtime} ${precision} threads=${t} (load ${load.toFixed(2)}) ... `);
          let r;
          try {
            r = await inFreshBrowser(opts, server.url, 'benchRun', cfg, 30 * 60000);
          } catch (e) {
            r = { runtime, threads: t, error: { stage: 'browser', message: String(e.message || e) } };
          }
          Object.assign(r, { pair: m, precision, loadAvgBefore: load });
          delete r.timesMs;
          results.push(r);
          process.stderr.write(r.error ? `FAILED (${r.error.stage}): ${r.error.message}\n`
            : `create ${fmtMs(r.createMs)} first ${fmtMs(r.firstMs)} p50 ${fmtMs(r.p50Ms)} p95 ${fmtMs(r.p95Ms)}\n`);
        }
      }
    }
  } finally {
    await server.close();
  }
  env.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  const { text, geomean: geo } = reportInt8(opts, results, verify, env);
  console.log(text);
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify({
    command: ['tools/bench_web.sh', ...process.argv.slice(2)].join(' '), env,
    options: { int8: true, models: opts.models, threads: opts.threads, runs: opts.runs, warmupSeconds: opts.warmupSeconds,
      minSeconds: opts.minSeconds, maxRuns: opts.maxRuns, variant: opts.variant },
    geomean: geo, verify, results, table: text,
  }, null, 1) + '\n');
  console.error(`[bench] wrote ${path.relative(process.cwd(), opts.out) || opts.out} (${env.elapsedSeconds} s)`);
  const failed = results.some((r) => r.error);
  if (failed) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.report) {
    // Re-print the table of an earlier run.
    const saved = JSON.parse(fs.readFileSync(opts.report, 'utf8'));
    const rep = saved.options && saved.options.int8 ? reportInt8 : report;
    console.log(rep({ ...opts, ...saved.options }, saved.results, saved.verify, saved.env).text);
    return;
  }
  const dist = path.join(ROOT, 'build', 'wasm-dist', opts.variant, 'edgeinfer.js');
  if (!fs.existsSync(dist)) throw new Error(`${path.relative(ROOT, dist)} is missing (tools/build_wasm.sh ${opts.variant})`);
  if (!fs.existsSync(opts.chromium)) throw new Error(`no Chromium at ${opts.chromium} (apt-get install chromium)`);
  if (opts.int8) return mainInt8(opts);
  const models = Object.fromEntries(opts.models.map((m) => [m, modelConfig(m)]));
  const ortVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;

  const server = await startServer({ log: opts.verbose ? (m) => console.error(`[server] ${m}`) : null });
  const env = {
    date: new Date().toISOString(), ortVersion, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim(),
    node: process.version, variant: opts.variant, browserVersion: 'unknown',
    edgeinferWasmBytes: fs.statSync(path.join(ROOT, 'build', 'wasm-dist', opts.variant, 'edgeinfer.wasm')).size,
    ortWasmBytes: fs.statSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm')).size,
  };
  try {
    const b = await puppeteer.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS });
    env.browserVersion = (await b.version()).replace(/^[^/]*\//, '');
    await b.close();
  } catch (e) {
    throw new Error(`cannot launch ${opts.chromium}: ${e.message}`);
  }

  const results = [];
  const verify = {};
  const started = Date.now();
  try {
    for (const m of opts.models) {
      const model = models[m];
      if (opts.verify) {
        const t = Math.max(...opts.threads);
        process.stderr.write(`[bench] ${m}: checking outputs of both runtimes (${t} threads)\n`);
        try {
          verify[m] = await inFreshBrowser(opts, server.url, 'benchVerify',
            { model, threads: t, variant: opts.variant }, 15 * 60000);
        } catch (e) {
          verify[m] = { error: String(e.message || e) };
        }
        const v = verify[m];
        if (v.oursVsOrt) process.stderr.write(`[bench] ${m}: max abs diff ours vs ORT ${v.oursVsOrt.maxAbsDiff}\n`);
        else process.stderr.write(`[bench] ${m}: no comparison: ${JSON.stringify(v.edgeinferError || v.ortError || v.error)}\n`);
      }
      for (const t of opts.threads) {
        // Alternate which runtime goes first, so slow drift of the machine does not favour one side.
        const order = (opts.threads.indexOf(t) + opts.models.indexOf(m)) % 2 ? ['ort', 'edgeinfer'] : ['edgeinfer', 'ort'];
        for (const runtime of order) {
          const cfg = {
            runtime, variant: opts.variant, threads: t, runs: opts.runs, warmupSeconds: opts.warmupSeconds,
            minSeconds: opts.minSeconds, maxRuns: opts.maxRuns, model,
          };
          const load = os.loadavg()[0];
          process.stderr.write(`[bench] ${m} ${runtime} threads=${t} (load ${load.toFixed(2)}) ... `);
          let r;
          try {
            r = await inFreshBrowser(opts, server.url, 'benchRun', cfg, 30 * 60000);
          } catch (e) {
            r = { runtime, model: m, threads: t, error: { stage: 'browser', message: String(e.message || e) } };
          }
          r.loadAvgBefore = load;
          results.push(r);
          process.stderr.write(r.error ? `FAILED (${r.error.stage}): ${r.error.message}\n`
            : `start-up ${fmtMs(r.startupMs)} create ${fmtMs(r.createMs)} first ${fmtMs(r.firstMs)} ` +
              `p50 ${fmtMs(r.p50Ms)} p95 ${fmtMs(r.p95Ms)} mem ${fmtMiB(r.memory && r.memory.bytes)} MiB\n`);
        }
      }
    }
  } finally {
    await server.close();
  }
  env.elapsedSeconds = Math.round((Date.now() - started) / 1000);

  const { text, geomeanP50Ratio } = report(opts, results, verify, env);
  console.log(text);
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const command = ['tools/bench_web.sh', ...process.argv.slice(2)].join(' ');
  fs.writeFileSync(opts.out, JSON.stringify({
    command, env,
    options: { models: opts.models, threads: opts.threads, runs: opts.runs, warmupSeconds: opts.warmupSeconds,
      minSeconds: opts.minSeconds, maxRuns: opts.maxRuns, variant: opts.variant },
    geomeanP50Ratio, verify, results, table: text,
  }, null, 1) + '\n');
  console.error(`[bench] wrote ${path.relative(process.cwd(), opts.out) || opts.out} (${env.elapsedSeconds} s)`);
}

main().catch((e) => {
  console.error(`bench.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
