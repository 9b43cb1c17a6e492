// How a user gets in, as a manager helps: a human is sent a password reset or an invitation
// (by email, through the instance's email server); a machine user gets a client secret for
// client credentials (shown once) or loses it.
import {
  danger, h, makesSecret, notice, section,
} from './dom.js';
import { api, can, describe } from './api.js';
import { t } from './words.js';

/** A button that posts to the API and says it was sent. */
function send(text, path, body) {
  return h('button', {
    type: 'button', text,
    onclick: async () => {
      try { await api('POST', path, body); notice(t('sent')); } catch (e) { notice(describe(e), 'bad'); }
    },
  });
}

/** The section, or nothing when the caller may not write the user (or it is the caller). */
export function userAccess(u, callerId) {
  if (u.id === callerId || !can('user.write', { org: u.org_id })) return null;
  const base = `/v1/users/${u.id}`;
  if (u.type === 'human') {
    return section(t('access'), h('p', { class: 'hint', text: t('accessHint') }), h('div', { class: 'buttons' },
      send(t('sendReset'), `${base}/password/reset`, { send: 'email' }),
      send(t('invite'), `${base}/invite`, {})));
  }
  const { button: make, shown } = makesSecret(t('newSecret'), {
    question: t('newSecretQuestion'),
    make: () => api('POST', `${base}/secret`, {}),
    entries: (made) => [[t('clientId'), 'machine-client-id', made.client_id],
      [t('clientSecret'), 'machine-client-secret', made.client_secret]],
    warning: t('secretOnce'),
  });
  const remove = danger(t('removeSecret'), `${t('removeSecret')}: ${u.username}?`, () => api('DELETE', `${base}/secret`));
  return section(t('clientSecret'), h('p', { class: 'hint', text: t('machineSecretHint') }), h('div', { class: 'buttons' }, make, remove), shown);
}
