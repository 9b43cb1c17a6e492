// The audit trail: the instance's events newest first, filtered by aggregate, live.
import { field, form, h, notice, page, table, when, whenLeaving } from './dom.js';
import { api, describe } from './api.js';
import { t } from './words.js';

/** The audit trail newest first, a page at a time back in time; live, new events come in at
 * the top as they are written. */
export async function eventsPage(query) {
  const type = query.get('type') || '';
  const aggregate = query.get('id') || '';
  const filter = new URLSearchParams({ ...(type ? { aggregate_type: type } : {}), ...(aggregate ? { aggregate_id: aggregate } : {}) });
  const rows = h('div', {});
  const shown = [];
  let cursor = null;
  const moreButton = h('button', { type: 'button', text: t('more'), onclick: () => next() });
  const render = () => rows.replaceChildren(table([
    { label: t('position'), cell: (e) => e.position },
    { label: t('time'), cell: (e) => when(e.created_at) },
    { label: t('event'), cell: (e) => h('span', { class: 'mono event', text: e.type }) },
    { label: t('aggregateId'), cell: (e) => h('a', { href: `#/events?${new URLSearchParams({ type: e.aggregate_type, id: e.aggregate_id })}`, class: 'mono', text: e.aggregate_id }) },
    { label: t('creator'), cell: (e) => e.creator },
  ], shown, t('events')), cursor ? moreButton : '');
  const next = async () => {
    const got = await api('GET', `/v1/events?${filter}&order=newest&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    shown.push(...got.items);
    cursor = got.next_cursor;
    render();
  };
  // Live: long polls of the trail from now on, each resuming where the last ended (one
  // position per partition of the log, so a cluster's events all come, each once).
  let following = false;
  let stop = null;
  const live = h('input', { type: 'checkbox', id: 'live' });
  const follow = async () => {
    let resume = 'now';
    let wait = 0;
    while (following) {
      stop = new AbortController();
      try {
        const q = new URLSearchParams(filter);
        q.set('after_position', resume);
        q.set('wait_s', String(wait));
        const got = await api('GET', `/v1/events/watch?${q}`, undefined, stop.signal);
        resume = got.resume_after;
        live.dataset.following = 'true';
        wait = 20;
        if (got.items.length) {
          shown.unshift(...[...got.items].reverse());
          render();
        }
      } catch (err) {
        if (!following) return;
        notice(describe(err), 'bad');
        await new Promise((r) => { setTimeout(r, 2000); });
      }
    }
  };
  live.addEventListener('change', () => {
    following = live.checked;
    delete live.dataset.following;
    if (following) follow();
    else stop?.abort();
  });
  whenLeaving(() => { following = false; stop?.abort(); });
  const filters = h('form', {
    class: 'filters', 'aria-label': t('filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const v = Object.fromEntries(new FormData(e.target));
      location.hash = `#/events?${new URLSearchParams(Object.entries(v).filter(([, x]) => x))}`;
    },
  }, field(t('aggregateType'), 'type', {}, [{ value: '', label: t('all') }, ...['instance', 'org', 'user', 'project', 'session'].map((x) => ({ value: x, label: x }))]),
  field(t('aggregateId'), 'id', { value: aggregate }),
  h('button', { type: 'submit', text: t('filter') }),
  h('label', { class: 'check', for: 'live' }, live, ` ${t('live')}`));
  filters.querySelector('select').value = type;
  page(t('events'), filters, rows);
  await next();
}
