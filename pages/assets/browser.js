// The browser side of pages/browser.py (st.components.v2, no iframe). Every text is set with textContent.
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const state = window.__caisse || (window.__caisse = { queue: [], inflight: null, seq: 0, sentAt: 0 });
  state.send = setTriggerValue;
  const d = data || {};

  // The session cookie: set or cleared, then the page reloaded so that the server sees it (never in a URL).
  if (d.cookie) {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    if (d.cookie.value) {
      document.cookie = `${d.cookie.name}=${d.cookie.value}; Path=/; SameSite=Strict; Max-Age=${d.cookie.max_age}${secure}`;
    } else {
      document.cookie = `${d.cookie.name}=; Path=/; SameSite=Strict; Max-Age=0${secure}`;
    }
    if (d.cookie.go) { window.location.replace(d.cookie.go); }
    return;
  }
  if (!d.scanner) { return; }

  let root = parentElement.querySelector('.comptoir');
  if (!root) {
    root = document.createElement('div');
    root.className = 'comptoir';
    root.innerHTML = '<input class="scan" autocomplete="off" spellcheck="false" enterkeyhint="enter">' +
                     '<div class="message" role="status" aria-live="polite"></div><ol class="results" role="listbox"></ol>' +
                     '<div class="grille"></div>';
    parentElement.appendChild(root);
    const input = root.querySelector('.scan');
    input.addEventListener('keydown', (e) => onKey(e, root));
  }
  const input = root.querySelector('.scan');
  state.input = input;
  input.placeholder = d.placeholder || '';
  input.setAttribute('aria-label', d.label || 'Article');

  // The server's answer to the command in flight: the next queued one may go.
  if (state.inflight !== null && (d.ack || 0) >= state.inflight) { state.inflight = null; }
  const message = root.querySelector('.message');
  message.textContent = d.message || '';
  message.className = 'message' + (d.error ? ' erreur' : '');
  input.classList.toggle('erreur', !!d.error);
  if (d.error && d.ack === state.seq) { input.select(); }

  const list = root.querySelector('.results');
  list.replaceChildren();
  (d.results || []).forEach((r, i) => {
    const item = document.createElement('li');
    item.setAttribute('role', 'option');
    item.dataset.code = r.code;
    const label = document.createElement('span'); label.textContent = r.label;
    const code = document.createElement('span'); code.className = 'code'; code.textContent = r.code;
    const price = document.createElement('span'); price.className = 'prix'; price.textContent = r.price;
    item.append(label, code, price);
    if (i === 0) { item.classList.add('choisi'); item.setAttribute('aria-selected', 'true'); }
    item.addEventListener('mousedown', (e) => { e.preventDefault(); queue({ kind: 'pick', code: r.code }); });
    list.appendChild(item);
  });

  // A model's grid: sizes across, colours down, a price per cell; arrows move, Enter (or a click) picks a cell.
  const grid = root.querySelector('.grille');
  grid.replaceChildren();
  if (d.grid && d.grid.sizes) {
    const caption = document.createElement('div'); caption.className = 'titre'; caption.textContent = d.grid.title;
    const table = document.createElement('table'); table.setAttribute('role', 'grid');
    table.setAttribute('aria-label', d.grid.title);
    const head = document.createElement('tr'); head.appendChild(document.createElement('th'));
    d.grid.sizes.forEach((size) => { const th = document.createElement('th'); th.textContent = size; head.appendChild(th); });
    table.appendChild(head);
    let first = null;
    d.grid.colours.forEach((colour, row) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th'); th.textContent = colour || '—'; tr.appendChild(th);
      d.grid.sizes.forEach((size, col) => {
        const td = document.createElement('td'); const cell = d.grid.cells[row][col];
        td.setAttribute('role', 'gridcell');
        if (cell) {
          td.textContent = cell.price; td.dataset.code = cell.code; td.className = 'case';
          td.setAttribute('aria-label', `${size} ${colour} ${cell.price}`);
          td.addEventListener('mousedown', (e) => { e.preventDefault(); pickCell(td); });
          if (!first || cell.code === d.grid.selected) { first = td; }
        } else { td.className = 'vide'; td.textContent = '·'; }
        td.dataset.row = row; td.dataset.col = col;
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    grid.append(caption, table);
    if (first) { first.classList.add('choisi'); first.setAttribute('aria-selected', 'true'); }
  }
  state.gridCommand = (d.grid && d.grid.command) || { kind: 'pick' };

  state.shortcuts = d.shortcuts || {};
  if (!window.__caisseKeys) {  // the screen's F-keys, wherever the focus is
    window.__caisseKeys = true;
    document.addEventListener('keydown', (e) => {
      const name = (e.ctrlKey && e.key === 'Enter') ? 'Ctrl+Enter' : e.key;
      const action = (window.__caisse.shortcuts || {})[name];
      if (action) { e.preventDefault(); queue(action); return; }
      // A scan that starts while the focus is on a button (a cash amount just touched) or nowhere: its first
      // characters went to the button and were lost, and its Enter pressed the button. They go to the field.
      // Space and Enter still press a button the keyboard reached: a scan starts with neither.
      const field = window.__caisse.input;
      const target = e.composedPath()[0];
      if (field && field.isConnected && target !== field && !isTextField(target) && e.key.length === 1 &&
          e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        field.focus({ preventScroll: true });
        field.value += e.key;
      }
    }, true);
  }
  flush();
  if (document.activeElement === document.body || d.focus) { input.focus({ preventScroll: true }); }
  setTimeout(() => { if (!isTyping()) { input.focus({ preventScroll: true }); } }, 0);

  function isTextField(el) {
    return !!el && (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable ||
                    (el.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'submit', 'reset', 'range']
                      .includes(el.type)));
  }
  function isTyping() {
    const a = document.activeElement;
    return a && a !== input && isTextField(a);
  }
  function pickCell(td) {
    queue(Object.assign({}, window.__caisse.gridCommand, { code: td.dataset.code }));
    root.querySelector('.grille').replaceChildren();
  }
  function moveInGrid(e, root) {
    const cells = [...root.querySelectorAll('.grille td.case')];
    if (!cells.length || e.target.value) { return false; }
    const at = cells.find((td) => td.classList.contains('choisi')) || cells[0];
    const dr = { ArrowDown: 1, ArrowUp: -1 }[e.key] || 0; const dc = { ArrowRight: 1, ArrowLeft: -1 }[e.key] || 0;
    if (e.key === 'Enter') { e.preventDefault(); pickCell(at); return true; }
    if (e.key === 'Escape') { root.querySelector('.grille').replaceChildren(); return true; }
    if (!dr && !dc) { return false; }
    e.preventDefault();
    let row = +at.dataset.row, col = +at.dataset.col, next = null;
    for (let step = 0; step < 50 && !next; step++) {  // the next cell that exists, in the direction pressed
      row += dr; col += dc;
      next = cells.find((td) => +td.dataset.row === row && +td.dataset.col === col);
      if (row < 0 || col < 0 || row > 50 || col > 50) { break; }
    }
    if (next) {
      at.classList.remove('choisi'); at.setAttribute('aria-selected', 'false');
      next.classList.add('choisi'); next.setAttribute('aria-selected', 'true');
    }
    return true;
  }
  function onKey(e, root) {
    if (moveInGrid(e, root)) { return; }
    const items = [...root.querySelectorAll('.results li')];
    const at = items.findIndex((li) => li.classList.contains('choisi'));
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && items.length) {
      e.preventDefault();
      const next = Math.max(0, Math.min(items.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
      items.forEach((li, i) => { li.classList.toggle('choisi', i === next); li.setAttribute('aria-selected', String(i === next)); });
      items[next].scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Escape') {
      root.querySelector('.results').replaceChildren();
    } else if (e.key === 'Enter' && !e.ctrlKey) {
      e.preventDefault();
      const text = e.target.value;
      e.target.value = '';
      if (text.trim()) { queue({ kind: 'scan', text }); }
      else if (at >= 0) { queue({ kind: 'pick', code: items[at].dataset.code }); root.querySelector('.results').replaceChildren(); }
    }
  }
  function queue(command) { window.__caisse.queue.push(command); flush(); }
  function flush() {
    const s = window.__caisse;
    const stale = s.inflight !== null && Date.now() - s.sentAt > 8000;  // answer lost: send it again
    if ((s.inflight === null || stale) && (s.queue.length || stale)) {
      const command = stale ? s.last : s.queue.shift();
      if (!stale) { s.seq += 1; command.seq = s.seq; }
      s.inflight = command.seq; s.last = command; s.sentAt = Date.now();
      s.send('command', command);
    }
  }
}
