// The Portcullis console: logs in through the instance's hosted login as the built-in public
// client `console` (authorization code with PKCE), keeps the access token in this tab only,
// and calls the REST API with it. It shows a manager only what their roles allow; the API
// decides every call. No HTML is built from strings: every text goes in as text.
'use strict';

const HOME = `${location.origin}/ui/console/`;
const CLIENT_ID = 'console';
const SCOPE = 'openid profile urn:portcullis:api:aud';

// ---- words -------------------------------------------------------------------------------

const WORDS = {
  en: {
    skip: 'Skip to content', loading: 'Loading…', overview: 'Overview', orgs: 'Organizations',
    users: 'Users', projects: 'Projects', events: 'Audit trail', actions: 'Actions',
    permissions: 'Permission explainer', signOut: 'Sign out', signedOut: 'You are signed out.',
    signIn: 'Sign in', signedInAs: 'Signed in as', instance: 'Instance', domains: 'Domains',
    name: 'Name', id: 'ID', create: 'Create', cancel: 'Cancel', more: 'Show more',
    newOrg: 'New organization', newUser: 'New user', newProject: 'New project',
    org: 'Organization', username: 'Login name', givenName: 'Given name',
    familyName: 'Family name', email: 'Email', password: 'Initial password (optional)',
    type: 'Type', state: 'State', members: 'Managers', roles: 'Roles', addMember: 'Add manager',
    member: 'User', findUser: 'Find by login name', find: 'Find', noUser: 'No user has this login name in this organization.',
    otherOrgHint: 'A user of another organization is found only by their exact login name.',
    add: 'Add', remove: 'Remove', apps: 'Applications', newApp: 'New application',
    appKind: 'Kind of application', web: 'Web application (server side, with a secret)',
    spa: 'Single-page or native app (public, PKCE)', redirectUri: 'Redirect URI',
    logoutUri: 'Post-logout redirect URI (optional)', clientId: 'Client ID',
    clientSecret: 'Client secret', secretOnce: 'Copy the secret now: it is shown only this once.',
    done: 'Done', key: 'Key', displayName: 'Display name', addRole: 'Add role',
    grants: 'Authorizations', addGrant: 'Add authorization', project: 'Project',
    projectGrants: 'Granted to organizations', grantToOrg: 'Grant to an organization',
    memberships: 'Manager roles', level: 'Level', resource: 'Resource', profile: 'Profile',
    lock: 'Lock', unlock: 'Unlock', deactivate: 'Deactivate', reactivate: 'Reactivate',
    created: 'Created.', saved: 'Saved.', none: 'Nothing here yet.', all: 'All',
    aggregateType: 'Aggregate type', aggregateId: 'Aggregate ID', live: 'Live',
    position: 'Position', time: 'Time', event: 'Event', creator: 'By', filter: 'Filter',
    user: 'User', permission: 'Permission', resourceType: 'Resource type', check: 'Check',
    allowed: 'Allowed', refused: 'Refused', because: 'Why', endpoint: 'Endpoint',
    notAllowed: 'Your roles do not allow this page.', back: 'Back', language: 'Language',
    errorTitle: 'That did not work', tryAgain: 'Try again', details: 'Details',
    explain: 'May a user do something on a resource, and why?', noRoles: 'This project has no roles yet.',
    openUser: 'Open', copied: 'Copied.', copy: 'Copy', welcome: 'Manage your instance: organizations, users, projects and their applications, and what happened when.',
  },
  de: {
    skip: 'Zum Inhalt', loading: 'Wird geladen…', overview: 'Übersicht', orgs: 'Organisationen',
    users: 'Benutzer', projects: 'Projekte', events: 'Protokoll', actions: 'Aktionen',
    permissions: 'Berechtigungen prüfen', signOut: 'Abmelden', signedOut: 'Sie sind abgemeldet.',
    signIn: 'Anmelden', signedInAs: 'Angemeldet als', instance: 'Instanz', domains: 'Domains',
    name: 'Name', id: 'ID', create: 'Anlegen', cancel: 'Abbrechen', more: 'Mehr anzeigen',
    newOrg: 'Neue Organisation', newUser: 'Neuer Benutzer', newProject: 'Neues Projekt',
    org: 'Organisation', username: 'Anmeldename', givenName: 'Vorname',
    familyName: 'Nachname', email: 'E-Mail', password: 'Erstes Passwort (optional)',
    type: 'Art', state: 'Status', members: 'Manager', roles: 'Rollen', addMember: 'Manager hinzufügen',
    member: 'Benutzer', findUser: 'Nach Anmeldename suchen', find: 'Suchen', noUser: 'Kein Benutzer dieser Organisation hat diesen Anmeldenamen.',
    otherOrgHint: 'Benutzer anderer Organisationen werden nur über ihren genauen Anmeldenamen gefunden.',
    add: 'Hinzufügen', remove: 'Entfernen', apps: 'Anwendungen', newApp: 'Neue Anwendung',
    appKind: 'Art der Anwendung', web: 'Webanwendung (serverseitig, mit Geheimnis)',
    spa: 'Single-Page- oder native App (öffentlich, PKCE)', redirectUri: 'Weiterleitungs-URI',
    logoutUri: 'Weiterleitungs-URI nach dem Abmelden (optional)', clientId: 'Client-ID',
    clientSecret: 'Client-Geheimnis', secretOnce: 'Kopieren Sie das Geheimnis jetzt: Es wird nur dieses eine Mal angezeigt.',
    done: 'Fertig', key: 'Schlüssel', displayName: 'Anzeigename', addRole: 'Rolle hinzufügen',
    grants: 'Berechtigungen', addGrant: 'Berechtigung hinzufügen', project: 'Projekt',
    projectGrants: 'Für Organisationen freigegeben', grantToOrg: 'Für eine Organisation freigeben',
    memberships: 'Manager-Rollen', level: 'Ebene', resource: 'Ressource', profile: 'Profil',
    lock: 'Sperren', unlock: 'Entsperren', deactivate: 'Deaktivieren', reactivate: 'Reaktivieren',
    created: 'Angelegt.', saved: 'Gespeichert.', none: 'Noch nichts vorhanden.', all: 'Alle',
    aggregateType: 'Aggregattyp', aggregateId: 'Aggregat-ID', live: 'Live',
    position: 'Position', time: 'Zeit', event: 'Ereignis', creator: 'Von', filter: 'Filtern',
    user: 'Benutzer', permission: 'Berechtigung', resourceType: 'Ressourcentyp', check: 'Prüfen',
    allowed: 'Erlaubt', refused: 'Abgelehnt', because: 'Warum', endpoint: 'Endpunkt',
    notAllowed: 'Ihre Rollen erlauben diese Seite nicht.', back: 'Zurück', language: 'Sprache',
    errorTitle: 'Das hat nicht geklappt', tryAgain: 'Erneut versuchen', details: 'Details',
    explain: 'Darf ein Benutzer etwas an einer Ressource tun, und warum?', noRoles: 'Dieses Projekt hat noch keine Rollen.',
    openUser: 'Öffnen', copied: 'Kopiert.', copy: 'Kopieren', welcome: 'Verwalten Sie Ihre Instanz: Organisationen, Benutzer, Projekte und ihre Anwendungen, und was wann geschah.',
  },
};

