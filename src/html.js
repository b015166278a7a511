/* mqttbench report: draws the charts as inline SVG from the JSON block
   #mqttbench-data that src/html.c writes (per-second rates and latencies,
   percentile rows, phases). No library and nothing fetched. Every number
   shown is one of the data's; the script only places and formats them.
   On success the body gets data-rendered="ok"; on an error, "error" and the
   message on the page (tests/integration/report.sh looks for both). */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var W = 960, H = 330;
  var M = { left: 76, right: 20, top: 12, bottom: 46 };
  var RIBBON = 14;

  function svg(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(name, attrs, parent, text) {
    var e = document.createElement(name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function runColor(i) {
    var c = getComputedStyle(document.documentElement).getPropertyValue('--run-' + (i % 8));
    return (c && c.trim()) || '#374151';
  }

  /* ---- formatting ---- */

  function sig3(v) {
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  }

  function fmtUs(us) {
    if (us === null || us === undefined || !isFinite(us)) return '\u2013';
    if (us === 0) return '0';
    if (us < 1) return sig3(us * 1000) + ' ns';
    if (us < 1000) return sig3(us) + ' \u00b5s';
    if (us < 1e6) return sig3(us / 1000) + ' ms';
    return sig3(us / 1e6) + ' s';
  }

  function fmtRate(v) {
    if (v === null || v === undefined || !isFinite(v)) return '\u2013';
    if (Math.abs(v) >= 1e6) return sig3(v / 1e6) + 'M';
    if (Math.abs(v) >= 1e3) return sig3(v / 1e3) + 'k';
    return v.toFixed(0);
  }

  function fmtSeconds(s) {
    return (Math.abs(s) < 10 && s !== Math.round(s) ? s.toFixed(1) : s.toFixed(0)) + ' s';
  }

  /* An axis label: the same without trailing zeros ("10 ms", "2.5 ms", "50k"). */
  function tick(fmt) {
    return function (v) { return fmt(v).replace(/\.0+(?=[^0-9]|$)/, '').replace(/(\.[0-9]*[1-9])0+(?=[^0-9]|$)/, '$1'); };
  }

  /* 99.9 -> "99.9%", 100 -> "100% (max)". */
  function fmtPct(p) {
    if (p >= 100) return '100% (max)';
    var s = p.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
    return s + '%';
  }

  /* ---- scales and ticks ---- */

  function log10(v) { return Math.log(v) / Math.LN10; }

  function scale(d0, d1, r0, r1) {
    var k = (r1 - r0) / ((d1 - d0) || 1);
    var f = function (v) { return r0 + (v - d0) * k; };
    f.invert = function (p) { return d0 + (p - r0) / k; };
    return f;
  }

  function logScale(d0, d1, r0, r1) {
    var f = scale(log10(d0), log10(d1), r0, r1);
    var g = function (v) { return f(log10(v)); };
    g.invert = function (p) { return Math.pow(10, f.invert(p)); };
    return g;
  }

  function niceStep(span, count) {
    var raw = span / Math.max(1, count);
    var mag = Math.pow(10, Math.floor(log10(raw)));
    var n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  }

  function linearTicks(min, max, count) {
    var step = niceStep(max - min, count), out = [];
    for (var v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  /* Decades, with 2 and 5 between them when there are few. */
  function logTicks(min, max) {
    var out = [], lo = Math.floor(log10(min)), hi = Math.ceil(log10(max));
    var mults = hi - lo <= 2 ? [1, 2, 5] : [1];
    for (var e = lo; e <= hi; e++)
      for (var i = 0; i < mults.length; i++) {
        var v = mults[i] * Math.pow(10, e);
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    return out;
  }

  /* ---- one chart ---- */

  /* opts: id, x {min, max, ticks [{v, label}], label, fmt} or x {auto, log,
     toggle, tickFmt, label, fmt} (domain and ticks from the series), y {log,
     label, fmt, toggle}, series [{id, name, color, dash, xs, ys, labels,
     points (per point: 'pass', 'fail' or 'tool'), markers}], ribbons [{name,
     color, segs [{from, to, cls, label}]}], marks [{v, label, color, dash,
     text, row}] (vertical), hmarks [{v, label}] (horizontal, in the y
     domain), spans [{from, to, id, label}] (shaded the plot's height), key
     [{shape, text}], empty (text when there is nothing to draw). */
  function Chart(container, opts) {
    this.el = container;
    this.opts = opts;
    this.hidden = {};
    this.logY = !!opts.y.log;
    this.logX = !!opts.x.log;
    this.el.innerHTML = '';
    if (!opts.series.length) {
      html('div', { 'class': 'empty' }, this.el, opts.empty || 'No data.');
      return;
    }
    var self = this;
    var ctls = (opts.x.toggle || opts.y.toggle) ? html('div', { 'class': 'controls' }, this.el) : null;
    [['x', 'logX', 'log-toggle-x', ' log x'], ['y', 'logY', 'log-toggle', opts.x.toggle ? ' log y' : ' log scale']]
      .forEach(function (t) {
        if (!opts[t[0]].toggle) return;
        var ctl = html('label', {}, ctls);
        var box = html('input', { type: 'checkbox', 'class': t[2] }, ctl);
        box.checked = self[t[1]];
        ctl.appendChild(document.createTextNode(t[3]));
        box.addEventListener('change', function () { self[t[1]] = box.checked; self.draw(); });
      });
    this.holder = html('div', {}, this.el);
    this.legend = html('div', { 'class': 'legend' }, this.el);
    this.tip = html('div', { 'class': 'tooltip' }, this.el);
    opts.series.forEach(function (s) {
      var b = html('button', { type: 'button', 'data-series': s.id }, self.legend);
      var sw = svg('svg', { viewBox: '0 0 26 10' }, b);
      svg('line', { x1: 1, y1: 5, x2: 25, y2: 5, stroke: s.color, 'stroke-width': 2.5, 'stroke-dasharray': s.dash }, sw);
      b.appendChild(document.createTextNode(s.name));
      b.addEventListener('click', function () {
        self.hidden[s.id] = !self.hidden[s.id];
        b.classList.toggle('off', !!self.hidden[s.id]);
        self.draw();
      });
    });
    (opts.key || []).forEach(function (k) {
      var span = html('span', { 'class': 'key' }, self.legend);
      keyShape(svg('svg', { viewBox: '0 0 26 10' }, span), k.shape);
      span.appendChild(document.createTextNode(k.text));
    });
    this.draw();
  }

  /* A step's marker: filled (passed), hollow (failed), a hollow square
     (mqttbench set the pace). */
  function pointShape(g, x, y, kind, color) {
    if (kind === 'tool')
      return svg('rect', { x: x - 3.5, y: y - 3.5, width: 7, height: 7, fill: '#fff', stroke: color,
                           'stroke-width': 1.6, 'data-step': kind }, g);
    if (kind === 'fail')
      return svg('circle', { cx: x, cy: y, r: 3.6, fill: '#fff', stroke: color, 'stroke-width': 1.6,
                             'data-step': kind }, g);
    return svg('circle', { cx: x, cy: y, r: kind ? 3.4 : 2.6, fill: color, 'data-step': kind }, g);
  }

  function keyShape(sw, shape) {
    var ink = '#374151';
    if (shape === 'vline' || shape === 'vdot')
      svg('line', { x1: 13, y1: 0, x2: 13, y2: 10, stroke: ink, 'stroke-width': 1.5,
                    'stroke-dasharray': shape === 'vdot' ? '2 2' : null }, sw);
    else if (shape === 'hline')
      svg('line', { x1: 1, y1: 5, x2: 25, y2: 5, 'class': 'objective' }, sw);
    else
      pointShape(sw, 13, 5, shape, ink).removeAttribute('data-step');   /* a key, not a step */
  }

  Chart.prototype.visible = function () {
    var self = this;
    return this.opts.series.filter(function (s) { return !self.hidden[s.id]; });
  };

  /* The x domain of an auto axis: from 0 (linear), or a little either side
     of the points (log). */
  Chart.prototype.xDomain = function (series) {
    var lo = Infinity, hi = -Infinity, logX = this.logX;
    series.forEach(function (s) {
      s.xs.forEach(function (v, i) {
        if (v === null || !isFinite(v) || (logX && v <= 0) || s.ys[i] === null) return;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      });
    });
    if (!isFinite(lo)) { lo = 1; hi = 10; }
    if (logX) return hi > lo ? [lo / 1.2, hi * 1.2] : [lo / 2, lo * 2];
    if (hi <= 0) hi = 1;
    var step = niceStep(hi, 8);
    return [0, Math.ceil(hi * 1.04 / step) * step];
  };

  Chart.prototype.yDomain = function (series) {
    var lo = Infinity, hi = -Infinity, logY = this.logY;
    (this.opts.hmarks || []).forEach(function (m) {
      if (m.v > 0 || !logY) { lo = Math.min(lo, m.v); hi = Math.max(hi, m.v); }
    });
    series.forEach(function (s) {
      s.ys.forEach(function (v) {
        if (v === null || !isFinite(v) || (logY && v <= 0)) return;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      });
    });
    if (!isFinite(lo)) { lo = logY ? 1 : 0; hi = logY ? 10 : 1; }
    if (logY) {
      lo = Math.pow(10, Math.floor(log10(lo)));
      hi = Math.pow(10, Math.ceil(log10(hi)));
      if (hi <= lo) hi = lo * 10;
      return [lo, hi];
    }
    if (hi <= 0) hi = 1;
    var step = niceStep(hi, 5);
    return [0, Math.ceil(hi * 1.04 / step) * step];
  };

  Chart.prototype.draw = function () {
    var o = this.opts, self = this;
    var series = this.visible();
    var ribbons = o.ribbons || [];
    var top = M.top + ribbons.length * RIBBON + (ribbons.length ? 4 : 0);
    var x0 = M.left, x1 = W - M.right, y0 = H - M.bottom, y1 = top;
    var logX = !!o.x.auto && this.logX;
    var xdom = o.x.auto ? this.xDomain(series) : [o.x.min, o.x.max];
    var xs = logX ? logScale(xdom[0], xdom[1], x0, x1) : scale(xdom[0], xdom[1], x0, x1);
    var xticks = !o.x.auto ? o.x.ticks
      : (logX ? logTicks(xdom[0], xdom[1]) : linearTicks(xdom[0], xdom[1], 8))
          .map(function (v) { return { v: v, label: tick(o.x.tickFmt)(v) }; });
    var dom = this.yDomain(series);
    var logY = this.logY;
    var ys = logY ? logScale(dom[0], dom[1], y0, y1) : scale(dom[0], dom[1], y0, y1);

    this.holder.innerHTML = '';
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, id: 'svg-' + o.id, role: 'img',
                            'aria-label': o.title || o.id }, this.holder);
    /* grid and axes */
    var grid = svg('g', { 'class': 'grid' }, root);
    var axis = svg('g', { 'class': 'axis' }, root);
    var yt = logY ? logTicks(dom[0], dom[1]) : linearTicks(dom[0], dom[1], 5);
    yt.forEach(function (v) {
      var y = ys(v);
      svg('line', { x1: x0, x2: x1, y1: y, y2: y }, grid);
      svg('text', { x: x0 - 6, y: y + 4, 'text-anchor': 'end' }, axis).textContent = tick(o.y.fmt)(v);
    });
    xticks.forEach(function (t) {
      var x = xs(t.v);
      if (x < x0 - 0.5 || x > x1 + 0.5) return;
      svg('line', { x1: x, x2: x, y1: y1, y2: y0 }, grid);
      svg('text', { x: x, y: y0 + 16, 'text-anchor': x > x1 - 30 ? 'end' : 'middle' }, axis).textContent = t.label;
    });
    svg('line', { x1: x0, x2: x1, y1: y0, y2: y0 }, axis);
    svg('line', { x1: x0, x2: x0, y1: y1, y2: y0 }, axis);
    svg('text', { x: (x0 + x1) / 2, y: H - 8, 'text-anchor': 'middle' }, axis).textContent = o.x.label;
    svg('text', { x: 14, y: (y0 + y1) / 2, 'text-anchor': 'middle',
                  transform: 'rotate(-90 14 ' + (y0 + y1) / 2 + ')' }, axis).textContent = o.y.label;

    /* spans (outages), under the series */
    (o.spans || []).forEach(function (sp) {
      var a = Math.max(x0, xs(sp.from)), b = Math.min(x1, xs(sp.to));
      if (b < x0 || a > x1) return;
      if (b - a < 2) b = a + 2;   /* a short outage stays visible */
      var r = svg('rect', { x: a, y: y1, width: b - a, height: y0 - y1, 'class': 'outage', 'data-outage': sp.id }, root);
      svg('title', {}, r).textContent = sp.label;
    });

    /* phase ribbons, one row a run */
    ribbons.forEach(function (rb, i) {
      var g = svg('g', { 'class': 'ribbon', 'data-run': rb.name }, root);
      var y = M.top + i * RIBBON;
      rb.segs.forEach(function (s) {
        var a = Math.max(x0, xs(s.from)), b = Math.min(x1, xs(s.to));
        if (b - a < 2) b = a + 2;   /* a short phase stays visible */
        var r = svg('rect', { x: a, y: y, width: b - a, height: RIBBON - 3, 'class': 'phase phase-' + s.cls,
                              'data-phase': s.cls }, g);
        svg('title', {}, r).textContent = rb.name + ': ' + s.label + ', ' + (s.to - s.from).toFixed(3) + ' s';
        if (b - a > 54)
          svg('text', { x: a + 4, y: y + RIBBON - 5 }, g).textContent = rb.name + ' ' + s.label;
      });
      svg('rect', { x: x0 - 14, y: y, width: 9, height: RIBBON - 3, fill: rb.color }, g);
    });
    (o.marks || []).forEach(function (m) {
      if (logX && m.v <= 0) return;
      var x = xs(m.v);
      if (x < x0 || x > x1) return;
      var line = svg('line', { x1: x, x2: x, y1: y1, y2: y0, 'class': m.color ? 'mark' : 'crosshair',
                               stroke: m.color, 'stroke-dasharray': m.dash, 'data-mark': m.label }, root);
      if (m.title) svg('title', {}, line).textContent = m.title;
      if (m.text)
        svg('text', { x: x + 3, y: y1 + 11 + 12 * (m.row || 0), 'class': 'mark-text', fill: m.color },
            root).textContent = m.text;
    });
    (o.hmarks || []).forEach(function (m, i) {
      if (logY && m.v <= 0) return;
      var y = ys(m.v);
      if (y < y1 || y > y0) return;
      svg('line', { x1: x0, x2: x1, y1: y, y2: y, 'class': 'objective', 'data-hmark': m.label }, root);
      /* labels alternate ends, so two close limits stay readable */
      svg('text', { x: i % 2 ? x0 + 4 : x1 - 4, y: y - 4, 'text-anchor': i % 2 ? 'start' : 'end',
                    'class': 'objective-text' }, root).textContent = m.label;
    });

    /* series: a path broken at missing values; markers when points are few */
    var clip = 'clip-' + o.id;
    var defs = svg('defs', {}, root);
    svg('rect', { x: x0, y: y1, width: x1 - x0, height: y0 - y1 }, svg('clipPath', { id: clip }, defs));
    o.series.forEach(function (s) {
      var d = '', pen = false, n = 0, hidden = !!self.hidden[s.id];
      for (var i = 0; i < s.xs.length; i++) {
        var v = s.ys[i];
        if (v === null || !isFinite(v) || (logY && v <= 0) || (logX && !(s.xs[i] > 0))) { pen = false; continue; }
        d += (pen ? 'L' : 'M') + xs(s.xs[i]).toFixed(1) + ' ' + ys(v).toFixed(1);
        pen = true;
        n++;
      }
      svg('path', { id: s.id, d: d || 'M0 0', 'class': 'series' + (hidden ? ' hidden' : ''), stroke: s.color,
                    'stroke-dasharray': s.dash, 'stroke-width': s.width, 'clip-path': 'url(#' + clip + ')', 'data-points': n }, root);
      if (n && n < 40 && s.markers !== false) {
        var g = svg('g', { 'class': 'marker' + (hidden ? ' hidden' : ''), 'data-series': s.id }, root);
        for (var k = 0; k < s.xs.length; k++) {
          var w = s.ys[k];
          if (w === null || !isFinite(w) || (logY && w <= 0)) continue;
          pointShape(g, xs(s.xs[k]), ys(w), s.points ? s.points[k] : null, s.color);
        }
      }
    });

    /* hover: a crosshair and each visible series' nearest point */
    var cross = svg('line', { y1: y1, y2: y0, 'class': 'crosshair', visibility: 'hidden' }, root);
    var hit = svg('rect', { x: x0, y: y1, width: x1 - x0, height: y0 - y1, fill: 'transparent' }, root);
    var tip = this.tip, el = this.el;
    hit.addEventListener('mousemove', function (ev) {
      var box = root.getBoundingClientRect();
      var px = (ev.clientX - box.left) * W / box.width;
      var xv = xs.invert(px);
      cross.setAttribute('x1', px);
      cross.setAttribute('x2', px);
      cross.setAttribute('visibility', 'visible');
      tip.innerHTML = '';
      if (o.x.fmt) html('div', {}, tip, o.x.fmt(xv));
      series.forEach(function (s) {
        var i = nearest(s.xs, xv);
        if (i < 0) return;
        var row = html('div', { 'class': 'row' }, tip);
        html('span', { style: 'color:' + s.color }, row, s.name + (s.labels ? ' ' + s.labels[i] : ''));
        html('b', {}, row, s.ys[i] === null ? '\u2013' : o.y.fmt(s.ys[i], true));
      });
      var eb = el.getBoundingClientRect();
      var left = ev.clientX - eb.left + 14;
      tip.style.display = 'block';
      if (left + tip.offsetWidth > eb.width) left = ev.clientX - eb.left - tip.offsetWidth - 14;
      tip.style.left = left + 'px';
      tip.style.top = (ev.clientY - eb.top + 10) + 'px';
    });
    hit.addEventListener('mouseleave', function () {
      cross.setAttribute('visibility', 'hidden');
      tip.style.display = 'none';
    });
  };

  /* Index of the x in xs (sorted or not: a sweep's achieved rates can fall
     back) nearest to v; -1 when xs is empty. */
  function nearest(xs, v) {
    var best = -1;
    for (var i = 0; i < xs.length; i++)
      if (xs[i] !== null && (best < 0 || Math.abs(xs[i] - v) < Math.abs(xs[best] - v))) best = i;
    return best;
  }

  /* ---- the report's charts ---- */

  function phaseRibbons(runs) {
    return runs.map(function (r) {
      var p = r.phases, segs = [];
      var pub = p.measure_s - p.drain_s;
      segs.push({ from: -(p.connect_s + p.warmup_s), to: -p.warmup_s, cls: 'connect', label: 'connect' });
      if (p.warmup_s > 0) segs.push({ from: -p.warmup_s, to: 0, cls: 'warmup', label: 'warm-up' });
      segs.push({ from: 0, to: pub, cls: 'measure', label: 'measure' });
      if (p.drain_s > 0) segs.push({ from: pub, to: p.measure_s, cls: 'drain', label: 'drain' });
      outageSpans([r]).forEach(function (sp) {
        segs.push({ from: sp.from, to: sp.to, cls: 'outage', label: 'outage' });
      });
      return { name: r.letter, color: r.color, segs: segs };
    });
  }

  /* Each run's outages as spans: one not over by the end runs to it. */
  function outageSpans(runs) {
    var spans = [];
    runs.forEach(function (r) {
      (r.outages || []).forEach(function (u, i) {
        var to = u.end_s === null ? Math.max(u.start_s, r.phases.measure_s) : u.end_s;
        var what = u.lost === null ? '' : ', ' + u.lost + ' lost, ' + u.duplicates + ' duplicated';
        spans.push({ from: u.start_s, to: to, id: r.letter + '-' + i,
                     label: r.letter + ': outage ' + (i + 1) + ', ' + u.clients + ' connection' +
                            (u.clients === 1 ? '' : 's') + ' lost, ' +
                            (u.end_s === null ? 'not back by the end' : (to - u.start_s).toFixed(3) + ' s') + what });
      });
    });
    return spans;
  }

  function timeAxis(runs) {
    var lo = 0, hi = 0;
    runs.forEach(function (r) {
      var p = r.phases, t = r.seconds.t;
      lo = Math.min(lo, -(p.connect_s + p.warmup_s));
      hi = Math.max(hi, p.measure_s, t.length ? t[t.length - 1] : 0);
    });
    if (hi <= lo) hi = lo + 1;
    var ticks = linearTicks(lo, hi, 8).map(function (v) { return { v: v, label: fmtSeconds(v) }; });
    return { min: lo, max: hi, ticks: ticks, label: 'seconds since the measured phase began',
             fmt: function (v) { return 't = ' + v.toFixed(2) + ' s'; } };
  }

  function rateChart(runs) {
    var series = [];
    runs.forEach(function (r) {
      if (r.mode !== 'sub')
        series.push({ id: 'rate-' + r.index + '-sent', name: r.letter + ' published', color: r.color, dash: '6 4',
                      xs: r.seconds.t, ys: r.seconds.sent });
      if (r.mode !== 'pub')
        series.push({ id: 'rate-' + r.index + '-received', name: r.letter + ' received', color: r.color,
                      xs: r.seconds.t, ys: r.seconds.received });
    });
    return { id: 'rate', title: 'Throughput over time', series: series, ribbons: phaseRibbons(runs),
             spans: outageSpans(runs), marks: [{ v: 0, label: 'measure' }], x: timeAxis(runs),
             y: { label: 'messages / s', fmt: function (v, exact) { return exact ? v.toFixed(0) + ' /s' : fmtRate(v); } },
             empty: 'No per-second points in these results.' };
  }

  function latencyTimeChart(runs) {
    var series = [];
    runs.forEach(function (r) {
      if (r.mode === 'pub') return;
      series.push({ id: 'lat-' + r.index + '-p50', name: r.letter + ' p50', color: r.color,
                    xs: r.seconds.t, ys: r.seconds.p50 });
      series.push({ id: 'lat-' + r.index + '-p99', name: r.letter + ' p99', color: r.color, dash: '6 4',
                    xs: r.seconds.t, ys: r.seconds.p99 });
    });
    return { id: 'latency-time', title: 'Latency over time', series: series, ribbons: phaseRibbons(runs),
             spans: outageSpans(runs), marks: [{ v: 0, label: 'measure' }], x: timeAxis(runs),
             y: { label: 'latency', log: true, toggle: true, fmt: fmtUs },
             empty: 'No latency: a pub result receives nothing.' };
  }

  /* HdrHistogram's axis: x = log10(1 / (1 - p)); 0 is 0%, 1 is 90%, 2 is
     99%, ... The 100% row (the max) is placed at log10(count): one value in
     count. */
  function ninesSeries(id, name, color, dash, h) {
    var xs = [], labels = [];
    for (var i = 0; i < h.p.length; i++) {
      var p = h.p[i], x;
      if (p < 100) x = log10(100 / (100 - p));
      else x = Math.max(log10(Math.max(h.count, 1)), (xs.length ? xs[xs.length - 1] : 0) + 0.25);
      xs.push(x);
      labels.push(p >= 100 ? 'max' : 'p' + fmtPct(p).replace('%', ''));
    }
    return { id: id, name: name, color: color, dash: dash, xs: xs, ys: h.v, labels: labels };
  }

  function ninesAxis(series) {
    var hi = 1;
    series.forEach(function (s) { if (s.xs.length) hi = Math.max(hi, s.xs[s.xs.length - 1]); });
    hi = Math.ceil(hi);
    var ticks = [];
    for (var k = 0; k <= hi; k++) {
      var label = k === 0 ? '0%' : (100 - 100 / Math.pow(10, k)).toFixed(Math.max(0, k - 2)) + '%';
      ticks.push({ v: k, label: label });
    }
    return { min: 0, max: hi, ticks: ticks, label: 'percentile' };
  }

  function percentileChart(runs) {
    var series = [];
    runs.forEach(function (r) {
      if (r.latency)
        series.push(ninesSeries('pct-' + r.index + '-latency', r.letter + ' latency (from ' + r.latency_from + ')',
                                r.color, null, r.latency));
      if (r.service)
        series.push(ninesSeries('pct-' + r.index + '-service', r.letter + ' service latency (from the send call)',
                                r.color, '6 4', r.service));
    });
    return { id: 'percentiles', title: 'Latency percentile distribution', series: series, x: ninesAxis(series),
             y: { label: 'latency', toggle: true, fmt: fmtUs },
             empty: 'No latency: a pub result receives nothing.' };
  }

  function connectChart(runs) {
    var series = [];
    runs.forEach(function (r) {
      if (r.connect)
        series.push(ninesSeries('conn-' + r.index, r.letter + ' connect to CONNACK', r.color, null, r.connect));
    });
    return { id: 'connect', title: 'Connect time distribution', series: series, x: ninesAxis(series),
             y: { label: 'connect time', toggle: true, fmt: fmtUs },
             empty: 'No client connected in these results.' };
  }

  /* The sweep's curve: each step's latency percentiles against the rate it
     delivered, in the order of the targets; the objective's latency limits;
     each sweep's knee (highest passing step, first failing one). */
  function sweepChart(runs) {
    var series = [], marks = [], hmarks = [], seen = {}, row = 0;
    runs.forEach(function (r) {
      var sw = r.sweep;
      if (!sw) return;
      var steps = sw.steps.map(function (st, i) { st.n = i + 1; return st; }).slice()
        .sort(function (a, b) { return a.target_msgs_per_s - b.target_msgs_per_s || a.n - b.n; });
      var xs = steps.map(function (st) { return st.delivered_msgs_per_s; });
      var points = steps.map(function (st) { return st.tool_limited ? 'tool' : st.pass ? 'pass' : 'fail'; });
      var labels = steps.map(function (st) {
        return 'step ' + st.n + ' (target ' + fmtRate(st.target_msgs_per_s) + '/s, ' +
          (st.tool_limited ? 'mqttbench set the pace' : st.pass ? 'pass' : 'FAIL') + ')';
      });
      var col = function (key) { return steps.map(function (st) { return st[key] > 0 ? st[key] : null; }); };
      [['p50', 'p50', '2 3', 'p50_us'], ['p99', 'p99', null, 'p99_us'], ['p999', 'p99.9', '10 3 2 3', 'p999_us'],
       ['service-p99', 'service p99', '6 4', 'service_p99_us']].forEach(function (c) {
        series.push({ id: 'sweep-' + r.index + '-' + c[0], name: r.letter + ' ' + c[1], color: r.color, dash: c[2],
                      xs: xs, ys: col(c[3]), labels: labels, points: points, markers: c[0] !== 'service-p99',
                      width: c[0] === 'p99' ? null : 1.1 });
      });
      var k = sw.knee;
      var at = function (target) {
        for (var i = 0; i < steps.length; i++) if (steps[i].target_msgs_per_s === target) return steps[i];
        return null;
      };
      var kp = k.max_passing_msgs_per_s !== null ? at(k.max_passing_msgs_per_s) : null;
      var kf = k.first_failing_msgs_per_s !== null ? at(k.first_failing_msgs_per_s) : null;
      if (kp)
        marks.push({ v: kp.delivered_msgs_per_s, label: 'knee-' + r.index + '-pass', color: r.color,
                     text: r.letter + ' knee ' + fmtRate(kp.target_msgs_per_s) + '/s', row: row,
                     title: r.letter + ': highest passing step, target ' + kp.target_msgs_per_s + ' msgs/s, delivered ' +
                       kp.delivered_msgs_per_s.toFixed(0) + ' msgs/s' });
      if (kf)
        marks.push({ v: kf.delivered_msgs_per_s, label: 'knee-' + r.index + '-fail', color: r.color, dash: '2 3',
                     text: kp ? null : r.letter + ' fails at ' + fmtRate(kf.target_msgs_per_s) + '/s', row: row,
                     title: r.letter + ': first failing step, target ' + kf.target_msgs_per_s + ' msgs/s, delivered ' +
                       kf.delivered_msgs_per_s.toFixed(0) + ' msgs/s' + (kf.why ? ' (' + kf.why + ')' : '') });
      row++;
      sw.terms.forEach(function (t) {
        if (t.metric !== 'latency') return;
        var label = 'objective ' + (t.percentile >= 100 ? 'max' : 'p' + t.percentile) + ' ' + t.op + ' ' +
          tick(fmtUs)(t.limit_us);
        if (seen[label]) return;
        seen[label] = true;
        hmarks.push({ v: t.limit_us, label: label });
      });
    });
    return { id: 'sweep', title: 'Latency against throughput', series: series, marks: marks, hmarks: hmarks,
             x: { auto: true, toggle: true, tickFmt: fmtRate, label: 'achieved throughput (messages delivered / s)',
                  fmt: function (v) { return fmtRate(v) + ' msgs/s delivered'; } },
             y: { label: 'latency', log: true, toggle: true, fmt: fmtUs },
             key: [{ shape: 'pass', text: 'passed' }, { shape: 'fail', text: 'failed' },
                   { shape: 'tool', text: 'mqttbench set the pace' }, { shape: 'vline', text: 'knee' },
                   { shape: 'vdot', text: 'first failing' }, { shape: 'hline', text: 'objective' }],
             empty: 'No sweep among these results.' };
  }

  function render() {
    var data = JSON.parse(document.getElementById('mqttbench-data').textContent);
    var runs = data.runs.map(function (r, i) {
      r.index = i;
      r.color = runColor(i);
      return r;
    });
    var charts = [rateChart(runs), latencyTimeChart(runs), percentileChart(runs), connectChart(runs)];
    if (document.getElementById('chart-sweep')) charts.push(sweepChart(runs));
    charts.forEach(function (c) {
      var el = document.getElementById('chart-' + c.id);
      if (el) new Chart(el, c);
    });
  }

  try {
    render();
    document.body.setAttribute('data-rendered', 'ok');
  } catch (e) {
    document.body.setAttribute('data-rendered', 'error');
    var box = html('p', { 'class': 'render-error' }, null, 'The charts could not be drawn: ' + e);
    var main = document.querySelector('main');
    if (main) main.insertBefore(box, main.firstChild);
    throw e;
  }
})();
