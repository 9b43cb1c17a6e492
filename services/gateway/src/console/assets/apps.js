// An OIDC app of a project: what it is, its addresses edited (sent back with the rest of its
// settings unchanged), and its removal.
import {
  danger, field, form, h, link, notice, page, refresh, section,
} from './dom.js';
import { api, can } from './api.js';
import { t } from './words.js';

/** A labelled text area of one address per line. */
function addresses(label, name, values) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('textarea', { id, name, rows: '3', text: values.join('\n') }));
}

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

export async function appPage(projectId, appId) {
  const p = await api('GET', `/v1/projects/${projectId}`);
  const a = await api('GET', `/v1/projects/${projectId}/apps/${appId}`);
  const at = { org: p.org_id, project: projectId };
  const facts = h('dl', {},
    h('dt', { text: t('project') }), h('dd', {}, link(`#/projects/${projectId}`, p.name)),
    h('dt', { text: t('clientId') }), h('dd', { class: 'mono', text: a.client_id }),
    h('dt', { text: t('authMethod') }), h('dd', { class: 'mono', text: a.auth_method }),
    h('dt', { text: t('grantTypes') }), h('dd', { class: 'mono', text: a.grant_types.join(', ') }),
    h('dt', { text: t('tokenType') }), h('dd', { class: 'mono', text: a.access_token_type }));
  const parts = [section(t('app'), facts)];
  if (can('project.app.write', at)) {
    const { id, client_id: clientId, has_secret: hasSecret, ...settings } = a;
    parts.push(section(t('editApp'), form(t('editApp'), [
      field(t('name'), 'name', { required: true, maxlength: 200, value: a.name }),
      addresses(t('redirectUris'), 'redirect_uris', a.redirect_uris),
      addresses(t('logoutUris'), 'post_logout_redirect_uris', a.post_logout_redirect_uris),
    ], t('save'), async (v) => {
      await api('PATCH', `/v1/projects/${projectId}/apps/${appId}`, {
        ...settings,
        name: v.name,
        redirect_uris: lines(v.redirect_uris),
        post_logout_redirect_uris: lines(v.post_logout_redirect_uris),
      });
      notice(t('saved'));
      refresh();
    })));
  }
  if (can('project.app.delete', at)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('removeApp'), `${t('removeApp')} ${a.name}?`,
      () => api('DELETE', `/v1/projects/${projectId}/apps/${appId}`), `#/projects/${projectId}`)));
  }
  page(a.name, parts);
}
