'use strict';
// Chart pages: hover tooltips, legend toggles and the model table's filters. Loaded from a
// file (no inline script) so the pages work under a strict Content-Security-Policy.
document.addEventListener('DOMContentLoaded', () => {
  const tip = document.getElementById('tip');
  document.querySelectorAll('[data-tip]').forEach((el) => {
    el.addEventListener('mousemove', (e) => {
      tip.hidden = false;
      tip.textContent = el.dataset.tip;
      tip.style.left = (e.clientX + 12) + 'px';
      tip.style.top = (e.clientY + 12) + 'px';
    });
    el.addEventListener('mouseleave', () => { tip.hidden = true; });
  });
  document.querySelectorAll('.legend span[data-dom]').forEach((sp) => {
    sp.addEventListener('click', () => {
      const off = sp.classList.toggle('off');
      document.querySelectorAll('.pt[data-dom]').forEach((c) => {
        if (c.dataset.dom === sp.dataset.dom) c.classList.toggle('off', off);
      });
    });
  });
  const table = document.getElementById('models');
  if (!table) return;
  const rows = Array.from(table.querySelectorAll('tbody tr'));
  const f = (id) => document.getElementById(id);
  const count = f('model-count');
  function num(el) { const v = parseFloat(el.value); return Number.isFinite(v) ? v : null; }
  function apply() {
    const q = f('f-search').value.trim().toLowerCase();
    const dom = f('f-domain').value, src = f('f-source').value;
    const y0 = num(f('f-from')), y1 = num(f('f-to'));
    const s0 = num(f('f-min')), s1 = num(f('f-max'));
    let shown = 0;
    rows.forEach((r) => {
      const d = r.dataset;
      const year = parseInt(d.year, 10), size = parseFloat(d.log);
      const ok = (!q || d.name.includes(q)) && (!dom || d.domain === dom) &&
        (!src || d.source === src || d.file === src) &&
        (y0 === null || year >= y0) && (y1 === null || year <= y1) &&
        (s0 === null || size >= s0) && (s1 === null || size < s1);
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + ' of ' + rows.length + ' models';
  }
  ['f-search', 'f-domain', 'f-source', 'f-from', 'f-to', 'f-min', 'f-max'].forEach((id) => {
    f(id).addEventListener('input', apply);
    f(id).addEventListener('change', apply);
  });
  f('f-reset').addEventListener('click', () => {
    ['f-search', 'f-from', 'f-to'].forEach((id) => { f(id).value = ''; });
    ['f-domain', 'f-source', 'f-min', 'f-max'].forEach((id) => { f(id).selectedIndex = 0; });
    apply();
  });
  apply();
});