const chosen = localStorage.getItem('portcullis-console-language') || navigator.language || 'en';
let lang = chosen.toLowerCase().startsWith('de') ? 'de' : 'en';
const t = (key) => WORDS[lang][key] ?? WORDS.en[key] ?? key;

// ---- elements ----------------------------------------------------------------------------

/** An element with attributes (`on*` are listeners, `text` its text) and children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

const main = () => document.getElementById('main');

function notice(text, kind = 'ok') {
  const box = document.getElementById('notice');
  box.className = `notice ${kind}`;
  box.textContent = text;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.textContent = ''; box.className = 'notice'; }, 6000);
}

/** A page: its heading (focused for screen readers) and its parts. */
function page(title, ...parts) {
  document.title = `${title} · Portcullis Console`;
  const heading = h('h1', { text: title, tabindex: '-1' });
  main().replaceChildren(heading, ...parts.flat());
  heading.focus({ preventScroll: true });
}

function section(title, ...parts) {
  return h('section', { 'aria-label': title }, h('h2', { text: title }), ...parts.flat());
}

/** A table of `rows` with `columns` [{label, cell(row)}]. */
function table(columns, rows, caption) {
  if (!rows.length) return h('p', { class: 'empty', text: t('none') });
  return h('div', { class: 'scroll' }, h('table', {},
    caption ? h('caption', { class: 'sr', text: caption }) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
      const v = c.cell(r);
      return h('td', {}, v instanceof Node ? v : String(v ?? ''));
    }))))));
}

