// edgeinfer for browsers, Web Workers and bundlers (ES module). Node resolves to node.mjs instead.
//   import { InferenceSession, Tensor, env } from 'edgeinfer';
import { setPlatform } from './session.mjs';
import { browserPlatform } from './platform-browser.mjs';

setPlatform(browserPlatform);

export { env, InferenceSession, Tensor, EdgeinferError, VERSION as version, getHeapStats, disposeEngine } from './session.mjs';
export { detectSimd, detectRelaxedSimd, detectThreads, selectVariant } from './backend.mjs';
