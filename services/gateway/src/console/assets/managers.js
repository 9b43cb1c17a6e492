// The managers of an instance, org or project: who holds which roles there, and adding one
// (the org's own users by login name, anyone else only by their exact login name).
import {
  cancel, danger, field, form, h, link, notice, opener, refresh, section, table,
} from './dom.js';
import {
  api, list, me, userNames,
} from './api.js';
import { t } from './words.js';

let lists = 0;
/** The login-name field, suggesting the org's own users whose names start with what is typed. */
function suggested(orgId) {
  const id = `suggest${lists++}`;
  const options = h('datalist', { id });
  const box = field(t('findUser'), 'username', { required: true, list: id, autocomplete: 'off' });
  box.querySelector('input').addEventListener('input', async (e) => {
    const start = e.target.value.trim();
    if (!orgId || !start) return;
    const q = new URLSearchParams({ org_id: orgId, username_prefix: start, limit: '10' });
    const found = await api('GET', `/v1/users?${q}`).catch(() => ({ items: [] }));
    options.replaceChildren(...found.items.map((u) => h('option', { value: u.username, text: u.display_name })));
  });
  box.append(options);
  return box;
}

/** The managers of a resource (`base` is its API path) and, if allowed, a way to add one. */
export async function managers(base, orgId, roleLevel, mayWrite, mayRemove) {
  const members = await list(`${base}/members`);
  const names = await userNames(members.map((m) => m.user_id));
  const roles = Object.keys(me.roles).filter((r) => r.startsWith(roleLevel) && !(roleLevel === 'PROJECT_' && r.startsWith('PROJECT_GRANT_')));
  const rows = table([
    { label: t('member'), cell: (m) => link(`#/users/${m.user_id}`, names.get(m.user_id) || m.user_id) },
    { label: t('roles'), cell: (m) => m.roles.join(', ') },
    { label: '', cell: (m) => (mayRemove ? danger(t('remove'), `${t('removeManager')} ${names.get(m.user_id) || m.user_id}?`, () => api('DELETE', `${base}/members/${m.user_id}`)) : '') },
  ], members, t('members'));
  const add = mayWrite && opener(t('addMember'), (close) => {
    const found = h('div', { class: 'found' });
    return h('div', {}, h('p', { class: 'hint', text: t('otherOrgHint') }), form(t('addMember'), [
      suggested(orgId),
      field(t('roles'), 'role', {}, roles.map((r) => ({ value: r, label: r }))),
    ], t('add'), async (v) => {
      // Own org's users by login name first, then anyone's exact login name.
      const name = encodeURIComponent(v.username);
      let user = orgId && (await api('GET', `/v1/users?org_id=${encodeURIComponent(orgId)}&username=${name}`)).items[0];
      if (!user) user = (await api('GET', `/v1/users?username=${name}`)).items[0];
      if (!user) { found.textContent = t('noUser'); return; }
      await api('PUT', `${base}/members/${user.id}`, { user_id: user.id, roles: [v.role] });
      notice(t('saved'));
      refresh();
    }, [cancel(close)]), found);
  });
  return section(t('members'), add, rows);
}
