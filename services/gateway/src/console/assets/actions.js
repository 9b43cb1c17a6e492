// Actions: the targets that receive events and hooks (a new one shows its signing key once;
// each has a page of its own), and the executions that say which conditions call which
// targets (removed after a confirmation).
import {
  cancel, danger, field, form, h, link, notice, opener, page, refresh, section, shownOnce, table,
} from './dom.js';
import { api, can, list } from './api.js';
import { t } from './words.js';

/** A condition as people read it: `event user.human.added`, `function preaccesstoken`... */
function condition(c) {
  const [kind, what] = Object.entries(c)[0] || ['', ''];
  const detail = typeof what === 'string' ? what : Object.entries(what || {}).map(([k, v]) => (v === true ? k : `${k} ${v}`)).join(' ');
  return `${kind} ${detail}`.trim();
}

export async function actionsPage() {
  const targets = await list('/v1/actions/targets');
  const names = new Map(targets.map((x) => [x.id, x.name]));
  const executions = await api('GET', '/v1/actions/executions').then((e) => e.items);
  const shown = h('div', {});
  const add = can('action.target.write') && opener(t('newTarget'), (close) => form(t('newTarget'), [
    field(t('name'), 'name', { required: true, maxlength: 200 }),
    field(t('endpoint'), 'endpoint', { type: 'url', required: true, placeholder: 'https://hooks.example.com/portcullis' }),
    field(t('type'), 'type', {}, ['webhook', 'async', 'call'].map((x) => ({ value: x, label: t(`target_${x}`) }))),
    field(t('timeoutMs'), 'timeout_ms', { type: 'number', min: 100, max: 30000, value: '10000' }),
  ], t('create'), async (v) => {
    const made = await api('POST', '/v1/actions/targets', {
      name: v.name, endpoint: v.endpoint, type: v.type, timeout_ms: Number(v.timeout_ms),
    });
    close();
    shown.replaceChildren(shownOnce(t('newTarget'), [[t('signingKey'), 'signing-key', made.signing_key]], t('keyOnce')));
  }, [cancel(close)]));
  const KINDS = ['event_type', 'event_group', 'event_all', 'function', 'request', 'response'];
  const made = (kind, value) => ({
    event_type: { event: { type: value } },
    event_group: { event: { group: value } },
    event_all: { event: { all: true } },
    function: { function: value },
    request: { request: { method: value } },
    response: { response: { method: value } },
  })[kind];
  const addExecution = can('action.execution.write') && targets.length > 0 && opener(t('newExecution'), (close) => form(t('newExecution'), [
    field(t('conditionKind'), 'kind', {}, KINDS.map((k) => ({ value: k, label: t(`cond_${k}`) }))),
    field(t('conditionValue'), 'value', { placeholder: 'user.human.added' }),
    h('fieldset', { class: 'roles' }, h('legend', { text: t('targets') }), targets.map((x) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: `target:${x.id}`, value: x.id }), ` ${x.name}`))),
  ], t('save'), async (v) => {
    const chosen = Object.keys(v).filter((k) => k.startsWith('target:')).map((k) => v[k]);
    await api('PUT', '/v1/actions/executions', { condition: made(v.kind, v.value.trim()), targets: chosen });
    notice(t('saved'));
    refresh();
  }, [cancel(close)]));
  page(t('actions'), section(t('targets'), add, shown, table([
    { label: t('name'), cell: (x) => link(`#/actions/targets/${x.id}`, x.name) },
    { label: t('type'), cell: (x) => t(`target_${x.type}`) },
    { label: t('endpoint'), cell: (x) => h('span', { class: 'mono', text: x.endpoint }) },
  ], targets, t('targets'))), section(t('executions'), addExecution, table([
    { label: t('condition'), cell: (e) => h('span', { class: 'mono', text: condition(e.condition) }) },
    { label: t('targets'), cell: (e) => e.targets.map((id) => names.get(id) || id).join(', ') },
    { label: '', cell: (e) => (can('action.execution.write') ? danger(t('remove'), `${t('removeExecution')} ${condition(e.condition)}?`, () => api('DELETE', '/v1/actions/executions', { condition: e.condition })) : '') },
  ], executions, t('executions'))));
}
