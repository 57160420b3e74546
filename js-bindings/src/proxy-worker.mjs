// The dedicated worker behind env.wasm.proxy = true: owns the wasm module and the native sessions,
// answers {id, type, ...} requests from backend.mjs's ProxyBackend one at a time, in order.
// Outputs are transferred back (their buffers are fresh copies out of wasm memory).
import { env, setPlatform, getEngine } from './session.mjs';
import { serializeError } from './errors.mjs';

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof WorkerGlobalScope === 'undefined';

// Browsers: listen before the first await, so no message can arrive before there is a listener.
const early = [];
let deliver = (m) => early.push(m);
if (!isNode) self.addEventListener('message', (e) => deliver(e.data));

let port;
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  setPlatform((await import('./platform-node.mjs')).nodePlatform);
  port = { post: (m, t) => parentPort.postMessage(m, t), listen: (fn) => parentPort.on('message', fn) };
} else {
  setPlatform((await import('./platform-browser.mjs')).browserPlatform);
  port = { post: (m, t) => self.postMessage(m, t), listen: (fn) => { deliver = fn; early.splice(0).forEach(fn); } };
}

const handlers = {
  async init({ wasm, debug }) {
    Object.assign(env.wasm, wasm, { proxy: false });
    env.debug = !!debug;
    const engine = await getEngine();
    return { variant: engine.variant, reason: engine.reason };
  },
  async create({ bytes, opts }) {
    return (await getEngine()).createSession(bytes, opts);
  },
  async run({ session, feeds, fetches }, transfer) {
    const out = (await getEngine()).run(session, feeds, fetches);
    for (const o of out) transfer.push(o.data.buffer);
    return out;
  },
  async release({ session }) {
    (await getEngine()).release(session);
  },
  async heapStats() {
    return (await getEngine()).heapStats();
  },
};

// One request at a time: a later message waits for the one before (the core is not re-entrant).
let chain = Promise.resolve();
port.listen((msg) => {
  chain = chain.then(async () => {
    const transfer = [];
    try {
      const handler = handlers[msg.type];
      if (!handler) throw new Error(`unknown request '${msg.type}'`);
      const result = await handler(msg, transfer);
      port.post({ id: msg.id, result }, transfer);
    } catch (e) {
      port.post({ id: msg.id, error: serializeError(e) });
    }
  });
});
