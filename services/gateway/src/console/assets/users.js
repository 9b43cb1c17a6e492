// Users: searched and paged, a new one, and a user's page (profile, state, grants, roles).
import {
  cancel, danger, field, form, h, link, notice, opener, page, paged, refresh, section, table,
} from './dom.js';
import { api, can, describe, list, me } from './api.js';
import { t } from './words.js';
import { orgChoice, orgName, orgs } from './orgs.js';
import { userAccess } from './user_access.js';
import { userDetails } from './user_details.js';

export async function usersPage(query) {
  const org = query.get('org') || '';
  const items = await orgs(org);
  const start = query.get('start') || '';
  const path = `/v1/users?${new URLSearchParams({ ...(org ? { org_id: org } : {}), ...(start ? { username_prefix: start } : {}) })}`;
  const rows = await paged(path, [
    { label: t('username'), cell: (u) => link(`#/users/${u.id}`, u.username) },
    { label: t('name'), cell: (u) => u.display_name },
    { label: t('org'), cell: (u) => orgName(u.org_id) },
    { label: t('type'), cell: (u) => u.type },
    { label: t('state'), cell: (u) => h('span', { class: `state ${u.state}`, text: u.state }) },
  ], t('users'));
  const filters = h('form', {
    class: 'filters', 'aria-label': t('filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const v = Object.fromEntries(new FormData(e.target));
      const q = new URLSearchParams(Object.entries(v).filter(([, x]) => x));
      location.hash = `#/users?${q}`;
    },
  }, field(t('org'), 'org', {}, [{ value: '', label: t('all') }, ...orgChoice(items, org)]),
  field(t('startsWith'), 'start', { value: start, type: 'search' }),
  h('button', { type: 'submit', text: t('filter') }));
  const creatable = orgChoice(items, org, 'user.write');
  const create = creatable.length > 0 && opener(t('newUser'), (close) => form(t('newUser'), [
    field(t('org'), 'org', {}, creatable),
    field(t('username'), 'username', { required: true, maxlength: 200 }),
    field(t('givenName'), 'given_name', { required: true }),
    field(t('familyName'), 'family_name', { required: true }),
    field(t('email'), 'email', { type: 'email', required: true }),
    field(t('password'), 'password', { type: 'password', autocomplete: 'new-password' }),
  ], t('create'), async (v) => {
    const made = await api('POST', `/v1/orgs/${v.org}/users/human`, {
      username: v.username,
      profile: { given_name: v.given_name, family_name: v.family_name },
      email: { address: v.email },
      ...(v.password ? { password: v.password } : {}),
    });
    notice(t('created'));
    location.hash = `#/users/${made.id}`;
  }, [cancel(close)]));
  const machine = creatable.length > 0 && opener(t('newMachine'), (close) => form(t('newMachine'), [
    field(t('org'), 'org', {}, creatable),
    field(t('username'), 'username', { required: true, maxlength: 200 }),
    field(t('name'), 'name', { required: true, maxlength: 200 }),
  ], t('create'), async (v) => {
    const made = await api('POST', `/v1/orgs/${v.org}/users/machine`, { username: v.username, name: v.name });
    notice(t('created'));
    location.hash = `#/users/${made.id}`;
  }, [cancel(close)]));
  page(t('users'), h('div', { class: 'buttons' }, create, machine), filters, rows);
}

