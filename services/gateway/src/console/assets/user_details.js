// What a user's page shows beside the profile: metadata, second factors, sessions (ended one by
// one or all), personal access tokens (a new one shown once), machine keys and IdP links. Each
// part is shown only when the caller may read it.
import {
  h, makesSecret, notice, refresh, section, table, when,
} from './dom.js';
import { api, can, describe, list, me } from './api.js';
import { keysSection } from './keys.js';
import { t } from './words.js';

/** A button that calls the API, then shows the page again. */
function action(text, method, path, body) {
  return h('button', {
    type: 'button', text,
    onclick: async () => {
      try { await api(method, path, body); notice(t('saved')); refresh(); } catch (e) { notice(describe(e), 'bad'); }
    },
  });
}

/** A list of the user's, or nothing when the caller may not read it. */
const readable = (path) => list(path).catch(() => null);

export async function userDetails(u) {
  const at = { org: u.org_id };
  const mayWrite = can('user.write', at) || u.id === me.user.id;
  const base = `/v1/users/${u.id}`;
  const parts = [];
  const metadata = u.id !== me.user.id && await readable(`${base}/metadata`);
  if (metadata) {
    const decode = (v) => { try { return atob(v); } catch { return v; } };
    parts.push(section(t('metadata'), table([
      { label: t('key'), cell: (m) => h('span', { class: 'mono', text: m.key }) },
      { label: t('value'), cell: (m) => decode(m.value) },
    ], metadata, t('metadata'))));
  }
  const factors = await api('GET', `${base}/factors`).then((f) => f.items).catch(() => null);
  if (factors) {
    parts.push(section(t('factors'), table([
      { label: t('type'), cell: (f) => f.type },
      { label: t('name'), cell: (f) => f.name || '' },
      { label: t('verified'), cell: (f) => (f.verified ? t('yes') : t('no')) },
    ], factors, t('factors'))));
  }
  const sessions = await api('GET', `${base}/sessions`).then((s) => s.items).catch(() => null);
  if (sessions) {
    parts.push(section(t('sessions'), table([
      { label: t('started'), cell: (s) => when(s.started_at) },
      { label: t('lastUsed'), cell: (s) => when(s.last_used) },
      { label: t('expires'), cell: (s) => when(s.expires_at) },
      { label: '', cell: (s) => (mayWrite ? action(t('endSession'), 'DELETE', `${base}/sessions/${s.id}`) : '') },
    ], sessions, t('sessions')), mayWrite && sessions.length > 1 ? action(t('endAll'), 'DELETE', `${base}/sessions`) : null));
  }
  // Personal access tokens: never one's own (a stolen session must not mint a lasting token).
  const pats = u.id !== me.user.id && await readable(`${base}/pats`);
  if (pats) {
    const { button: make, shown } = makesSecret(t('newPat'), {
      make: () => api('POST', `${base}/pats`, {}),
      entries: (made) => [[t('token'), 'pat-token', made.token]],
      warning: t('tokenOnce'),
    });
    parts.push(section(t('pats'), can('user.write', at) && make, shown, table([
      { label: t('id'), cell: (p) => h('span', { class: 'mono', text: p.id }) },
      { label: t('expires'), cell: (p) => when(p.expires_at) },
      { label: '', cell: (p) => (can('user.write', at) ? action(t('remove'), 'DELETE', `${base}/pats/${p.id}`) : '') },
    ], pats, t('pats'))));
  }
  if (u.type === 'machine') parts.push(await keysSection(base, can('user.write', at)));
  const links = await readable(`${base}/idp_links`);
  if (links) {
    parts.push(section(t('idpLinks'), table([
      { label: t('idp'), cell: (l) => l.idp_name || l.idp_id },
      { label: t('externalId'), cell: (l) => h('span', { class: 'mono', text: l.external_id }) },
      { label: '', cell: (l) => (mayWrite ? action(t('remove'), 'DELETE', `${base}/idp_links/${l.idp_id}/${encodeURIComponent(l.external_id)}`) : '') },
    ], links, t('idpLinks'))));
  }
  return parts;
}
