// Projects: the list, a new one, and a project's page (roles, apps with the wizard that shows
// the secret once, SAML apps, grants to other orgs, managers).
import {
  cancel, danger, field, form, h, link, notice, opener, page, paged, refresh, section, shownOnce, table,
} from './dom.js';
import { api, can, list } from './api.js';
import { t } from './words.js';
import { managers } from './managers.js';
import { samlAppsSection } from './saml_apps.js';
import { orgChoice, orgName, orgs } from './orgs.js';

export async function projectsPage(query) {
  const org = query.get('org') || '';
  const items = await orgs(org);
  const creatable = orgChoice(items, org, 'project.create');
  const create = creatable.length > 0 && opener(t('newProject'), (close) => form(t('newProject'), [
    field(t('org'), 'org', {}, creatable),
    field(t('name'), 'name', { required: true, maxlength: 200 }),
  ], t('create'), async (v) => {
    const made = await api('POST', `/v1/orgs/${v.org}/projects`, { name: v.name });
    notice(t('created'));
    location.hash = `#/projects/${made.id}`;
  }, [cancel(close)]));
  page(t('projects'), create, await paged(`/v1/projects${org ? `?org_id=${encodeURIComponent(org)}` : ''}`, [
    { label: t('name'), cell: (p) => link(`#/projects/${p.id}`, p.name) },
    { label: t('org'), cell: (p) => orgName(p.org_id) },
  ], t('projects')));
}

/** The wizard for a new OIDC app: what kind, where it lives; then its id and secret, once. */
function appWizard(projectId, close) {
  const holder = h('div', {});
  holder.append(form(t('newApp'), [
    field(t('name'), 'name', { required: true, maxlength: 200 }),
    field(t('appKind'), 'kind', {}, [{ value: 'web', label: t('web') }, { value: 'spa', label: t('spa') }]),
    field(t('redirectUri'), 'redirect_uri', { type: 'url', required: true, placeholder: 'https://app.example.com/callback' }),
    field(t('logoutUri'), 'logout_uri', { type: 'url' }),
  ], t('create'), async (v) => {
    const web = v.kind === 'web';
    const made = await api('POST', `/v1/projects/${projectId}/apps/oidc`, {
      name: v.name, redirect_uris: [v.redirect_uri],
      post_logout_redirect_uris: v.logout_uri ? [v.logout_uri] : [],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      auth_method: web ? 'client_secret_basic' : 'none', access_token_type: 'jwt',
    });
    const entries = [[t('clientId'), 'client-id', made.client_id]];
    if (made.client_secret) entries.push([t('clientSecret'), 'client-secret', made.client_secret]);
    holder.replaceChildren(shownOnce(t('newApp'), entries, made.client_secret ? t('secretOnce') : null));
  }, [cancel(close)]));
  return holder;
}

export async function projectPage(id) {
  const p = await api('GET', `/v1/projects/${id}`);
  const items = await orgs(p.org_id);
  const at = { org: p.org_id, project: id };
  const parts = [h('p', {}, `${t('org')}: `, link(`#/orgs/${p.org_id}`, orgName(p.org_id)))];
  const roles = await list(`/v1/projects/${id}/roles`);
  const addRole = can('project.role.write', at) && opener(t('addRole'), (close) => form(t('addRole'), [
    field(t('key'), 'key', { required: true, maxlength: 200 }),
    field(t('displayName'), 'display_name', { required: true }),
  ], t('add'), async (v) => {
    await api('POST', `/v1/projects/${id}/roles`, { key: v.key, display_name: v.display_name });
    notice(t('created'));
    refresh();
  }, [cancel(close)]));
  parts.push(section(t('roles'), addRole, table([
    { label: t('key'), cell: (r) => h('span', { class: 'mono', text: r.key }) },
    { label: t('displayName'), cell: (r) => r.display_name },
    { label: '', cell: (r) => (can('project.role.delete', at) ? danger(t('remove'), `${t('removeRole')} ${r.key}?`, () => api('DELETE', `/v1/projects/${id}/roles/${encodeURIComponent(r.key)}`)) : '') },
  ], roles, t('roles'))));
  if (can('project.app.read', at)) {
    const apps = await list(`/v1/projects/${id}/apps`);
    const addApp = can('project.app.write', at) && opener(t('newApp'), (close) => appWizard(id, close));
    parts.push(section(t('apps'), addApp, table([
      { label: t('name'), cell: (a) => link(`#/projects/${id}/apps/${a.id}`, a.name) },
      { label: t('clientId'), cell: (a) => h('span', { class: 'mono', text: a.client_id }) },
      { label: '', cell: (a) => (can('project.app.delete', at) ? danger(t('remove'), `${t('removeApp')} ${a.name || a.client_id}?`, () => api('DELETE', `/v1/projects/${id}/apps/${a.id}`)) : '') },
    ], apps, t('apps'))));
    parts.push(await samlAppsSection(id, at));
  }
  if (can('project.grant.read', at)) {
    const grants = await list(`/v1/projects/${id}/grants`);
    const others = items.filter((o) => o.id !== p.org_id);
    const addGrant = can('project.grant.write', at) && others.length > 0 && roles.length > 0 && opener(t('grantToOrg'), (close) => form(t('grantToOrg'), [
      field(t('org'), 'granted_org_id', {}, others.map((o) => ({ value: o.id, label: o.name }))),
      h('fieldset', { class: 'roles' }, h('legend', { text: t('roles') }), roles.map((r) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: `role:${r.key}`, value: r.key }), ` ${r.display_name} (${r.key})`))),
    ], t('add'), async (v) => {
      const keys = Object.keys(v).filter((k) => k.startsWith('role:')).map((k) => v[k]);
      await api('POST', `/v1/projects/${id}/grants`, { granted_org_id: v.granted_org_id, role_keys: keys });
      notice(t('created'));
      refresh();
    }, [cancel(close)]));
    parts.push(section(t('projectGrants'), addGrant, table([
      { label: t('org'), cell: (g) => orgName(g.granted_org_id) },
      { label: t('roles'), cell: (g) => (g.role_keys || g.roles || []).join(', ') },
      { label: '', cell: (g) => (can('project.grant.delete', at) ? danger(t('remove'), `${t('removeGrant')} ${orgName(g.granted_org_id)}?`, () => api('DELETE', `/v1/projects/${id}/grants/${g.id}`)) : '') },
    ], grants, t('projectGrants'))));
  }
  if (can('project.member.read', at)) parts.push(await managers(`/v1/projects/${id}`, p.org_id, 'PROJECT_', can('project.member.write', at), can('project.member.delete', at)));
  if (can('project.delete', at)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('deleteProject'), `${t('deleteProject')}: ${p.name}?`, () => api('DELETE', `/v1/projects/${id}`), '#/projects')));
  }
  page(p.name, parts);
}