export async function userPage(id) {
  const u = await api('GET', `/v1/users/${id}`);
  await orgs(u.org_id);
  const org = { org: u.org_id };
  const profile = h('dl', {},
    h('dt', { text: t('username') }), h('dd', { text: u.username }),
    h('dt', { text: t('name') }), h('dd', { text: u.display_name }),
    u.email ? [h('dt', { text: t('email') }), h('dd', { text: u.email.address })] : [],
    h('dt', { text: t('org') }), h('dd', {}, link(`#/orgs/${u.org_id}`, orgName(u.org_id))),
    h('dt', { text: t('type') }), h('dd', { text: u.type }),
    h('dt', { text: t('state') }), h('dd', {}, h('span', { class: `state ${u.state}`, text: u.state })),
    h('dt', { text: t('id') }), h('dd', { class: 'mono', text: u.id }));
  const stateButtons = can('user.write', org) && id !== me.user.id && h('div', { class: 'buttons' },
    [['lock', u.state === 'active'], ['unlock', u.state === 'locked'],
      ['deactivate', u.state === 'active'], ['reactivate', u.state === 'inactive']]
      .filter(([, show]) => show)
      .map(([op]) => h('button', {
        type: 'button', text: t(op),
        onclick: async () => {
          try { await api('POST', `/v1/users/${id}/${op}`, {}); notice(t('saved')); refresh(); } catch (e) { notice(describe(e), 'bad'); }
        },
      })));
  const editable = u.type === 'human' && (can('user.write', org) || id === me.user.id);
  const edit = editable && opener(t('editProfile'), (close) => form(t('editProfile'), [
    field(t('givenName'), 'given_name', { required: true, value: u.profile?.given_name ?? '' }),
    field(t('familyName'), 'family_name', { required: true, value: u.profile?.family_name ?? '' }),
    field(t('displayName'), 'display_name', { value: u.profile?.display_name ?? '' }),
  ], t('save'), async (v) => {
    await api('PATCH', `/v1/users/${id}/profile`, {
      given_name: v.given_name, family_name: v.family_name,
      ...(v.display_name ? { display_name: v.display_name } : {}),
    });
    notice(t('saved'));
    refresh();
  }, [cancel(close)]));
  const parts = [section(t('profile'), profile, stateButtons, edit), userAccess(u, me.user.id)];
  const grants = await list(`/v1/users/${id}/grants`).catch(() => null);
  if (grants) {
    const projects = await list('/v1/projects').catch(() => []);
    const names = new Map(projects.map((p) => [p.id, p.name]));
    const owners = new Map(projects.map((p) => [p.id, p.org_id]));
    const grantable = projects.filter((p) => can('user.grant.write', { org: p.org_id, project: p.id }));
    const add = grantable.length > 0 && opener(t('addGrant'), (close) => {
      const roleBox = h('fieldset', { class: 'roles' }, h('legend', { text: t('roles') }));
      let wanted = null;
      const fill = async (projectId) => {
        wanted = projectId;
        const roles = await list(`/v1/projects/${projectId}/roles`);
        if (wanted !== projectId) return; // another project was chosen meanwhile
        roleBox.replaceChildren(h('legend', { text: t('roles') }), ...(roles.length ? roles.map((r) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: `role:${r.key}`, value: r.key }), ` ${r.display_name} (${r.key})`)) : [h('p', { text: t('noRoles') })]));
      };
      const choose = field(t('project'), 'project_id', { onchange: (e) => fill(e.target.value) }, grantable.map((p) => ({ value: p.id, label: p.name })));
      fill(grantable[0].id);
      return form(t('addGrant'), [choose, roleBox], t('add'), async (v) => {
        const keys = Object.keys(v).filter((k) => k.startsWith('role:')).map((k) => v[k]);
        await api('POST', `/v1/users/${id}/grants`, { project_id: v.project_id, role_keys: keys });
        notice(t('created'));
        refresh();
      }, [cancel(close)]);
    });
    parts.push(section(t('grants'), add, table([
      { label: t('project'), cell: (g) => link(`#/projects/${g.project_id}`, names.get(g.project_id) || g.project_id) },
      { label: t('roles'), cell: (g) => (g.role_keys || g.roles || []).join(', ') },
      { label: '', cell: (g) => (can('user.grant.delete', { org: owners.get(g.project_id), project: g.project_id }) ? danger(t('remove'), `${t('removeGrant')} ${names.get(g.project_id) || g.project_id}?`, () => api('DELETE', `/v1/users/${id}/grants/${g.id}`)) : '') },
    ], grants, t('grants'))));
  }
  const memberships = await list(`/v1/users/${id}/memberships`).catch(() => null);
  if (memberships) {
    parts.push(section(t('memberships'), table([
      { label: t('level'), cell: (m) => m.level },
      { label: t('resource'), cell: (m) => (m.level === 'org' ? link(`#/orgs/${m.resource_id}`, orgName(m.resource_id)) : m.level === 'project' ? link(`#/projects/${m.resource_id}`, m.resource_id) : m.resource_id) },
      { label: t('roles'), cell: (m) => m.roles.join(', ') },
    ], memberships, t('memberships'))));
  }
  parts.push(...await userDetails(u));
  if (id !== me.user.id && can('user.delete', org)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('deleteUser'), `${t('deleteUser')}: ${u.username}?`, () => api('DELETE', `/v1/users/${id}`), '#/users')));
  }
  page(u.display_name || u.username, parts);
}
