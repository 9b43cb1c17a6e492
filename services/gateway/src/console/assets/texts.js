// The texts of the messages and of the hosted login's pages, per template and language: what
// is set here replaces the built-in text field by field (an org's before the instance's);
// fields left empty keep it.
import {
  field, form, h, notice, refresh, section,
} from './dom.js';
import { api, describe } from './api.js';
import { t } from './words.js';

const MESSAGES = ['init', 'verify_email', 'verify_phone', 'password_reset', 'otp_email', 'otp_sms', 'passkey_registration'];
const PAGES = ['login_page', 'register_page', 'reset_page', 'invite_page', 'verify_email_page', 'verify_phone_page',
  'expired_password_page', 'accounts_page', 'logout_page', 'mfa_page', 'mfa_setup_page'];

/** The texts of one template in one language, chosen by `query` (`template`, `language`). */
export async function textsPart(base, here, editable, query) {
  const template = [...MESSAGES, ...PAGES].includes(query.get('template')) ? query.get('template') : 'init';
  const language = query.get('language') || 'en';
  const path = `${base}/texts/${template}/${encodeURIComponent(language)}`;
  const chooser = form(t('chooseTexts'), [
    field(t('template'), 'template', { value: template }, [...MESSAGES, ...PAGES].map((k) => ({ value: k, label: t(`tpl_${k}`) }))),
    field(t('languageTag'), 'language', { value: language, required: true, maxlength: 35, placeholder: 'en, de, fr-CH' }),
  ], t('show'), async (v) => {
    location.hash = `${here}?kind=texts&template=${v.template}&language=${encodeURIComponent(v.language.trim())}`;
  });
  const own = await api('GET', path);
  const keys = PAGES.includes(template) ? ['title', 'text', 'button_text'] : ['subject', 'title', 'greeting', 'text', 'button_text'];
  const control = (key) => {
    if (key !== 'text') return field(t(`text_${key}`), key, { maxlength: 200, value: own[key] ?? '', placeholder: t('builtIn'), disabled: !editable });
    return h('div', { class: 'field' }, h('label', { for: 'f-text', text: t('text_text') }),
      h('textarea', { id: 'f-text', name: 'text', rows: '5', maxlength: '2000', placeholder: t('builtIn'), disabled: !editable, text: own.text ?? '' }));
  };
  const reset = editable && Object.keys(own).length > 0 && h('button', {
    type: 'button', text: t('builtInTexts'),
    onclick: async () => {
      try { await api('DELETE', path); notice(t('saved')); refresh(); } catch (e) { notice(describe(e), 'bad'); }
    },
  });
  const edit = form(`${t('tpl_' + template)} (${language})`, keys.map(control), t('save'), async (v) => {
    const set = Object.fromEntries(keys.filter((k) => v[k].trim()).map((k) => [k, v[k]]));
    await api('PUT', path, set);
    notice(t('saved'));
    refresh();
  }, reset ? [reset] : []);
  if (!editable) edit.querySelector('button[type="submit"]').remove();
  return [section(t('chooseTexts'), chooser), section(`${t('tpl_' + template)} (${language})`, h('p', { class: 'hint', text: t('textsHint') }), edit)];
}
