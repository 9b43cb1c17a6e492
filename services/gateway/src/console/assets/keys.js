// Keys that sign assertions (RFC 7523): a machine user's, or an app's that authenticates with
// `private_key_jwt`. Listed, a new one made here (its key file shown once), removed.
import {
  danger, h, notice, section, shownOnce, table, when,
} from './dom.js';
import { api, describe, list } from './api.js';
import { t } from './words.js';

/** The keys under `base` (`/v1/users/{id}` or an app's path), or nothing when the caller may
 * not read them. */
export async function keysSection(base, mayWrite, hint) {
  const keys = await list(`${base}/keys`).catch(() => null);
  if (!keys) return null;
  const shown = h('div', {});
  const make = mayWrite && h('button', {
    type: 'button', class: 'primary', text: t('newKey'),
    onclick: async () => {
      try {
        const made = await api('POST', `${base}/keys`, {});
        const file = JSON.stringify(made.key_file);
        shown.replaceChildren(shownOnce(t('newKey'), [[t('keyFile'), 'key-file', file]], t('keyFileOnce')));
      } catch (e) { notice(describe(e), 'bad'); }
    },
  });
  return section(t('keys'), hint ? h('p', { text: hint }) : null, make, shown, table([
    { label: t('id'), cell: (k) => h('span', { class: 'mono', text: k.id }) },
    { label: t('expires'), cell: (k) => when(k.expires_at) },
    { label: '', cell: (k) => (mayWrite ? danger(t('remove'), `${t('removeKey')} ${k.id}?`, () => api('DELETE', `${base}/keys/${k.id}`)) : '') },
  ], keys, t('keys')));
}