let fieldCount = 0;
/** A labelled input (or select when `options` [{value, label}] are given). */
function field(label, name, attrs = {}, options = null) {
  const id = `f${fieldCount++}`;
  const control = options
    ? h('select', { id, name, ...attrs }, options.map((o) => h('option', { value: o.value, text: o.label })))
    : h('input', { id, name, type: 'text', autocomplete: 'off', ...attrs });
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

/** A form that sends its values to `submit` and shows the API's error beside it. */
function form(label, fields, submitText, submit, extra = []) {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', text: submitText });
  const el = h('form', {
    'aria-label': label,
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      button.disabled = true;
      try {
        await submit(Object.fromEntries(new FormData(el)), el);
      } catch (err) {
        error.textContent = describe(err);
      } finally {
        button.disabled = false;
      }
    },
  }, fields, h('div', { class: 'buttons' }, button, extra), error);
  return el;
}

/** A button that opens a form below it (and closes it again). */
function opener(text, make) {
  const holder = h('div', { class: 'opener' });
  const button = h('button', {
    type: 'button', class: 'primary', text, 'aria-expanded': 'false',
    onclick: () => {
      const open = button.getAttribute('aria-expanded') === 'true';
      button.setAttribute('aria-expanded', String(!open));
      if (open) { holder.replaceChildren(); return; }
      const close = () => { button.setAttribute('aria-expanded', 'false'); holder.replaceChildren(); button.focus(); };
      holder.replaceChildren(make(close));
      holder.querySelector('input, select')?.focus();
    },
  });
  return h('div', {}, button, holder);
}

const link = (href, text) => h('a', { href, text });
const cancel = (close) => h('button', { type: 'button', text: t('cancel'), onclick: close });

// ---- login (authorization code with PKCE) -------------------------------------------------

const b64url = (bytes) => btoa(String.fromCharCode(...bytes))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

/** SHA-256: the browser's where it has one (secure origins), else this plain version. */
async function sha256(text) {
  const data = new TextEncoder().encode(text);
  if (crypto.subtle) return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  const k = [];
  for (let n = 2, found = 0; found < 64; n++) {
    if ([...Array(n).keys()].slice(2).every((d) => n % d)) {
      k.push(((Math.cbrt(n) % 1) * 2 ** 32) | 0);
      found++;
    }
  }
  const hs = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const bytes = [...data, 0x80];
  while (bytes.length % 64 !== 56) bytes.push(0);
  const bits = data.length * 8;
  for (let i = 7; i >= 0; i--) bytes.push(i >= 4 ? 0 : (bits >>> (i * 8)) & 0xff);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < bytes.length; off += 64) {
    const w = [];
    for (let i = 0; i < 64; i++) {
      if (i < 16) {
        w[i] = (bytes[off + 4 * i] << 24) | (bytes[off + 4 * i + 1] << 16) | (bytes[off + 4 * i + 2] << 8) | bytes[off + 4 * i + 3];
      } else {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
    }
    let [a, b, c, d, e, f, g, hh] = hs;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) | 0, c, b, a, (t1 + t2) | 0];
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => { hs[i] = (hs[i] + v) | 0; });
  }
  return new Uint8Array(hs.flatMap((v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]));
}

const store = sessionStorage;

