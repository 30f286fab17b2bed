// `/compare`: a form for the life-cycle comparison on the collector's own web page. With JavaScript
// it POSTs the scenario text to the existing API (POST /v1/compare, YAML) and draws the answer; the
// API's limits and token rules apply unchanged (recording the result needs the API token, sent as
// `Authorization: Bearer`). Without JavaScript, a plain form runs a stored scenario
// (GET /v1/compare?scenario=<name>) and the browser shows the JSON.

import { esc, page } from './html.js';
import { nav } from './nav.js';

/** The scenario the form starts with: examples/scenarios/pi4-wifi-gpu.yaml without its comments. */
export const STARTER_SCENARIO = `samples: 10000
seed: 42
allocation: dedicated
energyBasis: gross
workload: { inferencesPerDay: 20000, inputBytes: 784, outputBytes: 40 }
device: { profile: rpi4, region: BE, energyJ: 0.05, latencyS: 0.004, idleW: 2.7,
          embodiedKg: 9.5, lifetimeYears: 5, accuracy: 0.91 }
offloadDevice: { profile: esp32 }
network: { profile: wifi, model: attributional, rttS: 0.05 }
datacenter: { profile: gpu-server, region: US, pue: 1.2, energyJ: 0.002, powerW: 2000,
              embodiedKg: 1500, lifetimeYears: 5, utilization: 0.5, accuracy: 0.93 }
`;

const COMPARE_SCRIPT = `
(function () {
  'use strict';
  var form = document.getElementById('compare-form');
  var out = document.getElementById('compare-result');
  function fmt(v) { return typeof v === 'number' && isFinite(v) ? (+v.toPrecision(3)).toString() : '–'; }
  function cell(t) { var td = document.createElement('td'); td.textContent = t; return td; }
  function row(tb, cells) { var tr = document.createElement('tr'); cells.forEach(function (c) { tr.appendChild(cell(c)); }); tb.appendChild(tr); }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    out.textContent = 'running…';
    var headers = { 'content-type': 'application/yaml' };
    var token = form.elements.token.value;
    var query = new URLSearchParams();
    if (form.elements.record.checked) query.set('record', 'true');
    var skip = form.elements.skipFirst.value.trim();
    if (skip !== '' && skip !== '0') query.set('skipFirst', skip);
    if (token) headers.authorization = 'Bearer ' + token;
    var qs = query.toString();
    fetch('/v1/compare' + (qs ? '?' + qs : ''), { method: 'POST', headers: headers, body: form.elements.scenario.value })
      .then(function (response) { return response.json().then(function (body) { return { status: response.status, body: body }; }); })
      .then(function (answer) {
        out.textContent = '';
        var b = answer.body;
        if (answer.status !== 200) {
          var p = document.createElement('p'); p.className = 'warn';
          p.textContent = 'HTTP ' + answer.status + ': ' + (b.error || '');
          out.appendChild(p); return;
        }
        var t = document.createElement('table'); t.className = 'compare-answer';
        t.innerHTML = '<caption>gCO₂e per inference (estimate): central value and 5–95 % Monte Carlo interval.</caption><thead><tr><th>placement</th><th>central</th><th>5 %</th><th>95 %</th></tr></thead>';
        var tb = document.createElement('tbody'); t.appendChild(tb);
        [['edge', b.edge.total], ['offload', b.offload.total], ['edge − offload', b.difference]].forEach(function (r) {
          row(tb, [r[0], fmt(r[1].central), fmt(r[1].p5), fmt(r[1].p95)]);
        });
        out.appendChild(t);
        var p2 = document.createElement('p');
        var be = b.breakEvenInferencesPerDay || {};
        p2.textContent = 'Probability edge is lower: ' + fmt(b.probabilityEdgeLower) + '. Break-even: ' + (be.reason || '–') + (b.recorded ? '. Recorded in the store.' : '.');
        out.appendChild(p2);
        (b.warnings || []).forEach(function (w) { var q = document.createElement('p'); q.className = 'warn'; q.textContent = w; out.appendChild(q); });
        var holder = document.createElement('div'); holder.className = 'plot';
        holder.innerHTML = '<h3>Edge against offload (estimate)</h3><div id="plot-compare"></div><p class="caption">gCO₂e per inference at central values; whiskers: 5–95 % of the Monte Carlo draws.</p>';
        out.appendChild(holder);
        window.edgewattDraw({
          id: 'plot-compare', title: '', caption: '', yLabel: 'gCO₂e per inference', xLabel: 'placement', x: 'category',
          xs: [0, 1], xNames: ['edge', 'offload'],
          series: [
            { name: 'edge', values: [b.edge.total.central, null], lo: [b.edge.total.p5, null], hi: [b.edge.total.p95, null], style: 'points', color: '#0072B2' },
            { name: 'offload', values: [null, b.offload.total.central], lo: [null, b.offload.total.p5], hi: [null, b.offload.total.p95], style: 'points', color: '#E69F00' }
          ]
        });
      })
      .catch(function (error) { out.textContent = 'request failed: ' + error.message; });
  });
})();
`;

/** compare --skip-first: for `measured` values, the first records of each device and model are left out (warm-up). */
const SKIP_FIRST_FIELD =
  '<label>skip first <input type="number" name="skipFirst" min="0" step="1" value="0" size="6"> records of each device and model</label> <span class="meta">(warm-up; for <code>measured</code> values, as <code>compare --skip-first</code>)</span>';

export function renderComparePage(scenarios: string[], starter: string): string {
  const options = scenarios.map((name) => `<option>${esc(name)}</option>`).join('');
  const body = `${nav('compare')}<main>
<h1>Compare edge and offload</h1>
<p class="meta">Runs the life-cycle comparison of the collector's API (<code>POST /v1/compare</code>): per-inference carbon on the board against offloading, with Monte Carlo intervals. All results are estimates from sourced factor ranges (docs/methodology.md).</p>
<form id="compare-form" class="compare">
<label for="scenario">Scenario (YAML)</label>
<textarea id="scenario" name="scenario" spellcheck="false">${esc(starter)}</textarea>
<p><label><input type="checkbox" name="record"> also record the result in the collector's store</label>
<label>API token <input type="password" name="token" autocomplete="off" size="24"></label>
<span class="meta">(recording needs the collector's --api-token; nothing else does)</span></p>
<p>${SKIP_FIRST_FIELD}</p>
<button type="submit">Compare</button>
</form>
<div id="compare-result" aria-live="polite"></div>
<h2>Stored scenarios</h2>
${
  scenarios.length === 0
    ? '<p class="meta">The collector\'s scenarios folder holds none.</p>'
    : `<form method="get" action="/v1/compare"><label>scenario <select name="scenario">${options}</select></label> ${SKIP_FIRST_FIELD} <button>run (JSON)</button></form>`
}
</main>`;
  return page({ title: 'edgewatt — compare', body, plots: [], extraScript: COMPARE_SCRIPT });
}
