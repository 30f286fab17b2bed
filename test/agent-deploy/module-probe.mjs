// Preloaded into an agent process (NODE_OPTIONS=--import) by switch-modules.int.test.ts: appends
// `<wall ms> <module>` to $EDGEWATT_MODULE_PROBE for every Node.js built-in module the process
// loads, as it first sees it (polled every 20 ms; the list only grows). Lazy built-ins are compiled
// on the event loop the first time they are used, so one loaded during a deployment is a pause
// that only the first deployment of a process has. Every poll touches the file (its mtime says
// the list is complete up to then).

import { appendFileSync, utimesSync } from 'node:fs';

const out = process.env.EDGEWATT_MODULE_PROBE;
if (out !== undefined) {
  let seen = 0;
  const poll = () => {
    const list = process.moduleLoadList;
    const now = Date.now();
    appendFileSync(
      out,
      list
        .slice(seen)
        .map((name) => `${now} ${name}\n`)
        .join(''),
    );
    seen = list.length;
    utimesSync(out, now / 1000, now / 1000);
  };
  poll();
  setInterval(poll, 20).unref();
  process.on('exit', poll);
}