async function signIn() {
  const verifier = random(32);
  const state = random(16);
  store.setItem('portcullis-console-login', JSON.stringify({ verifier, state, hash: location.hash }));
  const q = new URLSearchParams({
    client_id: CLIENT_ID, redirect_uri: HOME, response_type: 'code', scope: SCOPE, state,
    code_challenge: b64url(await sha256(verifier)), code_challenge_method: 'S256', ui_locales: lang,
  });
  location.assign(`/oauth/v2/authorize?${q}`);
}

/** The code the login sent back, exchanged for tokens; false when this is no callback. */
async function callback() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const started = JSON.parse(store.getItem('portcullis-console-login') || 'null');
  store.removeItem('portcullis-console-login');
  history.replaceState(null, '', HOME + (started?.hash || ''));
  if (!started || q.get('state') !== started.state || q.has('error')) {
    throw new Error(q.get('error_description') || 'The login did not come back from this console.');
  }
  const answer = await fetch('/oauth/v2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: HOME,
      client_id: CLIENT_ID, code_verifier: started.verifier,
    }),
  });
  const tokens = await answer.json();
  if (!answer.ok) throw new Error(tokens.error_description || tokens.error);
  store.setItem('portcullis-console-tokens', JSON.stringify(tokens));
  return true;
}

const tokens = () => JSON.parse(store.getItem('portcullis-console-tokens') || 'null');

function signOut() {
  const hint = tokens()?.id_token;
  store.clear();
  localStorage.setItem('portcullis-console-out', '1');
  const q = new URLSearchParams({ post_logout_redirect_uri: HOME, ...(hint ? { id_token_hint: hint } : {}) });
  location.assign(`/oidc/v1/end_session?${q}`);
}

// ---- the API ------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.details = body?.details;
  }
}

const describe = (err) => (err.code ? `${err.message} (${err.code})` : err.message);

/** The last write's log position: every read waits for it, so the console reads its writes. */
let position = null;

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${tokens()?.access_token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (position) headers['x-portcullis-position'] = position;
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 401) {
    store.removeItem('portcullis-console-tokens');
    await signIn();
    throw new ApiError(401, { message: t('signIn') });
  }
  const text = await answer.text();
  const json = text ? JSON.parse(text) : {};
  if (!answer.ok) throw new ApiError(answer.status, json);
  if (method !== 'GET' && json.position) position = json.position;
  return json;
}

