// The permission explainer: may a user do something on a resource, and why.
import { field, form, h, page } from './dom.js';
import { api, me } from './api.js';
import { t } from './words.js';

export function permissionsPage() {
  const answer = h('div', { role: 'status', 'aria-live': 'polite' });
  page(t('permissions'), h('p', { text: t('explain') }), form(t('permissions'), [
    field(t('user'), 'user_id', { required: true, value: me.user.id }),
    field(t('permission'), 'permission', { required: true, placeholder: 'user.write' }),
    field(t('resourceType'), 'type', {}, ['instance', 'org', 'project', 'project_grant', 'user'].map((x) => ({ value: x, label: x }))),
    field(t('id'), 'id'),
  ], t('check'), async (v) => {
    const got = await api('POST', '/v1/permissions/check', {
      user_id: v.user_id, permission: v.permission, resource: { type: v.type, id: v.id },
    });
    answer.replaceChildren(h('p', { class: got.allowed ? 'yes' : 'no', text: got.allowed ? t('allowed') : t('refused') }),
      h('p', {}, `${t('because')}: `, typeof got.because === 'string' ? got.because : JSON.stringify(got.because)));
  }), answer);
}
