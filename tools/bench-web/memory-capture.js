// Records the WebAssembly.Memory objects and Workers of this page (both runtimes create theirs in JS for pthreads;
// a memory a module defines and exports is caught at instantiation). Read by bench-page.mjs as
// window.__benchWasmMemories. Loaded as a classic script before anything else.
(function () {
  'use strict';
  if (typeof WebAssembly !== 'object' || window.__benchWasmMemories) return;
  var memories = [];
  window.__benchWasmMemories = memories;
  var OrigMemory = WebAssembly.Memory;
  function remember(m) {
    if (m instanceof OrigMemory && memories.indexOf(m) < 0) memories.push(m);
  }
  function scan(obj) {
    if (!obj || typeof obj !== 'object') return;
    for (var k in obj) {
      var v;
      try { v = obj[k]; } catch (e) { continue; }
      if (v instanceof OrigMemory) remember(v);
      else if (v && typeof v === 'object' && !(v instanceof OrigMemory)) {
        for (var k2 in v) {
          var v2;
          try { v2 = v[k2]; } catch (e) { continue; }
          if (v2 instanceof OrigMemory) remember(v2);
        }
      }
    }
  }
  WebAssembly.Memory = new Proxy(OrigMemory, {
    construct: function (target, args, newTarget) {
      var m = Reflect.construct(target, args, newTarget);
      remember(m);
      return m;
    },
  });
  function wrapInstantiate(name) {
    var orig = WebAssembly[name];
    if (typeof orig !== 'function') return;
    WebAssembly[name] = function (source, imports) {
      scan(imports);
      return orig.apply(this, arguments).then(function (result) {
        var instance = result && result.instance ? result.instance : result;
        if (instance && instance.exports) scan(instance.exports);
        return result;
      });
    };
  }
  wrapInstantiate('instantiate');
  wrapInstantiate('instantiateStreaming');

  // Counts the Workers the page starts (the runtimes' pthread pools), as evidence of the thread setup.
  var OrigWorker = window.Worker;
  var workers = [];
  window.__benchWorkers = workers;
  if (typeof OrigWorker === 'function') {
    window.Worker = new Proxy(OrigWorker, {
      construct: function (target, args, newTarget) {
        var w = Reflect.construct(target, args, newTarget);
        workers.push(String(args[0]).replace(/^.*\//, ''));
        return w;
      },
    });
  }
})();
