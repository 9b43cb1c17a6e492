// Identity providers of the instance or of an org: listed, a new one of each type (OpenID
// Connect, OAuth 2, LDAP, SAML), an IdP's page with what to register at it, its settings
// edited (secrets are write-only: left empty, the one held stays) and its removal.
import {
  cancel, danger, field, form, h, link, notice, opener, page, refresh, section, table,
} from './dom.js';
import { api, can, list } from './api.js';
import { t } from './words.js';

const TYPES = ['oidc', 'oauth', 'ldap', 'saml'];
const words = (text) => (text || '').split(/[\s,]+/).filter(Boolean);
const check = (name, label, checked) => h('label', { class: 'check' },
  h('input', { type: 'checkbox', name, checked: Boolean(checked) }), ` ${label}`);
const area = (label, name, value, rows = '3') => {
  const id = `f-${name.replace('.', '-')}`;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('textarea', { id, name, rows, class: 'mono', spellcheck: 'false', text: value || '' }));
};
const secret = (label, name, held) => field(held ? `${label} (${t('keptWhenEmpty')})` : label, name,
  { type: 'password', autocomplete: 'new-password' });

/** The fields of each type, filled from `x` (the IdP as the API shows it) when editing. */
function typeFields(type, x) {
  const c = x?.[type] || {};
  const held = Boolean(x?.id);
  switch (type) {
    case 'oidc': return [
      field(t('issuer'), 'oidc.issuer', { type: 'url', value: c.issuer, placeholder: 'https://accounts.example.com' }),
      field(t('clientId'), 'oidc.client_id', { value: c.client_id }),
      secret(t('clientSecret'), 'oidc.client_secret', held),
      field(t('scopes'), 'oidc.scopes', { value: (c.scopes || ['email', 'profile']).join(' ') }),
    ];
    case 'oauth': return [
      field(t('authorizationEndpoint'), 'oauth.authorization_endpoint', { type: 'url', value: c.authorization_endpoint }),
      field(t('tokenEndpoint'), 'oauth.token_endpoint', { type: 'url', value: c.token_endpoint }),
      field(t('userinfoEndpoint'), 'oauth.userinfo_endpoint', { type: 'url', value: c.userinfo_endpoint }),
      field(t('clientId'), 'oauth.client_id', { value: c.client_id }),
      secret(t('clientSecret'), 'oauth.client_secret', held),
      field(t('scopes'), 'oauth.scopes', { value: (c.scopes || []).join(' ') }),
      field(t('idAttribute'), 'oauth.id_attribute', { value: c.id_attribute, placeholder: 'sub' }),
    ];
    case 'ldap': return [
      area(t('ldapServers'), 'ldap.servers', (c.servers || []).join('\n'), '2'),
      check('ldap.start_tls', t('startTls'), c.start_tls),
      field(t('baseDn'), 'ldap.base_dn', { value: c.base_dn, placeholder: 'ou=people,dc=example,dc=com' }),
      field(t('bindDn'), 'ldap.bind_dn', { value: c.bind_dn }),
      secret(t('bindPassword'), 'ldap.bind_password', held),
      field(t('userFilters'), 'ldap.user_filters', { value: (c.user_filters || ['uid', 'mail']).join(' ') }),
      area(t('rootCa'), 'ldap.root_ca', c.root_ca),
    ];
    default: return [
      area(t('idpMetadataXml'), 'saml.metadata_xml', '', '5'),
      field(t('metadataUrl'), 'saml.metadata_url', { type: 'url', value: c.metadata_url }),
      field(t('binding'), 'saml.binding', { value: c.binding || '' }, [
        { value: '', label: t('bindingDefault') }, { value: 'redirect', label: 'redirect' }, { value: 'post', label: 'post' }]),
      check('saml.signed_requests', t('signedRequests'), c.signed_requests),
    ];
  }
}

/** The body the API takes from the form's values (`v`) for IdP type `type`. */
function idpBody(type, v) {
  const o = (name) => v[`${type}.${name}`];
  const on = (name) => o(name) === 'on';
  const kinds = {
    oidc: () => ({
      issuer: o('issuer'), client_id: o('client_id'), client_secret: o('client_secret'), scopes: words(o('scopes')),
    }),
    oauth: () => ({
      authorization_endpoint: o('authorization_endpoint'), token_endpoint: o('token_endpoint'),
      userinfo_endpoint: o('userinfo_endpoint'), client_id: o('client_id'), client_secret: o('client_secret'),
      scopes: words(o('scopes')), ...(o('id_attribute') ? { id_attribute: o('id_attribute') } : {}),
    }),
    ldap: () => ({
      servers: words(o('servers')), start_tls: on('start_tls'), base_dn: o('base_dn'), bind_dn: o('bind_dn'),
      bind_password: o('bind_password'), user_filters: words(o('user_filters')), root_ca: o('root_ca').trim(),
    }),
    saml: () => ({
      ...(o('metadata_xml').trim() ? { metadata_xml: o('metadata_xml') } : { metadata_url: o('metadata_url') }),
      ...(o('binding') ? { binding: o('binding') } : {}), signed_requests: on('signed_requests'),
    }),
  };
  return {
    name: v.name,
    type,
    options: {
      auto_create: v.auto_create === 'on', auto_update: v.auto_update === 'on', auto_link: v.auto_link,
      linking_allowed: v.linking_allowed === 'on', creation_allowed: v.creation_allowed === 'on',
    },
    [type]: kinds[type](),
  };
}