/** Every item of a list, following its cursor up to `max` items. */
async function list(path, max = 200) {
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

const me = { user: null, memberships: [], roles: {} };

/** Whether the caller's roles give `permission` on the instance, an org or a project. */
function can(permission, { org, project } = {}) {
  return me.memberships.some((m) => {
    const applies = m.level === 'instance'
      || (m.level === 'org' && org && m.resource_id === org)
      || (m.level === 'project' && project && m.resource_id === project);
    return applies && m.roles.some((r) => (me.roles[r] || []).includes(permission));
  });
}

// ---- pages --------------------------------------------------------------------------------

const orgNames = new Map();
async function orgs() {
  const items = await list('/v1/orgs');
  items.forEach((o) => orgNames.set(o.id, o.name));
  return items;
}
const orgName = (id) => orgNames.get(id) || id;

async function overview() {
  const parts = [h('p', { class: 'lead', text: t('welcome') })];
  if (can('iam.read')) {
    const i = await api('GET', '/v1/instance');
    parts.push(section(t('instance'), h('dl', {},
      h('dt', { text: t('name') }), h('dd', { text: i.name }),
      h('dt', { text: t('domains') }), h('dd', { text: i.domains.join(', ') }),
      h('dt', { text: t('id') }), h('dd', { class: 'mono', text: i.id }))));
  }
  parts.push(section(t('signedInAs'), h('p', {}, link(`#/users/${me.user.id}`, me.user.username))));
  page(t('overview'), parts);
}

async function orgsPage() {
  const items = await orgs();
  const create = can('org.create') && opener(t('newOrg'), (close) => form(t('newOrg'),
    [field(t('name'), 'name', { required: true, maxlength: 200 })], t('create'), async (v) => {
      const made = await api('POST', '/v1/orgs', { name: v.name });
      notice(t('created'));
      location.hash = `#/orgs/${made.id}`;
    }, [cancel(close)]));
  page(t('orgs'), create, table([
    { label: t('name'), cell: (o) => link(`#/orgs/${o.id}`, o.name) },
    { label: t('id'), cell: (o) => h('span', { class: 'mono', text: o.id }) },
  ], items, t('orgs')));
}

/** The managers of a resource (`base` is its API path) and, if allowed, a way to add one. */
async function managers(base, orgId, roleLevel, mayWrite) {
  const members = await list(`${base}/members`);
  const roles = Object.keys(me.roles).filter((r) => r.startsWith(roleLevel) && !(roleLevel === 'PROJECT_' && r.startsWith('PROJECT_GRANT_')));
  const rows = table([
    { label: t('member'), cell: (m) => link(`#/users/${m.user_id}`, m.username || m.user_id) },
    { label: t('roles'), cell: (m) => m.roles.join(', ') },
  ], members, t('members'));
  const add = mayWrite && opener(t('addMember'), (close) => {
    const found = h('div', { class: 'found' });
    return h('div', {}, h('p', { class: 'hint', text: t('otherOrgHint') }), form(t('addMember'), [
      field(t('findUser'), 'username', { required: true }),
      field(t('roles'), 'role', {}, roles.map((r) => ({ value: r, label: r }))),
    ], t('add'), async (v) => {
      // Own org's users by login name first, then anyone's exact login name.
      let user = (await api('GET', `/v1/users?org_id=${encodeURIComponent(orgId)}&username=${encodeURIComponent(v.username)}`)).items[0];
      if (!user) user = (await api('GET', `/v1/users?username=${encodeURIComponent(v.username)}`)).items[0];
      if (!user) { found.textContent = t('noUser'); return; }
      await api('PUT', `${base}/members/${user.id}`, { user_id: user.id, roles: [v.role] });
      notice(t('saved'));
      route();
    }, [cancel(close)]), found);
  });
  return section(t('members'), add, rows);
}

async function orgPage(id) {
  await orgs();
  const o = await api('GET', `/v1/orgs/${id}`);
  const parts = [h('p', { class: 'mono', text: o.id })];
  if (can('org.member.read', { org: id })) parts.push(await managers(`/v1/orgs/${id}`, id, 'ORG_', can('org.member.write', { org: id })));
  parts.push(section(t('users'), h('p', {}, link(`#/users?org=${id}`, `${t('users')}: ${o.name}`))));
  parts.push(section(t('projects'), h('p', {}, link(`#/projects?org=${id}`, `${t('projects')}: ${o.name}`))));
  page(o.name, parts);
}

function orgChoice(items, selected, permission) {
  const allowed = items.filter((o) => !permission || can(permission, { org: o.id }));
  const ordered = [...allowed].sort((a, b) => (a.id === selected ? -1 : b.id === selected ? 1 : 0));
  return ordered.map((o) => ({ value: o.id, label: o.name }));
}

async function usersPage(query) {
  const items = await orgs();
  const org = query.get('org') || '';
  const username = query.get('username') || '';
  const path = `/v1/users?${new URLSearchParams({ ...(org ? { org_id: org } : {}), ...(username ? { username } : {}) })}`;
  const rows = h('div', {});
  let cursor = null;
  const shown = [];
  const more = h('button', { type: 'button', text: t('more'), onclick: () => load() });
  const load = async () => {
    const got = await api('GET', `${path}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    shown.push(...got.items);
    cursor = got.next_cursor;
    rows.replaceChildren(table([
      { label: t('username'), cell: (u) => link(`#/users/${u.id}`, u.username) },
      { label: t('name'), cell: (u) => u.display_name },
      { label: t('org'), cell: (u) => orgName(u.org_id) },
      { label: t('type'), cell: (u) => u.type },
      { label: t('state'), cell: (u) => h('span', { class: `state ${u.state}`, text: u.state }) },
    ], shown, t('users')), cursor ? more : '');
  };
  const filters = h('form', {
    class: 'filters', 'aria-label': t('filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const v = Object.fromEntries(new FormData(e.target));
      const q = new URLSearchParams(Object.entries(v).filter(([, x]) => x));
      location.hash = `#/users?${q}`;
    },
  }, field(t('org'), 'org', {}, [{ value: '', label: t('all') }, ...orgChoice(items, org)]),
  field(t('username'), 'username', { value: username, type: 'search' }),
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
  page(t('users'), create, filters, rows);
  await load();
}

