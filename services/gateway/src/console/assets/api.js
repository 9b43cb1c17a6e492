// The REST API as the logged-in user: their access token, the API's errors with their codes,
// lists followed by their cursors, and every read after a write waiting for that write.
import { signIn, store, tokens } from './login.js';
import { t } from './words.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.details = body?.details;
  }
}

export const describe = (err) => (err.code ? `${err.message} (${err.code})` : err.message);

/** The last write's log position: every read waits for it, so the console reads its writes. */
let position = null;

export async function api(method, path, body, signal) {
  const headers = { authorization: `Bearer ${tokens()?.access_token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (position) headers['x-portcullis-position'] = position;
  const sent = body === undefined ? undefined : JSON.stringify(body);
  const answer = await fetch(path, {
    method, headers, body: sent, signal,
  });
  if (answer.status === 401) {
    store.removeItem('portcullis-console-tokens');
    await signIn();
    throw new ApiError(401, { message: t('signIn') });
  }
  const text = await answer.text();
  let json = {};
  try { json = text ? JSON.parse(text) : {}; } catch { json = { message: `HTTP ${answer.status}` }; }
  if (!answer.ok) throw new ApiError(answer.status, json);
  if (method !== 'GET' && json.position) position = json.position;
  return json;
}

/** Every item of a list, following its cursor up to `max` items. */
export async function list(path, max = 200) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const got = await api('GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...got.items);
    cursor = got.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// ---- what the caller may do ---------------------------------------------------------------

export const me = { user: null, memberships: [], roles: {} };

/** Whether the caller's roles give `permission` on the instance, an org or a project. */
export function can(permission, { org, project } = {}) {
  return me.memberships.some((m) => {
    const applies = m.level === 'instance'
      || (m.level === 'org' && org && m.resource_id === org)
      || (m.level === 'project' && project && m.resource_id === project);
    return applies && m.roles.some((r) => (me.roles[r] || []).includes(permission));
  });
}

/** The login names of users by id, as far as the caller may read them. */
export async function userNames(ids) {
  const found = await Promise.all([...new Set(ids)].map((id) => api('GET', `/v1/users/${id}`).catch(() => null)));
  return new Map(found.filter(Boolean).map((u) => [u.id, u.username]));
}
