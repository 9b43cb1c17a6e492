// A real browser: headless Chromium (Debian's) driven by playwright-core logs in on the hosted
// page and lands on the client's redirect URI with a code, which openid-client exchanges.
// RESPONSE_MODE=form_post: the code comes back in a form the browser posts. PAR=1: the
// request is pushed first (RFC 9126) and the browser carries its request_uri.
import { chromium } from 'playwright-core';
import * as client from 'openid-client';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD, RESPONSE_MODE, PAR } =
  process.env;
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: [client.allowInsecureRequests],
});
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const parameters = {
  redirect_uri: REDIRECT_URI,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  ...(RESPONSE_MODE ? { response_mode: RESPONSE_MODE } : {}),
};
const authUrl = PAR
  ? await client.buildAuthorizationUrlWithPAR(config, parameters)
  : client.buildAuthorizationUrl(config, parameters);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  // The client's redirect URI: answered here, as the application would.
  await page.route(`${REDIRECT_URI}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the app</p>' }),
  );
  await page.goto(authUrl.href);
  await page.fill('input[name="username"]', USERNAME);
  await page.fill('input[name="password"]', PASSWORD);
  const [back] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(REDIRECT_URI)),
    page.click('button[type="submit"]'),
  ]);
  const landed = back.url();
  // A form_post answer is the posted request itself, as the application receives it.
  const answer = back.method() === 'POST'
    ? new Request(landed, { method: 'POST', body: back.postData(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : new URL(landed);
  const tokens = await client.authorizationCodeGrant(config, answer, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  const cookies = await page.context().cookies();
  console.log(JSON.stringify({
    landed,
    method: back.method(),
    authUrl: authUrl.href,
    sub: tokens.claims().sub,
    sessionCookie: cookies.find((c) => c.name === 'portcullis_session') || null,
  }));
} finally {
  await browser.close();
}
