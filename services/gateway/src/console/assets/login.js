// The console's login: the authorization code flow with PKCE as the public client `console`,
// through the instance's hosted login. The tokens stay in this tab (sessionStorage).
import { lang } from './words.js';

const HOME = `${location.origin}/ui/console/`;
const CLIENT_ID = 'console';
const SCOPE = 'openid profile urn:portcullis:api:aud';

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

export const store = sessionStorage;

export async function signIn() {
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
export async function callback() {
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
  const issued = await answer.json();
  if (!answer.ok) throw new Error(issued.error_description || issued.error);
  store.setItem('portcullis-console-tokens', JSON.stringify(issued));
  return true;
}

export const tokens = () => JSON.parse(store.getItem('portcullis-console-tokens') || 'null');

export function signOut() {
  const hint = tokens()?.id_token;
  store.clear();
  localStorage.setItem('portcullis-console-out', '1');
  const q = new URLSearchParams({ post_logout_redirect_uri: HOME, ...(hint ? { id_token_hint: hint } : {}) });
  location.assign(`/oidc/v1/end_session?${q}`);
}
