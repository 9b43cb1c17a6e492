// openid-client (panva, current major), unchanged: discovery, the code flow with PKCE and
// nonce (through the login, or with FLOW=register through registration at the login), refresh,
// userinfo, introspection and revocation. Prints what it saw as JSON.
import * as client from 'openid-client';
import { logIn, register } from './login.mjs';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD, FLOW, EMAIL } = process.env;
const options = { execute: [client.allowInsecureRequests] };
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, options);

const verifier = client.randomPKCECodeVerifier();
const challenge = await client.calculatePKCECodeChallenge(verifier);
const nonce = client.randomNonce();
const state = client.randomState();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid profile email',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  nonce,
  state,
});
const back = FLOW === 'register'
  ? await register(ISSUER, authUrl, {
    given_name: 'Ada', family_name: 'Lovelace', email: EMAIL, username: USERNAME, password: PASSWORD,
  })
  : await logIn(ISSUER, authUrl, USERNAME, PASSWORD);
const tokens = await client.authorizationCodeGrant(config, back, {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const active = await client.tokenIntrospection(config, refreshed.access_token);
await client.tokenRevocation(config, refreshed.refresh_token);
const afterRevocation = await client.tokenIntrospection(config, refreshed.access_token);
console.log(JSON.stringify({
  sub: claims.sub,
  nonce: claims.nonce,
  userinfo,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  introspected: active,
  afterRevocation,
}));
