// Errors the package throws. `code` is stable and safe to branch on; `message` is for people.
//   from the core (wasm/core/status.h): InvalidModel, Unsupported, InvalidArgument, ResourceExhausted, Internal
//   from the package: Aborted (AbortSignal), LoadFailed (model download/read, wasm module start-up),
//                     Released (the session was released), WorkerFailed (the proxy worker died)
export class EdgeinferError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = code === 'Aborted' ? 'AbortError' : 'EdgeinferError';
    this.code = code;
  }
}

// The core reports errors as values {code, message}: this tells one apart from a result.
export const isErrorValue = (r) =>
  r !== null && typeof r === 'object' && typeof r.code === 'string' && typeof r.message === 'string' && !Array.isArray(r);

export const fromErrorValue = (r) => new EdgeinferError(r.code, r.message);

// Plain data for postMessage, and back.
export const serializeError = (e) =>
  e instanceof EdgeinferError ? { code: e.code, message: e.message } : { code: 'Internal', message: String(e && e.message || e) };
export const deserializeError = (e) => new EdgeinferError(e.code, e.message);
