"""What the pages ask of the browser itself, through one Streamlit component (st.components.v2, trusted code
of ours, no iframe): the scanner field of the sale screen and its keyboard, and the session cookie.

The scanner field is the component's own `<input>`: a scan (a code and Enter) is cleared at once and queued
in the browser, then sent to the server one command at a time, each with a number the server echoes back,
so that fast scans are never lost nor counted twice, and the field keeps the focus. Arrow keys move through
the articles found for a label, Enter picks one; F-keys run the screen's shortcuts.

Every text shown by this component is set with `textContent`: nothing from the store is ever rendered as
HTML (issue 13).
"""

from __future__ import annotations

import streamlit as st

COOKIE = "caisse_session"

_JS = r"""
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
      if (action) { e.preventDefault(); queue(action); }
    }, true);
  }
  flush();
  if (document.activeElement === document.body || d.focus) { input.focus({ preventScroll: true }); }
  setTimeout(() => { if (!isTyping()) { input.focus({ preventScroll: true }); } }, 0);

  function isTyping() {
    const a = document.activeElement;
    return a && a !== input && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA' || a.isContentEditable);
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
"""

_CSS = """
.comptoir { font-family: "Source Sans Pro", sans-serif; }
.scan { box-sizing: border-box; width: 100%; font-size: 1.35rem; padding: .45rem .7rem; border: 2px solid #888;
        border-radius: .5rem; outline: none; }
.scan:focus { border-color: #1c64f2; box-shadow: 0 0 0 3px #1c64f233; }
.scan.erreur { border-color: #c81e1e; background: #fdf2f2; animation: secousse .25s 2; }
@keyframes secousse { 25% { transform: translateX(-4px); } 75% { transform: translateX(4px); } }
.message { min-height: 1.3rem; margin: .2rem 0; font-size: .95rem; color: #444; }
.message.erreur { color: #c81e1e; font-weight: 600; }
.results { list-style: none; margin: 0; padding: 0; max-height: 13rem; overflow-y: auto; }
.results li { display: grid; grid-template-columns: 1fr auto auto; gap: .8rem; padding: .3rem .6rem;
              border-radius: .35rem; cursor: pointer; }
.results li.choisi { background: #1c64f2; color: white; }
.results .code { opacity: .75; font-size: .85rem; } .results .prix { font-weight: 600; }
"""

_COMPONENT = st.components.v2.component("caisse.navigateur", js=_JS, css=_CSS)


def scanner(key: str, *, ack: int, message: str = "", error: bool = False, results=(), shortcuts=None,
            placeholder: str = "", label: str = "", on_command=None):
    """The scanner field of the sale screen; `on_command` runs for each command (its value in
    st.session_state[key].command: {"seq", "kind", ...})."""
    return _COMPONENT(key=key, data={"scanner": True, "ack": ack, "message": message, "error": error,
                                     "results": [{"code": c, "label": lab, "price": p} for c, lab, p in results],
                                     "shortcuts": shortcuts or {}, "placeholder": placeholder, "label": label},
                      on_command_change=on_command or (lambda: None))


def set_cookie(value: str | None, max_age: int, go: str) -> None:
    """Give the browser the session's token (None: take it back), then load `go` so the server sees it."""
    _COMPONENT(key=f"cookie-{value or 'fin'}",
               data={"cookie": {"name": COOKIE, "value": value or "", "max_age": max_age, "go": go}})
