// An OIDC app of a project: what it is, its settings edited (sent back with the rest unchanged),
// a new secret (shown once), its keys when it signs assertions, and its removal.
import {
  danger, field, form, h, link, makesSecret, notice, page, refresh, section,
} from './dom.js';
import { api, can } from './api.js';
import { keysSection } from './keys.js';
import { t } from './words.js';

/** A labelled text area of one entry per line. */
export function lines(label, name, values) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('textarea', { id, name, rows: '3', text: values.join('\n') }));
}

/** The entries of a text area of `lines`. */
export const entries = (text) => (text || '').split('\n').map((l) => l.trim()).filter(Boolean);

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'device_code', 'token_exchange'];
// An app keeps a secret or keeps none: its method changes only within its kind.
const WITH_SECRET = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];
const WITHOUT_SECRET = ['none', 'private_key_jwt'];

const options = (values) => values.map((v) => ({ value: v, label: v }));

/** The form of an app's settings: what the PATCH takes, the rest sent back unchanged. */
function settingsForm(a, path) {
  const settings = { ...a };
  for (const shown of ['id', 'client_id', 'has_secret']) delete settings[shown];
  const methods = WITH_SECRET.includes(a.auth_method) ? WITH_SECRET : WITHOUT_SECRET;
  return form(t('editApp'), [
    field(t('name'), 'name', { required: true, maxlength: 200, value: a.name }),
    lines(t('redirectUris'), 'redirect_uris', a.redirect_uris),
    lines(t('logoutUris'), 'post_logout_redirect_uris', a.post_logout_redirect_uris),
    h('fieldset', { class: 'roles' }, h('legend', { text: t('grantTypes') }), GRANTS.map((g) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: `grant:${g}`, value: g, checked: a.grant_types.includes(g) }), ` ${g}`))),
    field(t('authMethod'), 'auth_method', { value: a.auth_method }, options(methods)),
    field(t('tokenType'), 'access_token_type', { value: a.access_token_type }, options(['jwt', 'opaque'])),
    field(t('backchannelUri'), 'backchannel_logout_uri', { type: 'url', value: a.backchannel_logout_uri }),
    h('label', { class: 'check' }, h('input', {
      type: 'checkbox', name: 'require_pushed_authorization_requests', checked: a.require_pushed_authorization_requests,
    }), ` ${t('requirePar')}`),
  ], t('save'), async (v) => {
    await api('PATCH', path, {
      ...settings,
      name: v.name,
      redirect_uris: entries(v.redirect_uris),
      post_logout_redirect_uris: entries(v.post_logout_redirect_uris),
      grant_types: Object.keys(v).filter((k) => k.startsWith('grant:')).map((k) => v[k]),
      auth_method: v.auth_method,
      access_token_type: v.access_token_type,
      backchannel_logout_uri: v.backchannel_logout_uri || undefined,
      require_pushed_authorization_requests: v.require_pushed_authorization_requests === 'on',
    });
    notice(t('saved'));
    refresh();
  });
}

/** A new client secret on request (the old one stops working), shown once. */
function newSecret(path) {
  const { button, shown } = makesSecret(t('newSecret'), {
    question: t('newSecretQuestion'),
    make: () => api('POST', `${path}/secret`, {}),
    entries: (made) => [[t('clientSecret'), 'client-secret', made.client_secret]],
    warning: t('secretOnce'),
    kind: 'danger',
  });
  return section(t('clientSecret'), h('div', { class: 'buttons' }, button), shown);
}

export async function appPage(projectId, appId) {
  const p = await api('GET', `/v1/projects/${projectId}`);
  const path = `/v1/projects/${projectId}/apps/${appId}`;
  const a = await api('GET', path);
  const at = { org: p.org_id, project: projectId };
  const mayWrite = can('project.app.write', at);
  const facts = h('dl', {},
    h('dt', { text: t('project') }), h('dd', {}, link(`#/projects/${projectId}`, p.name)),
    h('dt', { text: t('clientId') }), h('dd', { class: 'mono', text: a.client_id }),
    h('dt', { text: t('authMethod') }), h('dd', { class: 'mono', text: a.auth_method }),
    h('dt', { text: t('grantTypes') }), h('dd', { class: 'mono', text: a.grant_types.join(', ') }),
    h('dt', { text: t('tokenType') }), h('dd', { class: 'mono', text: a.access_token_type }));
  const parts = [section(t('app'), facts)];
  if (mayWrite) parts.push(section(t('editApp'), settingsForm(a, path)));
  if (mayWrite && a.has_secret) parts.push(newSecret(path));
  if (a.auth_method === 'private_key_jwt') parts.push(await keysSection(path, mayWrite, t('appKeysHint')));
  if (can('project.app.delete', at)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('removeApp'), `${t('removeApp')} ${a.name}?`,
      () => api('DELETE', path), `#/projects/${projectId}`)));
  }
  page(a.name, parts);
}
