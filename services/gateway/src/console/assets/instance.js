// The instance: the overview, and the instance's page (its managers, SMTP server and identity
// providers; its settings are on their own page).
import {
  cancel, field, form, h, link, notice, opener, page, refresh, section, shownOnce,
} from './dom.js';
import { api, can, me } from './api.js';
import { idpsSection } from './idps.js';
import { managers } from './managers.js';
import { t } from './words.js';

export async function overview() {
  const parts = [h('p', { class: 'lead', text: t('welcome') })];
  if (can('iam.read')) {
    const i = await api('GET', '/v1/instance');
    parts.push(section(t('instance'), h('dl', {},
      h('dt', { text: t('name') }), h('dd', {}, link('#/instance', i.name)),
      h('dt', { text: t('domains') }), h('dd', { text: i.domains.join(', ') }))));
  }
  parts.push(section(t('signedInAs'), h('p', {}, link(`#/users/${me.user.id}`, me.user.username))));
  page(t('overview'), parts);
}

/** The instance's SMTP server (never its password) and a form to set it. */
async function smtp() {
  const set = await api('GET', '/v1/instance/smtp').catch((e) => (e.code === 'SMTP-0001' ? null : Promise.reject(e)));
  const shown = set
    ? h('dl', {},
      h('dt', { text: t('smtpHost') }), h('dd', { text: `${set.host}:${set.port} (${set.tls})` }),
      h('dt', { text: t('sender') }), h('dd', { text: `${set.sender_name} <${set.sender_address}>` }))
    : h('p', { class: 'empty', text: t('noSmtp') });
  const edit = can('iam.write') && opener(t('setSmtp'), (close) => form(t('setSmtp'), [
    field(t('smtpHost'), 'host', { required: true, value: set?.host ?? '' }),
    field(t('port'), 'port', { type: 'number', required: true, min: 1, max: 65535, value: set?.port ?? 587 }),
    field(t('tls'), 'tls', {}, ['starttls', 'tls', 'none'].map((x) => ({ value: x, label: x }))),
    field(t('smtpUser'), 'user', { value: set?.user ?? '' }),
    field(t('smtpPassword'), 'password', { type: 'password', autocomplete: 'new-password' }),
    field(t('senderAddress'), 'sender_address', { type: 'email', required: true, value: set?.sender_address ?? '' }),
    field(t('senderName'), 'sender_name', { required: true, value: set?.sender_name ?? '' }),
  ], t('save'), async (v) => {
    await api('PUT', '/v1/instance/smtp', {
      host: v.host, port: Number(v.port), tls: v.tls, sender_address: v.sender_address,
      sender_name: v.sender_name, ...(v.user ? { user: v.user } : {}),
      ...(v.password ? { password: v.password } : {}),
    });
    notice(t('saved'));
    refresh();
  }, [cancel(close)]));
  return section(t('smtp'), shown, edit);
}

/** The instance's SMS provider: where texts are posted (signed); its signing key shown once. */
async function sms() {
  const set = await api('GET', '/v1/instance/sms').catch((e) => (e.code === 'SMS-0001' ? null : Promise.reject(e)));
  const shown = h('div', {}, set
    ? h('dl', {}, h('dt', { text: t('smsEndpoint') }), h('dd', { class: 'mono', text: set.endpoint }))
    : h('p', { class: 'empty', text: t('noSms') }));
  const edit = can('iam.write') && opener(t('setSms'), (close) => form(t('setSms'), [
    field(t('smsEndpoint'), 'endpoint', { type: 'url', required: true, value: set?.endpoint ?? '', placeholder: 'https://sms.example.com/send' }),
  ], t('save'), async (v) => {
    const made = await api('PUT', '/v1/instance/sms', { http: { endpoint: v.endpoint } });
    close();
    shown.replaceChildren(shownOnce(t('setSms'), [[t('signingKey'), 'sms-key', made.signing_key]], t('keyOnce')));
  }, [cancel(close)]));
  return section(t('sms'), shown, edit);
}

export async function instancePage() {
  const i = await api('GET', '/v1/instance');
  const parts = [h('dl', {},
    h('dt', { text: t('domains') }), h('dd', { text: i.domains.join(', ') }),
    h('dt', { text: t('id') }), h('dd', { class: 'mono', text: i.id })),
  h('p', {}, link('#/settings', t('settings')))];
  if (can('iam.member.read')) parts.push(await managers('/v1/instance', null, 'IAM_', can('iam.member.write'), can('iam.member.delete')));
  parts.push(await smtp(), await sms());
  if (can('iam.idp.read')) parts.push(await idpsSection());
  page(i.name, parts);
}
