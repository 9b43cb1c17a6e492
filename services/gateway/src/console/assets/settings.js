// Settings: the instance's, or an org's own (which stand for the instance's until removed):
// login, password rules and expiry, lockout, branding (with a preview of the login page as it
// will look), sessions; the texts of messages and login pages. Every field of a kind is sent
// back typed as it came.
import {
  field, form, h, notice, page, refresh,
} from './dom.js';
import { api, can, describe } from './api.js';
import { orgName, orgs } from './orgs.js';
import { textsPart } from './texts.js';
import { settingLabel, t } from './words.js';

const KINDS = ['login', 'password_complexity', 'password_expiry', 'lockout', 'branding', 'session', 'texts'];

/** One setting as a control: a box for a yes/no, a number, a colour, a list, a text. */
function control(key, value, editable) {
  const label = settingLabel(key);
  const disabled = !editable;
  if (typeof value === 'boolean') {
    return h('label', { class: 'check' }, h('input', { type: 'checkbox', name: key, checked: value, disabled }), ` ${label}`);
  }
  if (typeof value === 'number') return field(label, key, { type: 'number', min: 0, value: String(value), disabled });
  if (Array.isArray(value)) return field(label, key, { value: value.join(', '), disabled });
  if (key.endsWith('_color')) return field(label, key, { type: 'color', value, disabled });
  return field(label, key, { value: value ?? '', disabled });
}

/** The form's values, each of the type the API gave it. */
function typed(current, el, v) {
  return Object.fromEntries(Object.entries(current).map(([key, old]) => {
    if (typeof old === 'boolean') return [key, el.elements[key].checked];
    if (typeof old === 'number') return [key, Number(v[key])];
    if (Array.isArray(old)) return [key, v[key].split(',').map((x) => x.trim()).filter(Boolean)];
    return [key, v[key] === '' && old === null ? null : v[key]];
  }));
}

/** The login page as the branding would make it look, repainted as the colours change. */
function preview(el) {
  const button = h('span', { class: 'preview-button', text: t('signIn') });
  const warn = h('span', { class: 'preview-warn', text: t('previewWarn') });
  const card = h('div', { class: 'preview-card' },
    h('strong', { class: 'preview-title', text: t('previewTitle') }),
    h('span', { class: 'preview-field', text: t('username') }), button, warn);
  const paint = () => {
    const value = (name) => el.elements[name]?.value;
    card.style.backgroundColor = value('background_color');
    card.style.color = value('font_color');
    button.style.backgroundColor = value('primary_color');
    warn.style.color = value('warn_color');
  };
  el.addEventListener('input', paint);
  paint();
  return h('figure', { class: 'preview', id: 'branding-preview' }, h('figcaption', { text: t('preview') }), card);
}

export async function settingsPage(query, org) {
  const kind = KINDS.includes(query.get('kind')) ? query.get('kind') : 'login';
  const base = org ? `/v1/orgs/${org}` : '/v1/instance';
  const here = org ? `#/orgs/${org}/settings` : '#/settings';
  const editable = org ? can('policy.write', { org }) : can('iam.policy.write');
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('settings') }, h('ul', {}, KINDS.map((k) => h('li', {},
    h('a', { href: `${here}?kind=${k}`, text: t(`kind_${k}`), 'aria-current': k === kind ? 'page' : null })))));
  if (org) await orgs(org);
  const title = org ? `${t('settings')}: ${orgName(org)}` : t('settings');
  if (kind === 'texts') {
    page(title, tabs, ...await textsPart(base, here, editable, query));
    return;
  }
  const { source, ...current } = await api('GET', `${base}/settings/${kind}`);
  const reset = org && source === 'org' && editable && h('button', {
    type: 'button', text: t('useInstance'),
    onclick: async () => {
      try { await api('DELETE', `${base}/settings/${kind}`); notice(t('saved')); refresh(); } catch (e) { notice(describe(e), 'bad'); }
    },
  });
  const fields = Object.entries(current).map(([key, value]) => control(key, value, editable));
  const edit = form(t(`kind_${kind}`), fields, t('save'), async (v, el) => {
    await api('PUT', `${base}/settings/${kind}`, typed(current, el, v));
    notice(t('saved'));
    refresh();
  }, reset ? [reset] : []);
  if (!editable) edit.querySelector('button[type="submit"]').remove();
  const from = h('p', { class: 'hint', text: `${t('source')}: ${t(`source_${source}`)}` });
  page(title, tabs, from, kind === 'branding' ? h('div', { class: 'with-preview' }, edit, preview(edit)) : edit);
}
