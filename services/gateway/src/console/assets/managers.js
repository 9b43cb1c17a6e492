// The managers of an instance, org or project: who holds which roles there, and adding one
// (the org's own users by login name, anyone else only by their exact login name).
import {
  cancel, field, form, h, link, notice, opener, refresh, section, table,
} from './dom.js';
import {
  api, list, me, userNames,
} from './api.js';
import { t } from './words.js';

/** The managers of a resource (`base` is its API path) and, if allowed, a way to add one. */
export async function managers(base, orgId, roleLevel, mayWrite) {
  const members = await list(`${base}/members`);
  const names = await userNames(members.map((m) => m.user_id));
  const roles = Object.keys(me.roles).filter((r) => r.startsWith(roleLevel) && !(roleLevel === 'PROJECT_' && r.startsWith('PROJECT_GRANT_')));
  const rows = table([
    { label: t('member'), cell: (m) => link(`#/users/${m.user_id}`, names.get(m.user_id) || m.user_id) },
    { label: t('roles'), cell: (m) => m.roles.join(', ') },
  ], members, t('members'));
  const add = mayWrite && opener(t('addMember'), (close) => {
    const found = h('div', { class: 'found' });
    return h('div', {}, h('p', { class: 'hint', text: t('otherOrgHint') }), form(t('addMember'), [
      field(t('findUser'), 'username', { required: true }),
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
