// The browser side of the plots: reads the plot specifications (plot-spec.ts) from the page's
// <script type="application/json" id="edgewatt-plots"> and draws each with uPlot into the element
// of the same id. Plain ES2017 in a string, inlined into the page after uPlot: the user builds
// nothing. Each drawn plot records its series lengths in data-series-points (the browser test reads it).

export const PLOT_SCRIPT = `
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('edgewatt-plots').textContent);
  var dpr = function () { return window.devicePixelRatio || 1; };
  function finite(v) { return typeof v === 'number' && isFinite(v); }
  function yRange(spec) {
    var lo = Infinity, hi = -Infinity;
    function see(v) { if (finite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    spec.series.forEach(function (s) {
      s.values.forEach(see); (s.lo || []).forEach(see); (s.hi || []).forEach(see);
    });
    (spec.hLines || []).forEach(function (l) { see(l.y); });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (spec.zeroBased !== false && lo > 0 && spec.x !== 'time' && spec.x !== 'log') lo = Math.min(lo, 0);
    var pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    return [lo - (lo === 0 ? 0 : pad), hi + pad];
  }
  function xs(spec) {
    return spec.x === 'time' ? spec.xs.map(function (t) { return t / 1000; }) : spec.xs;
  }
  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el) throw new Error('no element for plot ' + spec.id);
    var holder = document.createElement('div');
    el.appendChild(holder);
    var names = spec.xNames || [];
    var category = spec.x === 'category';
    var whiskered = spec.series.filter(function (s) { return s.lo && s.hi; }).length;
    var series = [{ label: spec.xLabel }];
    spec.series.forEach(function (s) {
      var one = {
        label: s.name, stroke: s.color, width: s.style === 'points' ? 0 : 2, spanGaps: false,
        dash: s.dash ? [6, 4] : undefined,
        points: { show: s.style === 'points', size: 9, fill: s.color, stroke: s.color }
      };
      if (s.style === 'points') one.paths = function () { return null; };
      if (s.style === 'step') one.paths = uPlot.paths.stepped({ align: 1 });
      series.push(one);
    });
    var xScale = category
      ? { time: false, range: function () { return [-0.5, names.length - 0.5]; } }
      : spec.x === 'log' ? { time: false, distr: 3, log: 10 } : { time: spec.x === 'time' };
    var axes = [
      { label: spec.xLabel, stroke: '#5b6475', grid: { stroke: '#eceef2' } },
      { label: spec.yLabel, stroke: '#5b6475', grid: { stroke: '#eceef2' }, size: 64 }
    ];
    // Log axes hand null for ticks they leave unlabelled.
    function short(v) {
      if (v === null) return '';
      var a = Math.abs(v);
      return a >= 1e9 ? v / 1e9 + 'G' : a >= 1e6 ? v / 1e6 + 'M' : a >= 1e3 ? v / 1e3 + 'k' : String(+v.toPrecision(3));
    }
    if (spec.x === 'log') axes[0].values = function (u, splits) { return splits.map(short); };
    // uPlot's default labels round small values to the tick step's decimals (0.00075 -> "0.001").
    axes[1].values = function (u, splits) {
      return splits.map(function (v) {
        if (v === null) return '';
        if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
        return spec.yLog ? short(v) : String(+v.toPrecision(3));
      });
    };
    if (category) {
      axes[0].splits = function () { return names.map(function (_, i) { return i; }); };
      axes[0].values = function (u, splits) { return splits.map(function (i) { return names[i] || ''; }); };
      axes[0].grid = { show: false };
    }
    function px(u, v, scale) { return u.valToPos(v, scale, true); }
    var hooks = {
      drawClear: [function (u) {
        var ctx = u.ctx; ctx.save();
        ctx.beginPath(); ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); ctx.clip();
        (spec.bands || []).forEach(function (b) {
          var x0 = px(u, spec.x === 'time' ? b.from / 1000 : b.from, 'x');
          var x1 = px(u, spec.x === 'time' ? b.to / 1000 : b.to, 'x');
          ctx.fillStyle = b.color; ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
        });
        ctx.restore();
      }],
      draw: [function (u) {
        var ctx = u.ctx; var r = dpr(); ctx.save();
        ctx.beginPath(); ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); ctx.clip();
        var k = 0;
        spec.series.forEach(function (s, si) {
          if (!s.lo || !s.hi || !u.series[si + 1].show) return;
          var shift = category && whiskered > 1 ? (k - (whiskered - 1) / 2) * 14 * r : 0; k++;
          ctx.strokeStyle = s.color; ctx.lineWidth = 2 * r;
          for (var i = 0; i < spec.xs.length; i++) {
            if (!finite(s.lo[i]) || !finite(s.hi[i])) continue;
            var x = px(u, xs(spec)[i], 'x') + shift, y0 = px(u, s.lo[i], 'y'), y1 = px(u, s.hi[i], 'y');
            ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y1);
            ctx.moveTo(x - 6 * r, y0); ctx.lineTo(x + 6 * r, y0); ctx.moveTo(x - 6 * r, y1); ctx.lineTo(x + 6 * r, y1);
            ctx.stroke();
            // Where uPlot's own points are nulled out (below), every dot is drawn here: the middle
            // series' of an odd number (shift 0) too.
            if (category && whiskered > 1 && finite(s.values[i])) {
              ctx.fillStyle = s.color; ctx.beginPath(); ctx.arc(x, px(u, s.values[i], 'y'), 4.5 * r, 0, 7); ctx.fill();
            }
          }
        });
        ctx.font = (11 * r) + 'px system-ui, sans-serif';
        (spec.hLines || []).forEach(function (l) {
          var y = px(u, l.y, 'y'); ctx.strokeStyle = l.color; ctx.lineWidth = 1.5 * r;
          ctx.setLineDash(l.dash ? [6 * r, 4 * r] : []);
          ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
          ctx.fillStyle = l.color; ctx.fillText(l.label, u.bbox.left + 4 * r, y - 3 * r);
        });
        (spec.vLines || []).forEach(function (l, li) {
          var x = px(u, l.x, 'x'); ctx.strokeStyle = l.color; ctx.lineWidth = 1.5 * r; ctx.setLineDash([4 * r, 3 * r]);
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          ctx.fillStyle = l.color; ctx.fillText(l.label, x + 3 * r, u.bbox.top + (12 + 14 * li) * r);
        });
        ctx.restore();
      }]
    };
    var yr = yRange(spec);
    var data = [xs(spec)].concat(spec.series.map(function (s) {
      // With whiskers offset beside each other, the points are drawn by the hook instead.
      return category && whiskered > 1 && s.lo ? s.values.map(function () { return null; }) : s.values;
    }));
    var width = Math.max(260, el.clientWidth - 10);
    var u = new uPlot({
      width: width, height: spec.heightPx || 260, series: series, axes: axes, hooks: hooks,
      scales: { x: xScale, y: spec.yLog ? { distr: 3, log: 10 } : { range: function () { return yr; } } },
      legend: { show: true, live: !category }, cursor: { drag: { x: !category, y: false } }
    }, data, holder);
    if (spec.bands && spec.bands.length) {
      var seen = {}; var legend = document.createElement('p'); legend.className = 'legend-note';
      spec.bands.forEach(function (b) {
        if (seen[b.label + b.color]) return; seen[b.label + b.color] = 1;
        var sw = document.createElement('span');
        sw.style.cssText = 'display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;border:1px solid #999;background:' + b.color;
        legend.appendChild(sw); legend.appendChild(document.createTextNode(b.label));
      });
      el.appendChild(legend);
    }
    el.setAttribute('data-series-points', JSON.stringify(spec.series.map(function (s) {
      return s.values.filter(finite).length;
    })));
    window.addEventListener('resize', function () {
      u.setSize({ width: Math.max(260, el.clientWidth - 10), height: spec.heightPx || 260 });
    });
    return u;
  }
  // Pages that make plots later (the compare form) draw them through this.
  window.edgewattDraw = draw;
  window.edgewattPlots = specs.map(function (spec) {
    try { return draw(spec); } catch (error) {
      console.error('plot ' + spec.id + ': ' + (error && error.message));
      return null;
    }
  });
})();
`;
