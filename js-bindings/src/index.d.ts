// Type declarations of the edgeinfer package (browser and Node entry points export the same API).

export declare const version: string;

export declare namespace Tensor {
  type Type =
    | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
    | 'int64' | 'uint64' | 'bool' | 'float16';
  interface DataTypeMap {
    float32: Float32Array; float64: Float64Array; int8: Int8Array; uint8: Uint8Array;
    int16: Int16Array; uint16: Uint16Array; int32: Int32Array; uint32: Uint32Array;
    int64: BigInt64Array; uint64: BigUint64Array; bool: Uint8Array; float16: Uint16Array;
  }
  type DataType = DataTypeMap[Type];
  /** Plain arrays accepted by the constructor (converted to the typed array). */
  type ElementTypeMap = {
    [K in Type]: K extends 'int64' | 'uint64' ? bigint | number : K extends 'bool' ? boolean | number : number;
  };
}

export declare class Tensor<T extends Tensor.Type = Tensor.Type> {
  constructor(type: T, data: Tensor.DataTypeMap[T] | readonly Tensor.ElementTypeMap[T][], dims?: readonly number[]);
  constructor(data: Float32Array, dims?: readonly number[]);
  constructor(data: Tensor.DataType | readonly number[] | readonly boolean[], dims?: readonly number[]);
  readonly type: T;
  readonly data: Tensor.DataTypeMap[T];
  readonly dims: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly location: 'cpu';
  getData(): Promise<Tensor.DataTypeMap[T]>;
  reshape(dims: readonly number[]): Tensor<T>;
  dispose(): void;
}

/** Stable error codes: the core's, then the package's. */
export type ErrorCode =
  | 'InvalidModel' | 'Unsupported' | 'InvalidArgument' | 'ResourceExhausted' | 'Internal'
  | 'Aborted' | 'LoadFailed' | 'Released' | 'WorkerFailed';

export declare class EdgeinferError extends Error {
  readonly code: ErrorCode;
  /** 'AbortError' for code 'Aborted', else 'EdgeinferError'. */
  readonly name: string;
}

/** relaxed-threads: simd-threads plus relaxed SIMD's 8-bit dot product for int8 matrix products. */
export type Variant = 'relaxed-threads' | 'simd-threads' | 'simd' | 'baseline';

export interface WasmEnv {
  /** Threads per session (0: automatic, half the cores, 1..4). 1 selects a single-threaded variant. */
  numThreads: number;
  /** false forces the baseline (no SIMD) variant. */
  simd: boolean;
  /** false keeps the simd-threads variant where relaxed SIMD would select relaxed-threads. */
  relaxedSimd: boolean;
  /** Run the engine in a dedicated Worker started by the package. */
  proxy: boolean;
  /** Where dist/ files are served: URL prefix (Node: directory) or a map from file name to URL. */
  wasmPaths: string | Record<string, string> | undefined;
  /** Milliseconds to wait for the wasm module to start (0: no limit). */
  initTimeout: number;
  /** The variant in use once started; set it before the first session to force one. */
  variant: Variant | undefined;
  /** Why that variant was chosen. */
  readonly variantReason: string | undefined;
}

export interface Env {
  /** Log the variant choice, downloads and timings to the console. */
  debug: boolean;
  logLevel: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  readonly versions: { readonly edgeinfer: string };
  readonly wasm: WasmEnv;
}
export declare const env: Env;

export declare namespace InferenceSession {
  type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  type ExecutionProviderConfig = 'wasm' | 'cpu' | { name: 'wasm' | 'cpu' };
  interface SessionOptions {
    /** Only 'wasm' / 'cpu'; a list without either fails with code 'Unsupported'. */
    executionProviders?: readonly ExecutionProviderConfig[];
    /** 'disabled' turns the graph optimizer off; every other level runs all of it. */
    graphOptimizationLevel?: GraphOptimizationLevel;
    /** Threads of this session (0: env.wasm.numThreads / automatic); at most the module's pool + 1. */
    intraOpNumThreads?: number;
    interOpNumThreads?: number;
    logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
    /** Download progress when created from a URL: total is 0 when unknown. */
    onProgress?: (loaded: number, total: number) => void;
    /** Cancels the download and session creation (rejects with code 'Aborted'). */
    signal?: AbortSignal;
    /**
     * Treat the URL as a model bundle manifest (automatic for URLs ending in manifest.json; false
     * turns that off). Loads through the offline chunk store in IndexedDB, else fetches the chunks.
     * A failure rejects with code 'LoadFailed' and `bundleCode` (BadSignature, RuntimeRange, ...).
     */
    bundle?: boolean | BundleOptions;
  }
  interface BundleOptions {
    /** Raw Ed25519 public key (32 bytes, base64): manifests must carry a valid signature by it. */
    publicKey?: string;
    /** Channel this device follows: 'stable' (default) refuses beta manifests. */
    channel?: 'stable' | 'beta';
    /** Let large downloads proceed on a metered connection or with Save-Data. */
    allowMetered?: boolean;
    /** Parallel chunk downloads (default 3). */
    concurrency?: number;
    /** false: skip IndexedDB and fetch the chunks directly. */
    useStore?: boolean;
    /** IndexedDB database name (default 'edgeinfer-models'). */
    dbName?: string;
  }
  interface RunOptions { logSeverityLevel?: 0 | 1 | 2 | 3 | 4; tag?: string; }
  type FeedsType = { readonly [name: string]: Tensor };
  type FetchesType = readonly string[] | { readonly [name: string]: Tensor | null };
  type ReturnType = { readonly [name: string]: Tensor };
  interface TensorValueMetadata {
    readonly name: string;
    readonly isTensor: true;
    readonly type: Tensor.Type;
    /** Numbers, symbolic dimension names, or -1 for an unnamed unknown dimension. */
    readonly shape: ReadonlyArray<number | string>;
  }
  type ValueMetadata = TensorValueMetadata;
}

export declare class InferenceSession {
  private constructor();
  static create(uri: string | URL, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  static create(buffer: ArrayBufferLike | Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  static create(buffer: ArrayBufferLike, byteOffset: number, byteLength?: number,
                options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType>;
  run(feeds: InferenceSession.FeedsType, fetches: InferenceSession.FetchesType,
      options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
  startProfiling(): void;
  endProfiling(): void;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  /** Extra: threads this session runs on. */
  readonly numThreads: number;
  /** Extra: the wasm variant running it. */
  readonly variant: Variant;
}

export interface HeapStats {
  /** Size of the wasm memory (grows, never shrinks). */
  heapBytes: number;
  /** Bytes currently allocated by malloc inside it. */
  mallocBytes: number;
  /** Open sessions. */
  sessions: number;
}
/** Extra: wasm heap figures of the shared module (starts the engine if needed). */
export declare function getHeapStats(): Promise<HeapStats>;
/** Extra: releases every session and stops the engine; env.wasm changes apply to the next session. */
export declare function disposeEngine(): Promise<void>;

export declare function detectSimd(): boolean;
export declare function detectRelaxedSimd(): boolean;
export declare function detectThreads(isNode: boolean): { ok: boolean; why: string };
export declare function selectVariant(wasm: Partial<WasmEnv>, isNode: boolean, cores?: number): { variant: Variant; reason: string };
