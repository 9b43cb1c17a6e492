// A real browser: headless Chromium (Debian's) driven by playwright-core logs in on the hosted
// page and lands on the client's redirect URI with a code, which openid-client exchanges.
import { chromium } from 'playwright-core';
import * as client from 'openid-client';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD } = process.env;
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: [client.allowInsecureRequests],
});
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});

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
  const tokens = await client.authorizationCodeGrant(config, new URL(landed), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  const cookies = await page.context().cookies();
  console.log(JSON.stringify({
    landed,
    sub: tokens.claims().sub,
    sessionCookie: cookies.find((c) => c.name === 'portcullis_session') || null,
  }));
} finally {
  await browser.close();
}
