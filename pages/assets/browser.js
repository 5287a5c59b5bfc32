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
                     '<div class="message" role="status" aria-live="polite"></div><ol class="results" role="listbox"></ol>';
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
  function onKey(e, root) {
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
