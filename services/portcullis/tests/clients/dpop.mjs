// DPoP (RFC 9449) with openid-client, unchanged, as a public client: the code flow with PKCE
// through the hosted login, every request with a proof of one ES256 key (the server's nonce is
// picked up as openid-client does, by retrying once), then userinfo, the REST API and a
// refresh with the bound tokens. Then what a thief holding copies of the tokens (but not the
// key) would try. Prints what it saw as JSON.
import * as client from 'openid-client';
import { logIn } from './login.mjs';

const { ISSUER, CLIENT_ID, REDIRECT_URI, USERNAME, PASSWORD } = process.env;
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});
const keyPair = await client.randomDPoPKeyPair('ES256');
const DPoP = client.getDPoPHandle(config, keyPair);
// The key's thumbprint (RFC 7638), which the server binds the tokens to.
const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify({ crv, kty, x, y })));
const jkt = Buffer.from(digest).toString('base64url');

const verifier = client.randomPKCECodeVerifier();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid profile offline_access urn:portcullis:api:aud',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
});
const back = await logIn(ISSUER, authUrl, USERNAME, PASSWORD);
const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, undefined, { DPoP });
const sub = tokens.claims().sub;
const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
const me = await client.fetchProtectedResource(
  config, tokens.access_token, new URL('/v1/users/me', ISSUER), 'GET', undefined, undefined, { DPoP },
);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });

// The thief: the tokens as bearer tokens, or with proofs of another key.
const status = async (url, headers) => (await fetch(new URL(url, ISSUER), { headers })).status;
const asBearer = { authorization: `Bearer ${refreshed.access_token}` };
const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
let refreshWithOtherKey;
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token, undefined, { DPoP: thief });
} catch (e) {
  refreshWithOtherKey = e.error ?? e.code;
}
let refreshWithoutProof;
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token);
} catch (e) {
  refreshWithoutProof = e.error ?? e.code;
}
let userinfoWithOtherKey;
try {
  await client.fetchUserInfo(config, refreshed.access_token, sub, { DPoP: thief });
} catch (e) {
  userinfoWithOtherKey = e.status ?? e.code;
}
// The owner goes on: the family was not harmed by the thief's tries.
const again = await client.refreshTokenGrant(config, refreshed.refresh_token, undefined, { DPoP });

console.log(JSON.stringify({
  jkt,
  sub,
  tokenType: tokens.token_type,
  refreshedType: refreshed.token_type,
  userinfo,
  me: { status: me.status, body: await me.json() },
  accessToken: again.access_token,
  bearerUserinfo: await status('/oidc/v1/userinfo', asBearer),
  bearerApi: await status('/v1/users/me', asBearer),
  refreshWithOtherKey,
  refreshWithoutProof,
  userinfoWithOtherKey,
  ownerRefreshedAgain: again.token_type,
}));
