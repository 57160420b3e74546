// The real models and generated test models through the package (js-bindings/dist/node.mjs) against
// the onnxruntime-node goldens of models/golden.mjs (models/cache/golden/<model>/manifest.json, every
// case), with the goldens' stated tolerance. Per variant in EDGEINFER_JS_VARIANTS (default all three).
//   node --test tests/js/golden.test.mjs          (needs models/prepare.sh and the assembled dist/)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, MODELS, VARIANTS, assertDistBuilt, maxViolation } from './helpers.mjs';
import { readNpy } from '../../tools/npy.mjs';

assertDistBuilt();
const { InferenceSession, Tensor, env, disposeEngine } = await import(pathToFileURL(path.join(DIST, 'node.mjs')).href);

const GOLDEN = path.join(MODELS, 'golden');
const manifests = fs.existsSync(GOLDEN)
  ? fs.readdirSync(GOLDEN).sort().filter((d) => fs.existsSync(path.join(GOLDEN, d, 'manifest.json')))
  : [];

test('golden outputs exist (models/prepare.sh)', () => {
  assert.ok(manifests.length >= 5, `found ${manifests.length} golden manifests in ${GOLDEN}`);
});

for (const variant of VARIANTS) {
  describe(`golden models, ${variant}`, () => {
    before(async () => {
      await disposeEngine();
      Object.assign(env.wasm, { variant, proxy: false, numThreads: 2, initTimeout: 60000 });
    });
    after(() => disposeEngine());

    for (const name of manifests) {
      test(name, async () => {
        const dir = path.join(GOLDEN, name);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
        const modelPath = path.resolve(dir, manifest.model);
        const { atol, rtol } = manifest.tolerance;
        const intAtol = manifest.tolerance.int_atol ?? 0;  // quantized models: 1 unit
        const session = await InferenceSession.create(modelPath);
        try {
          assert.deepEqual([...session.inputNames].sort(), [...manifest.inputs].sort());
          for (const c of manifest.cases) {
            const cdir = path.join(dir, c.dir);
            const feeds = {};
            for (const [input, file] of Object.entries(c.inputs)) {
              const a = readNpy(path.join(cdir, file));
              feeds[input] = new Tensor(a.dtype, a.data, a.dims);
            }
            const out = await session.run(feeds);
            for (const [output, file] of Object.entries(c.outputs)) {
              const want = readNpy(path.join(cdir, file));
              const got = out[output];
              assert.ok(got, `${c.name}: output ${output} missing`);
              assert.equal(got.type, want.dtype, `${c.name} ${output}: type`);
              assert.deepEqual(got.dims, want.dims, `${c.name} ${output}: dims`);
              const float = want.dtype.startsWith('float');
              const { worst, at } = maxViolation(got.data, want.data, float ? atol : intAtol, float ? rtol : 0);
              assert.ok(worst <= 0, `${c.name} ${output}[${at}]: ${got.data[at]} vs ${want.data[at]}`);
            }
          }
        } finally {
          await session.release();
        }
      });
    }
  });
}