async function userPage(id) {
  await orgs();
  const u = await api('GET', `/v1/users/${id}`);
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
          try { await api('POST', `/v1/users/${id}/${op}`, {}); notice(t('saved')); route(); } catch (e) { notice(describe(e), 'bad'); }
        },
      })));
  const parts = [section(t('profile'), profile, stateButtons)];
  const grants = await list(`/v1/users/${id}/grants`).catch(() => null);
  if (grants) {
    const projects = await list('/v1/projects').catch(() => []);
    const names = new Map(projects.map((p) => [p.id, p.name]));
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
        route();
      }, [cancel(close)]);
    });
    parts.push(section(t('grants'), add, table([
      { label: t('project'), cell: (g) => link(`#/projects/${g.project_id}`, names.get(g.project_id) || g.project_id) },
      { label: t('roles'), cell: (g) => (g.role_keys || g.roles || []).join(', ') },
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
  page(u.display_name || u.username, parts);
}

async function projectsPage(query) {
  const items = await orgs();
  const org = query.get('org') || '';
  const projects = await list(`/v1/projects${org ? `?org_id=${encodeURIComponent(org)}` : ''}`);
  const creatable = orgChoice(items, org, 'project.create');
  const create = creatable.length > 0 && opener(t('newProject'), (close) => form(t('newProject'), [
    field(t('org'), 'org', {}, creatable),
    field(t('name'), 'name', { required: true, maxlength: 200 }),
  ], t('create'), async (v) => {
    const made = await api('POST', `/v1/orgs/${v.org}/projects`, { name: v.name });
    notice(t('created'));
    location.hash = `#/projects/${made.id}`;
  }, [cancel(close)]));
  page(t('projects'), create, table([
    { label: t('name'), cell: (p) => link(`#/projects/${p.id}`, p.name) },
    { label: t('org'), cell: (p) => orgName(p.org_id) },
  ], projects, t('projects')));
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
    const copy = (value) => h('button', {
      type: 'button', text: t('copy'),
      onclick: () => navigator.clipboard?.writeText(value).then(() => notice(t('copied'))),
    });
    holder.replaceChildren(h('div', { class: 'shown-once', role: 'region', 'aria-label': t('newApp') },
      h('dl', {},
        h('dt', { text: t('clientId') }), h('dd', {}, h('code', { id: 'client-id', text: made.client_id }), copy(made.client_id)),
        made.client_secret ? [h('dt', { text: t('clientSecret') }), h('dd', {}, h('code', { id: 'client-secret', text: made.client_secret }), copy(made.client_secret))] : []),
      made.client_secret ? h('p', { class: 'warn', text: t('secretOnce') }) : null,
      h('button', { type: 'button', class: 'primary', text: t('done'), onclick: () => route() })));
    holder.querySelector('button')?.focus();
  }, [cancel(close)]));
  return holder;
}

