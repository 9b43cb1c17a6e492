// Building the console's pages: elements made with their text as text (never HTML from
// strings), pages, sections, tables, labelled fields and forms that show the API's errors.
import { lang, t } from './words.js';
import { api, describe } from './api.js';

/** An element with attributes (`on*` are listeners, `text` its text) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

/** A time of the API (RFC 3339) as the reader's language writes it. */
export const when = (time) => (time ? new Date(time).toLocaleString(lang) : '—');

export const main = () => document.getElementById('main');

export function notice(text, kind = 'ok') {
  const box = document.getElementById('notice');
  box.className = `notice ${kind}`;
  box.textContent = text;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.textContent = ''; box.className = 'notice'; }, 6000);
}

/** A page: its heading (focused for screen readers) and its parts. */
export function page(title, ...parts) {
  document.title = `${title} · Portcullis Console`;
  const heading = h('h1', { text: title, tabindex: '-1' });
  main().replaceChildren(heading, ...parts.flat().filter((p) => p !== null && p !== undefined && p !== false));
  heading.focus({ preventScroll: true });
}

export function section(title, ...parts) {
  return h('section', { 'aria-label': title }, h('h2', { text: title }), ...parts.flat());
}

/** A table of `rows` with `columns` [{label, cell(row)}]. */
export function table(columns, rows, caption) {
  if (!rows.length) return h('p', { class: 'empty', text: t('none') });
  return h('div', { class: 'scroll' }, h('table', {},
    caption ? h('caption', { class: 'sr', text: caption }) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
      const v = c.cell(r);
      return h('td', {}, v instanceof Node ? v : String(v ?? ''));
    }))))));
}

let fieldCount = 0;
/** A labelled input (or select when `options` [{value, label}] are given; `attrs.value` is the
 * option chosen). */
export function field(label, name, attrs = {}, options = null) {
  const id = `f${fieldCount++}`;
  const { value, ...rest } = attrs;
  const control = options
    ? h('select', { id, name, ...rest }, options.map((o) => h('option', { value: o.value, text: o.label, selected: o.value === value })))
    : h('input', { id, name, type: 'text', autocomplete: 'off', ...attrs });
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

/** A form that sends its values to `submit` and shows the API's error beside it. */
export function form(label, fields, submitText, submit, extra = []) {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', text: submitText });
  const el = h('form', {
    'aria-label': label,
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      button.disabled = true;
      try {
        await submit(Object.fromEntries(new FormData(el)), el);
      } catch (err) {
        error.textContent = describe(err);
      } finally {
        button.disabled = false;
      }
    },
  }, fields, h('div', { class: 'buttons' }, button, extra), error);
  return el;
}

/** A button that opens a form below it (and closes it again). */
export function opener(text, make) {
  const holder = h('div', { class: 'opener' });
  const button = h('button', {
    type: 'button', class: 'primary', text, 'aria-expanded': 'false',
    onclick: () => {
      const open = button.getAttribute('aria-expanded') === 'true';
      button.setAttribute('aria-expanded', String(!open));
      if (open) { holder.replaceChildren(); return; }
      const close = () => { button.setAttribute('aria-expanded', 'false'); holder.replaceChildren(); button.focus(); };
      holder.replaceChildren(make(close));
      holder.querySelector('input, select')?.focus();
    },
  });
  return h('div', {}, button, holder);
}

export const link = (href, text) => h('a', { href, text });
export const cancel = (close) => h('button', { type: 'button', text: t('cancel'), onclick: close });

/** What is shown once (a new secret): each [name, element id, value] with a copy button, the
 * warning (if any), and Done, which shows the page again. */
export function shownOnce(label, entries, warning) {
  const copy = (value) => h('button', {
    type: 'button', text: t('copy'),
    onclick: () => navigator.clipboard?.writeText(value).then(() => notice(t('copied'))),
  });
  const box = h('div', { class: 'shown-once', role: 'region', 'aria-label': label },
    h('dl', {}, entries.flatMap(([name, id, value]) => [
      h('dt', { text: name }), h('dd', {}, h('code', { id, text: value }), copy(value))])),
    warning ? h('p', { class: 'warn', text: warning }) : null,
    h('button', { type: 'button', class: 'primary', text: t('done'), onclick: refresh }));
  setTimeout(() => box.querySelector('button')?.focus());
  return box;
}

/** A button that makes a secret (`make`, after the browser's confirmation of `question` when
 * one is given) and shows what `entries(made)` picks of it once ([name, element id, value]),
 * with `warning`, in the holder it answers beside the button. */
export function makesSecret(text, { question, make, entries, warning, kind = 'primary' }) {
  const shown = h('div', {});
  const button = h('button', {
    type: 'button', class: kind, text,
    onclick: async () => {
      if (question && !window.confirm(question)) return;
      try {
        shown.replaceChildren(shownOnce(text, entries(await make()), warning));
      } catch (e) { notice(describe(e), 'bad'); }
    },
  });
  return { button, shown };
}

/** A button that asks first, then calls the API (`run`), then goes `then` (or shows the page
 * again). */
export function danger(text, question, run, then) {
  return h('button', {
    type: 'button', class: 'danger', text, 'aria-label': question.replace(/\?$/, ''),
    onclick: async () => {
      if (!window.confirm(question)) return;
      try {
        await run();
        notice(t('removed'));
        if (then) location.hash = then;
        else refresh();
      } catch (e) {
        notice(describe(e), 'bad');
      }
    },
  });
}

/** A table of a list of the API, a page at a time (`size`), with "Show more" while the list
 * goes on. Resolves once the first page is shown. */
export async function paged(path, columns, caption, size = 50) {
  const holder = h('div', {});
  const shown = [];
  let cursor = null;
  const more = h('button', { type: 'button', text: t('more'), onclick: () => load().catch((e) => notice(describe(e), 'bad')) });
  const load = async () => {
    const sep = path.includes('?') ? '&' : '?';
    const got = await api('GET', `${path}${sep}limit=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    shown.push(...got.items);
    cursor = got.next_cursor;
    holder.replaceChildren(table(columns, shown, caption), cursor ? more : '');
  };
  await load();
  return holder;
}

/** Shows the current page again (after a write). */
export const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

const leaving = [];
/** Runs `stop` when the console leaves the current page (timers of a live view). */
export const whenLeaving = (stop) => leaving.push(stop);
export const leave = () => leaving.splice(0).forEach((stop) => stop());
