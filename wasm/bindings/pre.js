// Prepended (--pre-js) to every wasm link: the shipping module (inside its MODULARIZE factory, where
// `Module` is the object passed to createEdgeinfer) and the Node test programs.

// Node 18+ has a global fetch() that Emscripten 3.1.6 tries on a plain file path, which fails. In Node,
// read the .wasm beside this script synchronously unless the caller passed wasmBinary/instantiateWasm.
var edgeinferIsNode = typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string';
if (edgeinferIsNode && !Module['ENVIRONMENT_IS_PTHREAD'] && !Module['wasmBinary'] && !Module['instantiateWasm'] &&
    typeof __filename == 'string' && typeof require == 'function') {
  try {
    var edgeinferWasmPath = __filename.replace(/\.[cm]?js$/, '.wasm');
    if (Module['locateFile']) edgeinferWasmPath = Module['locateFile'](edgeinferWasmPath.replace(/^.*[\\/]/, ''), '');
    Module['wasmBinary'] = require('fs').readFileSync(edgeinferWasmPath);
  } catch (e) {
    // Leave it to Emscripten's own loader (and its error message).
  }
}

// Size of the prestarted pthread pool (-sPTHREAD_POOL_SIZE=edgeinferPoolSize). A thread can only start
// synchronously on a prestarted worker, so sessions get at most 1 + (idle workers) threads.
// Module.pthreadPoolSize overrides; by default one worker per core beyond the calling thread, at most 7.
var edgeinferPoolSize = (function() {
  if (Module['pthreadPoolSize'] !== undefined) return Math.max(0, Math.min(64, Module['pthreadPoolSize'] | 0));
  var cores = (typeof navigator == 'object' && navigator.hardwareConcurrency) | 0;
  if (!cores && edgeinferIsNode && typeof require == 'function') {
    try { cores = require('os').cpus().length; } catch (e) {}
  }
  return Math.max(1, Math.min(7, (cores || 4) - 1));
})();

// pthreadPoolSize: 0 runs the threaded build on the calling thread alone (sessions get 1 thread).
// Emscripten 3.1.6 keeps the module from starting until every prestarted worker has loaded the wasm
// module, counting down from the pool size, so with no workers the count never reaches zero and the
// factory's promise never settles. Then this instantiates the module itself and lifts that wait.
// (Threaded build only: there `PThread` exists by the time instantiateWasm is called.)
if (edgeinferPoolSize === 0 && !Module['ENVIRONMENT_IS_PTHREAD'] && !Module['instantiateWasm'] &&
    typeof getBinaryPromise == 'function') {
  Module['instantiateWasm'] = function(imports, receiveInstance) {
    getBinaryPromise().then(function(binary) {
      return WebAssembly.instantiate(binary, imports);
    }).then(function(output) {
      receiveInstance(output['instance'], output['module']);
      if (typeof PThread == 'object' && PThread.unusedWorkers.length == 0) removeRunDependency('wasm-instantiate');
    }, function(e) {
      abort('cannot instantiate edgeinfer.wasm: ' + e);
    });
    return {};  // exports arrive through receiveInstance
  };
}

// Node keeps a process alive while any worker_threads Worker is referenced; idle pool workers must not
// keep a script that has finished its work from exiting.
if (edgeinferIsNode && !Module['ENVIRONMENT_IS_PTHREAD']) {
  Module['preRun'] = [].concat(Module['preRun'] || [], function() {
    if (typeof PThread == 'object' && PThread.unusedWorkers) {
      PThread.unusedWorkers.forEach(function(w) { if (w.unref) w.unref(); });
    }
  });
}