async function projectPage(id) {
  const items = await orgs();
  const p = await api('GET', `/v1/projects/${id}`);
  const at = { org: p.org_id, project: id };
  const parts = [h('p', {}, `${t('org')}: `, link(`#/orgs/${p.org_id}`, orgName(p.org_id)))];
  const roles = await list(`/v1/projects/${id}/roles`);
  const addRole = can('project.role.write', at) && opener(t('addRole'), (close) => form(t('addRole'), [
    field(t('key'), 'key', { required: true, maxlength: 200 }),
    field(t('displayName'), 'display_name', { required: true }),
  ], t('add'), async (v) => {
    await api('POST', `/v1/projects/${id}/roles`, { key: v.key, display_name: v.display_name });
    notice(t('created'));
    route();
  }, [cancel(close)]));
  parts.push(section(t('roles'), addRole, table([
    { label: t('key'), cell: (r) => h('span', { class: 'mono', text: r.key }) },
    { label: t('displayName'), cell: (r) => r.display_name },
  ], roles, t('roles'))));
  if (can('project.app.read', at)) {
    const apps = await list(`/v1/projects/${id}/apps`);
    const addApp = can('project.app.write', at) && opener(t('newApp'), (close) => appWizard(id, close));
    parts.push(section(t('apps'), addApp, table([
      { label: t('name'), cell: (a) => a.name || a.config?.name },
      { label: t('clientId'), cell: (a) => h('span', { class: 'mono', text: a.client_id }) },
    ], apps, t('apps'))));
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
      route();
    }, [cancel(close)]));
    parts.push(section(t('projectGrants'), addGrant, table([
      { label: t('org'), cell: (g) => orgName(g.granted_org_id) },
      { label: t('roles'), cell: (g) => (g.role_keys || g.roles || []).join(', ') },
    ], grants, t('projectGrants'))));
  }
  if (can('project.member.read', at)) parts.push(await managers(`/v1/projects/${id}`, p.org_id, 'PROJECT_', can('project.member.write', at)));
  page(p.name, parts);
}

let tail = null;
/** The audit trail in log order, a page at a time; live, it takes in new events as they come. */
async function eventsPage(query) {
  const type = query.get('type') || '';
  const aggregate = query.get('id') || '';
  const filter = new URLSearchParams({ ...(type ? { aggregate_type: type } : {}), ...(aggregate ? { aggregate_id: aggregate } : {}) });
  const rows = h('div', {});
  const shown = [];
  let cursor = null;
  let more = true;
  const moreButton = h('button', { type: 'button', text: t('more'), onclick: () => next() });
  const render = () => rows.replaceChildren(table([
    { label: t('position'), cell: (e) => e.position },
    { label: t('time'), cell: (e) => new Date(e.created_at).toLocaleString(lang) },
    { label: t('event'), cell: (e) => h('span', { class: 'mono', text: e.type }) },
    { label: t('aggregateId'), cell: (e) => h('a', { href: `#/events?${new URLSearchParams({ type: e.aggregate_type, id: e.aggregate_id })}`, class: 'mono', text: e.aggregate_id }) },
    { label: t('creator'), cell: (e) => e.creator },
  ], shown, t('events')), more ? moreButton : '');
  const next = async () => {
    const got = await api('GET', `/v1/events?${filter}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    shown.push(...got.items);
    if (got.items.length) cursor = got.items[got.items.length - 1].position;
    more = got.items.length === 100;
    render();
  };
  const live = h('input', {
    type: 'checkbox', id: 'live',
    onchange: (e) => {
      clearInterval(tail);
      if (e.target.checked) tail = setInterval(() => next().catch((err) => notice(describe(err), 'bad')), 2000);
    },
  });
  const filters = h('form', {
    class: 'filters', 'aria-label': t('filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const v = Object.fromEntries(new FormData(e.target));
      location.hash = `#/events?${new URLSearchParams(Object.entries(v).filter(([, x]) => x))}`;
    },
  }, field(t('aggregateType'), 'type', {}, [{ value: '', label: t('all') }, ...['instance', 'org', 'user', 'project', 'session'].map((x) => ({ value: x, label: x }))]),
  field(t('aggregateId'), 'id', { value: aggregate }),
  h('button', { type: 'submit', text: t('filter') }),
  h('label', { class: 'check', for: 'live' }, live, ` ${t('live')}`));
  filters.querySelector('select').value = type;
  page(t('events'), filters, rows);
  await next();
}

async function actionsPage() {
  const targets = await list('/v1/actions/targets');
  page(t('actions'), table([
    { label: t('name'), cell: (x) => x.name },
    { label: t('type'), cell: (x) => x.type },
    { label: t('endpoint'), cell: (x) => h('span', { class: 'mono', text: x.endpoint }) },
  ], targets, t('actions')));
}

