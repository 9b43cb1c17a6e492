// An action target's page: what it is, its settings edited (its type and signing key stay),
// the event deliveries it gave up (each tried again on request), and its removal.
import {
  danger, field, form, h, link, notice, page, refresh, section, table, when,
} from './dom.js';
import { api, can, describe } from './api.js';
import { t } from './words.js';

export async function targetPage(id) {
  const path = `/v1/actions/targets/${id}`;
  const x = await api('GET', path);
  const mayWrite = can('action.target.write');
  const facts = h('dl', {},
    h('dt', { text: t('type') }), h('dd', { text: t(`target_${x.type}`) }),
    h('dt', { text: t('endpoint') }), h('dd', { class: 'mono', text: x.endpoint }),
    h('dt', { text: t('timeoutMs') }), h('dd', { text: String(x.timeout_ms) }));
  const parts = [h('p', {}, link('#/actions', t('actions'))), section(t('target'), facts)];
  if (mayWrite) {
    parts.push(section(t('targetSettings'), form(t('targetSettings'), [
      field(t('name'), 'name', { required: true, maxlength: 200, value: x.name }),
      field(t('endpoint'), 'endpoint', { type: 'url', required: true, value: x.endpoint }),
      field(t('timeoutMs'), 'timeout_ms', { type: 'number', min: 100, max: 30000, value: String(x.timeout_ms) }),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'interrupt_on_error', checked: x.interrupt_on_error }), ` ${t('interruptOnError')}`),
    ], t('save'), async (v) => {
      await api('PATCH', path, {
        name: v.name, endpoint: v.endpoint, timeout_ms: Number(v.timeout_ms),
        interrupt_on_error: v.interrupt_on_error === 'on',
      });
      notice(t('saved'));
      refresh();
    })));
  }
  if (x.type !== 'call') {
    const deliveries = (await api('GET', `${path}/deliveries`)).items;
    const replay = (d) => h('button', {
      type: 'button', text: t('replay'), 'aria-label': `${t('replay')} ${d.type} ${d.position}`,
      onclick: async () => {
        try { await api('POST', `${path}/deliveries/${d.id}/replay`, {}); notice(t('saved')); refresh(); } catch (e) { notice(describe(e), 'bad'); }
      },
    });
    parts.push(section(t('deliveries'), h('p', { class: 'hint', text: t('deliveriesHint') }), table([
      { label: t('event'), cell: (d) => h('span', { class: 'mono event', text: d.type }) },
      { label: t('position'), cell: (d) => d.position },
      { label: t('state'), cell: (d) => t(`delivery_${d.state}`) },
      { label: t('attempts'), cell: (d) => String(d.attempts) },
      { label: t('lastError'), cell: (d) => d.error },
      { label: t('givenUpAt'), cell: (d) => when(d.given_up_at) },
      { label: '', cell: (d) => (mayWrite && d.state === 'given_up' ? replay(d) : '') },
    ], deliveries, t('deliveries'))));
  }
  if (can('action.target.delete')) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('removeTarget'), `${t('removeTarget')} ${x.name}?`,
      () => api('DELETE', path), '#/actions')));
  }
  page(x.name, parts);
}
