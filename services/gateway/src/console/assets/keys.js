// Keys that sign assertions (RFC 7523): a machine user's, or an app's that authenticates with
// `private_key_jwt`. Listed, a new one made here (its key file shown once), removed.
import {
  danger, h, makesSecret, section, table, when,
} from './dom.js';
import { api, list } from './api.js';
import { t } from './words.js';

/** The keys under `base` (`/v1/users/{id}` or an app's path), or nothing when the caller may
 * not read them. */
export async function keysSection(base, mayWrite, hint) {
  const keys = await list(`${base}/keys`).catch(() => null);
  if (!keys) return null;
  const { button: make, shown } = makesSecret(t('newKey'), {
    make: () => api('POST', `${base}/keys`, {}),
    entries: (made) => [[t('keyFile'), 'key-file', JSON.stringify(made.key_file)]],
    warning: t('keyFileOnce'),
  });
  return section(t('keys'), hint ? h('p', { text: hint }) : null, mayWrite && make, shown, table([
    { label: t('id'), cell: (k) => h('span', { class: 'mono', text: k.id }) },
    { label: t('expires'), cell: (k) => when(k.expires_at) },
    { label: '', cell: (k) => (mayWrite ? danger(t('remove'), `${t('removeKey')} ${k.id}?`, () => api('DELETE', `${base}/keys/${k.id}`)) : '') },
  ], keys, t('keys')));
}
