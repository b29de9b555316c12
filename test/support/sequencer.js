/**
 * The order of the test files. The heaviest suites (campaigns of thousands of recipients, the
 * crash and restart soaks, the long property and browser runs) each load both cores; two of
 * them side by side took each other from 290 s to 660 s in a clean run. So the order is planned
 * for jest's two workers: a heavy suite is placed where the other worker is running light ones,
 * by these rough durations (seconds in a clean run; a light suite counts LIGHT). New heavy suites
 * belong in HEAVY.
 */
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const HEAVY = {
  'campaignCrash.soak.ts': 330, 'campaigns.test.ts': 290, 'campaignRestart.soak.ts': 190, 'iysIntegrator.test.ts': 140,
  'console.test.ts': 130, 'segmentStream.test.ts': 100, 'journeyCrash.test.ts': 100, 'sendBatch.test.ts': 90,
};
const LIGHT = 15;
const WORKERS = 2;

class SpreadHeavySuites extends Sequencer {
  async sort(tests) {
    const weight = (t) => HEAVY[path.basename(t.path)];
    const heavy = tests.filter((t) => weight(t) !== undefined).sort((a, b) => weight(b) - weight(a));
    const light = await super.sort(tests.filter((t) => weight(t) === undefined));
    // Simulated workers: each takes the next file when it is free; a heavy one only while no other heavy one runs.
    const busyUntil = Array(WORKERS).fill(0);
    const heavyUntil = Array(WORKERS).fill(0);
    const order = [];
    while (heavy.length + light.length > 0) {
      const w = busyUntil.indexOf(Math.min(...busyUntil));
      const now = busyUntil[w];
      const otherHeavy = heavyUntil.some((end, i) => i !== w && end > now);
      const next = heavy.length > 0 && (!otherHeavy || light.length === 0) ? heavy.shift() : light.shift();
      const took = weight(next) ?? LIGHT;
      busyUntil[w] = now + took;
      heavyUntil[w] = weight(next) !== undefined ? now + took : 0;
      order.push(next);
    }
    return order;
  }
}

module.exports = SpreadHeavySuites;