/** The form of an IdP: its name, what logins through it may do, and its type's settings (only
 * the chosen type's fieldset is sent; the others are disabled). */
function idpForm(label, x, submitText, send, extra) {
  const o = x?.options || { auto_create: true, auto_update: true, auto_link: 'none', linking_allowed: true, creation_allowed: true };
  const sets = TYPES.map((type) => h('fieldset', { class: 'group', 'data-type': type },
    h('legend', { text: t(`idp_${type}`) }), typeFields(type, x)));
  const show = (type) => sets.forEach((s) => {
    const hide = s.dataset.type !== type;
    s.hidden = hide;
    s.disabled = hide;
  });
  const chooser = x
    ? h('input', { type: 'hidden', name: 'type', value: x.type })
    : field(t('type'), 'type', { onchange: (e) => show(e.target.value) }, TYPES.map((k) => ({ value: k, label: t(`idp_${k}`) })));
  show(x?.type || 'oidc');
  return form(label, [
    field(t('name'), 'name', { required: true, maxlength: 200, value: x?.name }),
    chooser,
    ...sets,
    h('fieldset', { class: 'group' }, h('legend', { text: t('idpOptions') }),
      check('creation_allowed', t('creationAllowed'), o.creation_allowed),
      check('auto_create', t('autoCreate'), o.auto_create),
      check('auto_update', t('autoUpdate'), o.auto_update),
      check('linking_allowed', t('linkingAllowed'), o.linking_allowed),
      field(t('autoLink'), 'auto_link', { value: o.auto_link }, ['none', 'email', 'username'].map((k) => ({ value: k, label: t(`link_${k}`) })))),
  ], submitText, (v) => send(idpBody(v.type, v)), extra);
}

/** Where an IdP's pages are: the instance's (`#/idps/...`) or an org's. */
const scopeOf = (org) => (org
  ? { base: `/v1/orgs/${org}/idps`, href: `#/orgs/${org}/idps`, perm: 'org.idp', at: { org } }
  : { base: '/v1/instance/idps', href: '#/idps', perm: 'iam.idp', at: undefined });

/** The identity providers of the instance (`org` unset) or of an org. */
export async function idpsSection(org) {
  const s = scopeOf(org);
  const items = await list(s.base);
  const add = can(`${s.perm}.write`, s.at) && opener(t('newIdp'), (close) => idpForm(t('newIdp'), null, t('create'), async (body) => {
    const made = await api('POST', s.base, body);
    notice(t('created'));
    location.hash = `${s.href}/${made.id}`;
  }, [cancel(close)]));
  return section(t('idps'), add, table([
    { label: t('name'), cell: (x) => link(`${s.href}/${x.id}`, x.name) },
    { label: t('type'), cell: (x) => t(`idp_${x.type}`) },
    { label: '', cell: (x) => (can(`${s.perm}.delete`, s.at) ? danger(t('remove'), `${t('removeIdp')} ${x.name}?`, () => api('DELETE', `${s.base}/${x.id}`)) : '') },
  ], items, t('idps')));
}

/** An IdP's page: what to register at it, its settings, its removal. */
export async function idpPage(org, id) {
  const s = scopeOf(org);
  const x = await api('GET', `${s.base}/${id}`);
  const facts = [h('dt', { text: t('type') }), h('dd', { text: t(`idp_${x.type}`) })];
  if (x.type === 'saml') {
    facts.push(h('dt', { text: t('entityId') }), h('dd', { class: 'mono', text: x.saml.entity_id }),
      h('dt', { text: t('spEntityId') }), h('dd', { class: 'mono', text: x.saml.sp_entity_id }),
      h('dt', { text: t('acsUrl') }), h('dd', { class: 'mono', text: x.saml.acs_url }));
  } else if (x.type !== 'ldap') {
    facts.push(h('dt', { text: t('callbackUrl') }), h('dd', { class: 'mono', id: 'idp-callback', text: x.callback_url }));
  }
  const parts = [
    h('p', {}, link(org ? `#/orgs/${org}` : '#/instance', org ? t('org') : t('instance'))),
    section(t('idp'), h('dl', {}, facts)),
  ];
  if (can(`${s.perm}.write`, s.at)) {
    parts.push(section(t('idpSettings'), idpForm(t('idpSettings'), x, t('save'), async (body) => {
      await api('PATCH', `${s.base}/${id}`, body);
      notice(t('saved'));
      refresh();
    })));
  }
  if (can(`${s.perm}.delete`, s.at)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('removeIdp'), `${t('removeIdp')} ${x.name}?`,
      () => api('DELETE', `${s.base}/${id}`), org ? `#/orgs/${org}` : '#/instance')));
  }
  page(x.name, parts);
}
