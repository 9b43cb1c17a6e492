// A project's SAML apps (service providers registered by their metadata): listed, a new one
// from its metadata, a SAML app's page with its endpoints and new metadata, and its removal.
import {
  cancel, danger, field, form, h, link, notice, opener, page, refresh, section, table,
} from './dom.js';
import { api, can, list } from './api.js';
import { t } from './words.js';

const FORMATS = ['persistent', 'email', 'unspecified'];

/** The fields a SAML app is sent with: a name, its metadata (XML or where it is published),
 * and how its assertions are made. */
function samlFields(app = {}) {
  const check = (name) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name, checked: Boolean(app[name]) }), ` ${t(name)}`);
  return [
    field(t('name'), 'name', { required: true, maxlength: 200, value: app.name }),
    h('div', { class: 'field' }, h('label', { for: 'f-metadata-xml', text: t('metadataXml') }),
      h('textarea', { id: 'f-metadata-xml', name: 'metadata_xml', rows: '6', class: 'mono', spellcheck: 'false' })),
    field(t('metadataUrl'), 'metadata_url', { type: 'url', value: app.metadata_url, placeholder: 'https://sp.example.com/saml/metadata' }),
    field(t('nameIdFormat'), 'name_id_format', { value: app.name_id_format }, FORMATS.map((f) => ({ value: f, label: f }))),
    check('idp_initiated'),
    check('encrypt_assertions'),
  ];
}

/** What a SAML app form sends: the metadata given, XML before an address. */
const samlBody = (v) => ({
  name: v.name,
  ...(v.metadata_xml.trim() ? { metadata_xml: v.metadata_xml } : { metadata_url: v.metadata_url }),
  name_id_format: v.name_id_format,
  idp_initiated: v.idp_initiated === 'on',
  encrypt_assertions: v.encrypt_assertions === 'on',
});

/** The project's SAML apps, with a form for a new one when the caller may add it. */
export async function samlAppsSection(projectId, at) {
  const apps = await list(`/v1/projects/${projectId}/apps/saml`);
  const add = can('project.app.write', at) && opener(t('newSamlApp'), (close) => form(t('newSamlApp'),
    samlFields(), t('create'), async (v) => {
      await api('POST', `/v1/projects/${projectId}/apps/saml`, samlBody(v));
      notice(t('created'));
      refresh();
    }, [cancel(close)]));
  return section(t('samlApps'), add, table([
    { label: t('name'), cell: (a) => link(`#/projects/${projectId}/saml/${a.id}`, a.name) },
    { label: t('entityId'), cell: (a) => h('span', { class: 'mono', text: a.entity_id }) },
    { label: '', cell: (a) => (can('project.app.delete', at) ? danger(t('remove'), `${t('removeApp')} ${a.name}?`, () => api('DELETE', `/v1/projects/${projectId}/apps/${a.id}`)) : '') },
  ], apps, t('samlApps')));
}

export async function samlAppPage(projectId, appId) {
  const p = await api('GET', `/v1/projects/${projectId}`);
  const path = `/v1/projects/${projectId}/apps/saml/${appId}`;
  const a = await api('GET', path);
  const at = { org: p.org_id, project: projectId };
  const endpoints = (items) => items.map((e) => `${e.location} (${e.binding})`).join('\n') || '—';
  const facts = h('dl', {},
    h('dt', { text: t('project') }), h('dd', {}, link(`#/projects/${projectId}`, p.name)),
    h('dt', { text: t('entityId') }), h('dd', { class: 'mono', text: a.entity_id }),
    h('dt', { text: t('acs') }), h('dd', { class: 'mono pre', text: endpoints(a.assertion_consumer_services) }),
    h('dt', { text: t('slo') }), h('dd', { class: 'mono pre', text: endpoints(a.single_logout_services) }),
    h('dt', { text: t('nameIdFormat') }), h('dd', { class: 'mono', text: a.name_id_format }),
    h('dt', { text: t('requestsSigned') }), h('dd', { text: a.requests_signed ? t('yes') : t('no') }));
  const parts = [section(t('samlApp'), facts)];
  if (can('project.app.write', at)) {
    parts.push(section(t('newMetadata'), form(t('newMetadata'), samlFields(a), t('save'), async (v) => {
      await api('PUT', path, samlBody(v));
      notice(t('saved'));
      refresh();
    })));
  }
  if (can('project.app.delete', at)) {
    parts.push(h('div', { class: 'buttons end' }, danger(t('removeApp'), `${t('removeApp')} ${a.name}?`,
      () => api('DELETE', `/v1/projects/${projectId}/apps/${appId}`), `#/projects/${projectId}`)));
  }
  page(a.name, parts);
}
