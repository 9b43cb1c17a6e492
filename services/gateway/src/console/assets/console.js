// The Portcullis console: logs in through the instance's hosted login as the built-in public
// client `console` (authorization code with PKCE), keeps the access token in this tab only,
// and calls the REST API with it. It shows a manager only what their roles allow; the API
// decides every call. This file is the frame: the navigation, the pages by address, the start.
import { actionsPage } from './actions.js';
import { targetPage } from './targets.js';
import { appPage } from './apps.js';
import { api, can, describe, me } from './api.js';
import { h, leave, page } from './dom.js';
import { idpPage } from './idps.js';
import { instancePage, overview } from './instance.js';
import { callback, signIn, signOut, store, tokens } from './login.js';
import { orgPage, orgsPage } from './orgs.js';
import { permissionsPage } from './permissions.js';
import { samlAppPage } from './saml_apps.js';
import { projectPage, projectsPage } from './projects.js';
import { settingsPage } from './settings.js';
import { eventsPage } from './trail.js';
import { userPage, usersPage } from './users.js';
import { lang, setLang, t } from './words.js';

const ROUTES = [
  { path: /^$/, nav: 'overview', show: () => true, run: () => overview() },
  { path: /^instance$/, nav: 'instance', show: () => can('iam.read'), run: () => instancePage() },
  { path: /^settings$/, nav: 'settings', show: () => can('iam.policy.read'), run: (_, q) => settingsPage(q) },
  { path: /^orgs$/, nav: 'orgs', show: () => true, run: () => orgsPage() },
  { path: /^orgs\/([^/]+)$/, run: (m) => orgPage(m[1]) },
  { path: /^orgs\/([^/]+)\/settings$/, run: (m, q) => settingsPage(q, m[1]) },
  { path: /^users$/, nav: 'users', show: () => true, run: (_, q) => usersPage(q) },
  { path: /^users\/([^/]+)$/, run: (m) => userPage(m[1]) },
  { path: /^projects$/, nav: 'projects', show: () => true, run: (_, q) => projectsPage(q) },
  { path: /^projects\/([^/]+)$/, run: (m) => projectPage(m[1]) },
  { path: /^projects\/([^/]+)\/apps\/([^/]+)$/, run: (m) => appPage(m[1], m[2]) },
  { path: /^projects\/([^/]+)\/saml\/([^/]+)$/, run: (m) => samlAppPage(m[1], m[2]) },
  { path: /^idps\/([^/]+)$/, run: (m) => idpPage(null, m[1]) },
  { path: /^orgs\/([^/]+)\/idps\/([^/]+)$/, run: (m) => idpPage(m[1], m[2]) },
  { path: /^actions$/, nav: 'actions', show: () => can('action.target.read'), run: () => actionsPage() },
  { path: /^actions\/targets\/([^/]+)$/, run: (m) => targetPage(m[1]) },
  { path: /^events$/, nav: 'events', show: () => can('events.read'), run: (_, q) => eventsPage(q) },
  { path: /^permissions$/, nav: 'permissions', show: () => can('iam.read'), run: () => permissionsPage() },
];

function frame() {
  document.documentElement.lang = lang;
  document.querySelector('.skip').textContent = t('skip');
  const current = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  // Signed out, there is nowhere to go but back in.
  const shown = me.user ? ROUTES.filter((r) => r.nav && r.show()) : [];
  document.getElementById('nav').replaceChildren(h('ul', {}, shown.map((r) => h('li', {},
    h('a', { href: `#/${r.nav === 'overview' ? '' : r.nav}`, text: t(r.nav), 'aria-current': (r.nav === 'overview' ? '' : r.nav) === current ? 'page' : null })))));
  const language = h('select', {
    id: 'language', 'aria-label': t('language'),
    onchange: (e) => { setLang(e.target.value); route(); },
  }, h('option', { value: 'en', text: 'English' }), h('option', { value: 'de', text: 'Deutsch' }));
  language.value = lang;
  document.getElementById('who').replaceChildren(
    language,
    me.user ? h('span', { class: 'user', text: me.user.username }) : '',
    me.user ? h('button', { type: 'button', text: t('signOut'), onclick: signOut }) : '');
}

/** Shows the page the address names. Pages are shown one after another in the order they
 * were asked for, so a slow earlier one never replaces a later one. */
let routing = Promise.resolve();
function route() {
  routing = routing.then(show, show);
  return routing;
}

async function show() {
  leave();
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
