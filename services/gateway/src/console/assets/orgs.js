// Organizations: the list, a new one, and an org's page (its managers, users and projects).
import {
  cancel, danger, field, form, h, link, notice, opener, page, paged, refresh, section, table,
} from './dom.js';
import { api, can, describe, list } from './api.js';
import { t } from './words.js';
import { idpsSection } from './idps.js';
import { managers } from './managers.js';

const orgNames = new Map();
/** The orgs the caller may read, the first 200 (for names and choices), and org `also` (one
 * chosen from its own page) even beyond them. */
export async function orgs(also) {
  const items = await list('/v1/orgs');
  if (also && !items.some((o) => o.id === also)) {
    const extra = await api('GET', `/v1/orgs/${encodeURIComponent(also)}`).catch(() => null);
    if (extra) items.push(extra);
  }
  items.forEach((o) => orgNames.set(o.id, o.name));
  return items;
}
export const orgName = (id) => orgNames.get(id) || id;

export function orgChoice(items, selected, permission) {
  const allowed = items.filter((o) => !permission || can(permission, { org: o.id }));
  const ordered = [...allowed].sort((a, b) => (a.id === selected ? -1 : b.id === selected ? 1 : 0));
  return ordered.map((o) => ({ value: o.id, label: o.name }));
}

export async function orgsPage() {
  const create = can('org.create') && opener(t('newOrg'), (close) => form(t('newOrg'),
    [field(t('name'), 'name', { required: true, maxlength: 200 })], t('create'), async (v) => {
      const made = await api('POST', '/v1/orgs', { name: v.name });
      notice(t('created'));
      location.hash = `#/orgs/${made.id}`;
    }, [cancel(close)]));
  page(t('orgs'), create, await paged('/v1/orgs', [
    { label: t('name'), cell: (o) => link(`#/orgs/${o.id}`, o.name) },
    { label: t('id'), cell: (o) => h('span', { class: 'mono', text: o.id }) },
  ], t('orgs')));
}

/** The org's domains: each with what proves it the org's (a file or a DNS record) until verified. */
async function domains(org) {
  const items = await list(`/v1/orgs/${org}/domains`);
  const mayWrite = can('org.write', { org });
  const verify = (d, method) => h('button', {
    type: 'button', text: t(method === 'http' ? 'verifyHttp' : 'verifyDns'),
    onclick: async () => {
      try {
        await api('POST', `/v1/orgs/${org}/domains/${d.domain}/verify`, { method });
        notice(t('saved'));
        refresh();
      } catch (e) { notice(describe(e), 'bad'); }
    },
  });
  const proof = (d) => (d.verified ? t('yes') : h('div', { class: 'proof' },
    h('p', {}, `${t('httpProof')}: `, h('code', { text: d.validation.http.url }), ' → ', h('code', { text: d.validation.http.token })),
    h('p', {}, `${t('dnsProof')}: `, h('code', { text: `${d.validation.dns.name} TXT ${d.validation.dns.value}` })),
    mayWrite ? h('div', { class: 'buttons' }, verify(d, 'http'), verify(d, 'dns')) : ''));
  const add = mayWrite && opener(t('addDomain'), (close) => form(t('addDomain'), [
    field(t('domain'), 'domain', { required: true, placeholder: 'acme.example.com' }),
  ], t('add'), async (v) => {
    await api('POST', `/v1/orgs/${org}/domains`, { domain: v.domain });
    notice(t('created'));
    refresh();
  }, [cancel(close)]));
  return section(t('orgDomains'), add, table([
    { label: t('domain'), cell: (d) => d.domain },
    { label: t('verified'), cell: proof },
  ], items, t('orgDomains')));
}

export async function orgPage(id) {
  await orgs(id);
  const o = await api('GET', `/v1/orgs/${id}`);
  const at = { org: id };
  const parts = [h('p', { class: 'mono', text: o.id }),
    h('ul', { class: 'links' },
      h('li', {}, link(`#/users?org=${id}`, t('users'))),
      h('li', {}, link(`#/projects?org=${id}`, t('projects'))),
      can('policy.read', at) ? h('li', {}, link(`#/orgs/${id}/settings`, t('settings'))) : null)];
  if (can('org.member.read', at)) parts.push(await managers(`/v1/orgs/${id}`, id, 'ORG_', can('org.member.write', at), can('org.member.delete', at)));
  if (can('org.read', at)) parts.push(await domains(id));
  if (can('org.idp.read', at)) parts.push(await idpsSection(id));
  const rename = can('org.write', at) && opener(t('renameOrg'), (close) => form(t('renameOrg'), [
    field(t('name'), 'name', { required: true, maxlength: 200, value: o.name }),
  ], t('save'), async (v) => {
    await api('PATCH', `/v1/orgs/${id}`, { name: v.name });
    notice(t('saved'));
    refresh();
  }, [cancel(close)]));
  const remove = can('org.delete', at) && danger(t('deleteOrg'), `${t('deleteOrg')}: ${o.name}?`, () => api('DELETE', `/v1/orgs/${id}`), '#/orgs');
  if (rename || remove) parts.push(h('div', { class: 'buttons end' }, rename, remove));
  page(o.name, parts);
}
