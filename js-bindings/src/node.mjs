// edgeinfer for Node 18+ (ES module).
//   import { InferenceSession, Tensor, env } from 'edgeinfer';
import { setPlatform } from './session.mjs';
import { nodePlatform } from './platform-node.mjs';

setPlatform(nodePlatform);

export { env, InferenceSession, Tensor, EdgeinferError, VERSION as version, getHeapStats, disposeEngine } from './session.mjs';
export { detectSimd, detectRelaxedSimd, detectThreads, selectVariant } from './backend.mjs';