function permissionsPage() {
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

// ---- the frame ----------------------------------------------------------------------------

const ROUTES = [
  { path: /^$/, nav: 'overview', show: () => true, run: () => overview() },
  { path: /^orgs$/, nav: 'orgs', show: () => true, run: (_, q) => orgsPage(q) },
  { path: /^orgs\/([^/]+)$/, run: (m) => orgPage(m[1]) },
  { path: /^users$/, nav: 'users', show: () => true, run: (_, q) => usersPage(q) },
  { path: /^users\/([^/]+)$/, run: (m) => userPage(m[1]) },
  { path: /^projects$/, nav: 'projects', show: () => true, run: (_, q) => projectsPage(q) },
  { path: /^projects\/([^/]+)$/, run: (m) => projectPage(m[1]) },
  { path: /^events$/, nav: 'events', show: () => can('events.read'), run: (_, q) => eventsPage(q) },
  { path: /^actions$/, nav: 'actions', show: () => can('action.target.read'), run: () => actionsPage() },
  { path: /^permissions$/, nav: 'permissions', show: () => can('iam.read'), run: () => permissionsPage() },
];
const NAV_PATHS = { overview: '', orgs: 'orgs', users: 'users', projects: 'projects', events: 'events', actions: 'actions', permissions: 'permissions' };

function frame() {
  document.documentElement.lang = lang;
  document.querySelector('.skip').textContent = t('skip');
  const current = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  document.getElementById('nav').replaceChildren(h('ul', {}, ROUTES.filter((r) => r.nav && r.show()).map((r) => h('li', {},
    h('a', { href: `#/${NAV_PATHS[r.nav]}`, text: t(r.nav), 'aria-current': NAV_PATHS[r.nav] === current ? 'page' : null })))));
  const language = h('select', {
    id: 'language', 'aria-label': t('language'),
    onchange: (e) => { lang = e.target.value; localStorage.setItem('portcullis-console-language', lang); route(); },
  }, h('option', { value: 'en', text: 'English' }), h('option', { value: 'de', text: 'Deutsch' }));
  language.value = lang;
  document.getElementById('who').replaceChildren(
    language,
    me.user ? h('span', { class: 'user', text: me.user.username }) : '',
    me.user ? h('button', { type: 'button', text: t('signOut'), onclick: signOut }) : '');
}

async function route() {
  clearInterval(tail);
  frame();
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(search || '');
  const hit = ROUTES.map((r) => [r, path.match(r.path)]).find(([, m]) => m);
  try {
    if (!hit) { location.hash = '#/'; return; }
    const [r, m] = hit;
    if (r.show && !r.show()) { page(t(r.nav), h('p', { text: t('notAllowed') })); return; }
    await r.run(m, query);
  } catch (err) {
    if (err.status === 401) return;
    page(t('errorTitle'), h('p', { class: 'error', text: describe(err) }),
      h('button', { type: 'button', class: 'primary', text: t('tryAgain'), onclick: route }));
  }
}

async function start() {
  try {
    const back = await callback();
    if (!tokens()) {
      if (!back && localStorage.getItem('portcullis-console-out')) {
        localStorage.removeItem('portcullis-console-out');
        frame();
        page(t('signedOut'), h('button', { type: 'button', class: 'primary', text: t('signIn'), onclick: signIn }));
        return;
      }
      await signIn();
      return;
    }
    localStorage.removeItem('portcullis-console-out');
    me.user = await api('GET', '/v1/users/me');
    me.roles = await (await fetch('/ui/console/roles.json')).json();
    me.memberships = (await api('GET', `/v1/users/${me.user.id}/memberships`)).items;
    window.addEventListener('hashchange', route);
    await route();
  } catch (err) {
    frame();
    page(t('errorTitle'), h('p', { class: 'error', text: describe(err) }),
      h('button', { type: 'button', class: 'primary', text: t('signIn'), onclick: () => { store.clear(); signIn(); } }));
  }
}

start();
