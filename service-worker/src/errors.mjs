// Typed errors of the offline model store. `code` is stable and meant for program logic:
//   BadManifest        the manifest is not schema 1 or is inconsistent (chunks, sizes, names)
//   BadSignature       signature missing, for another key, or not valid (a public key is configured)
//   RuntimeRange       the manifest needs a runtime version range this runtime is outside of
//   DeviceUnsupported  the device is below the manifest's minimum (memory, SIMD, threads)
//   ChannelMismatch    the manifest's channel is not one this device follows
//   NotInRollout       this device's cohort is outside the manifest's staged rollout percentage
//   ChunkHashMismatch  a chunk's bytes do not hash to its name (tampered or corrupted)
//   PayloadHashMismatch the assembled payload does not match payload.sha256
//   QuotaExceeded      not enough storage for the chunks still missing
//   MeteredDeferred    a large download on a metered connection or with Save-Data, not allowed (metered: 'fail')
//   Aborted            the install's signal aborted while it waited for an unmetered connection
//   NetworkError       a fetch failed or was cut (partial bytes are kept for resume)
//   NotInstalled       no such model / version in the store
//   NoPrevious         rollback asked for but no previous version is kept
//   StoreUnavailable   IndexedDB is not available in this context
export class BundleError extends Error {
  constructor(code, message, details = {}) {
    super(`${code}: ${message}`);
    this.name = 'BundleError';
    this.code = code;
    this.details = details;
    if (details.cause) this.cause = details.cause;
  }
}
