// The report's only script (vanilla JS, no libraries): click a table header to sort by that
// column, fold the metrics table for report.html#plots, and draw the per-CPU timelines for the
// selected window. It ends by marking <body>
// data-script="done", which the headless-browser check reads back.
#include "report/html_parts.h"

namespace scx::html {

std::string page_script() {
  return R"JS(<script>
"use strict";
if (location.hash === '#plots') document.querySelectorAll('details.metrics').forEach(function (d) { d.open = false; });
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, i) {
    th.onclick = function () {
      var tb = table.tBodies[0], rows = Array.from(tb.rows);
      var key = function (r) { var t = r.cells[i].textContent, n = parseFloat(t); return isNaN(n) ? t : n; };
      var dir = th.dataset.dir === 'asc' ? -1 : 1;
      th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      rows.sort(function (a, b) { var x = key(a), y = key(b); return x < y ? -dir : x > y ? dir : 0; });
      rows.forEach(function (r) { tb.appendChild(r); });
    };
  });
});
(function () {
  var canvases = Array.from(document.querySelectorAll('canvas.timeline'));
  if (!canvases.length) return;
  var L = 60, TOP = 4, AXIS = 20;
  var views = canvases.map(function (c) {
    return { c: c, d: JSON.parse(document.getElementById(c.dataset.src).textContent) };
  });
  var end = Math.max.apply(null, views.map(function (v) { return v.d.end; }));
  var from = 0, to = end;
  var fromIn = document.getElementById('tl-from'), toIn = document.getElementById('tl-to');
  var tip = document.getElementById('tl-tip');
  function colour(i) { return 'hsl(' + ((i * 137.508) % 360).toFixed(1) + ',62%,' + (42 + (i % 3) * 10) + '%)'; }
  function niceStep(raw) {
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = [1, 2, 5, 10].find(function (k) { return k * mag >= raw * (1 - 1e-9); });
    return m * mag;
  }
  function rowHeight(v) { return (v.c.height - TOP - AXIS) / v.d.cpus; }
  function xOf(v, t) { return L + (t - from) / (to - from) * (v.c.width - L - 8); }
  function tOf(v, x) { return from + (x - L) / (v.c.width - L - 8) * (to - from); }
  function draw(v) {
    var c = v.c, d = v.d, g = c.getContext('2d'), rh = rowHeight(v);
    g.clearRect(0, 0, c.width, c.height);
    g.font = '10px sans-serif';
    g.fillStyle = '#f4f4f4';
    g.fillRect(L, TOP, c.width - L - 8, rh * d.cpus);
    for (var i = 0; i < d.s.length; i += 4) {
      var s0 = d.s[i + 1], s1 = d.s[i + 2];
      if (s1 <= from || s0 >= to) continue;
      var x0 = xOf(v, Math.max(s0, from)), x1 = xOf(v, Math.min(s1, to));
      g.fillStyle = colour(d.s[i + 3]);
      g.fillRect(x0, TOP + d.s[i] * rh, Math.max(0.5, x1 - x0), Math.max(1, rh - 1));
    }
    g.fillStyle = '#000';
    g.textAlign = 'right';
    var every = Math.ceil(10 / rh);
    for (var cpu = 0; cpu < d.cpus; cpu += every) g.fillText('cpu' + cpu, L - 4, TOP + cpu * rh + rh / 2 + 3);
    var ms = (to - from) / 1e6, step = niceStep(ms / 10), y = TOP + rh * d.cpus + 13;
    var decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
    g.textAlign = 'center';
    for (var t = Math.ceil(from / 1e6 / step) * step; t <= to / 1e6 + 1e-9; t += step)
      g.fillText(t.toFixed(decimals), xOf(v, t * 1e6), y);
    g.textAlign = 'right';
    g.fillText('ms', L - 4, y);
  }
  function drawAll() {
    fromIn.value = (from / 1e6).toFixed(3);
    toIn.value = (to / 1e6).toFixed(3);
    views.forEach(draw);
  }
  function setWindow(a, b) {
    a = Math.max(0, Math.min(a, end)); b = Math.max(0, Math.min(b, end));
    if (b - a < 1000) return;  // less than 1 us: ignore
    from = a; to = b; drawAll();
  }
  function sliceAt(v, x, y) {
    var cpu = Math.floor((y - TOP) / rowHeight(v)), t = tOf(v, x), d = v.d;
    for (var i = 0; i < d.s.length; i += 4)
      if (d.s[i] === cpu && d.s[i + 1] <= t && t < d.s[i + 2]) return i;
    return -1;
  }
  views.forEach(function (v) {
    var down = null;
    v.c.addEventListener('mousedown', function (e) { down = e.offsetX; });
    v.c.addEventListener('mouseup', function (e) {
      if (down !== null && Math.abs(e.offsetX - down) > 3)
        setWindow(tOf(v, Math.min(down, e.offsetX)), tOf(v, Math.max(down, e.offsetX)));
      down = null;
    });
    v.c.addEventListener('mousemove', function (e) {
      var i = sliceAt(v, e.offsetX, e.offsetY), d = v.d;
      if (i < 0) { tip.style.display = 'none'; return; }
      tip.textContent = d.tasks[d.s[i + 3]] + ' on cpu' + d.s[i] + ': ' + (d.s[i + 1] / 1e6).toFixed(3) + ' - ' +
                        (d.s[i + 2] / 1e6).toFixed(3) + ' ms';
      tip.style.display = 'block';
      tip.style.left = (e.pageX + 12) + 'px';
      tip.style.top = (e.pageY + 12) + 'px';
    });
    v.c.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  });
  fromIn.addEventListener('change', function () { setWindow(parseFloat(fromIn.value) * 1e6, to); });
  toIn.addEventListener('change', function () { setWindow(from, parseFloat(toIn.value) * 1e6); });
  document.getElementById('tl-all').addEventListener('click', function () { setWindow(0, end); });
  document.getElementById('tl-out').addEventListener('click', function () {
    var w = to - from; setWindow(from - w / 2, to + w / 2);
  });
  function fit() { views.forEach(function (v) { v.c.width = Math.max(300, v.c.clientWidth); }); drawAll(); }
  window.addEventListener('resize', fit);
  fit();
})();
// Reached only when everything above ran without an exception (scripts/html_check.sh looks).
document.body.setAttribute('data-script', 'done');
</script>
)JS";
}

}  // namespace scx::html
