// A login through a customer's SAML identity provider in headless Chromium: from the app's
// authorization URL to the hosted login, its button for the IdP, the IdP (pysaml2, answering
// the request the browser brings with a page that posts its response, as IdPs do), and the
// assertion consumer service back to the app with a code. The IdP's site is another site
// than the instance's, so its post comes without the browser's cookies: Portcullis posts it
// again from its own. Hosts under .test (the tests' instances) reach this machine. Prints
// where the browser landed and the pages it went through, as JSON. The IdP's settings are
// saml_idp.py's (this environment, with IDP_NAME the login button's IdP).
import { execFileSync } from 'node:child_process';

import { launchChromium } from './chromium.mjs';

const { AUTH_URL, IDP_NAME, SSO, REDIRECT_URI, PYTHON } = process.env;

/// The IdP's page for the request in `url`: it posts the response to the ACS by itself.
function idpPage(url) {
  const answer = JSON.parse(execFileSync(PYTHON, ['saml_idp.py', 'respond'], {
    env: { ...process.env, REQUEST_URL: url },
  }).toString());
  const escape = (v) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(answer.fields)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('');
  return `<!doctype html><form method="post" action="${escape(answer.action)}">${inputs}</form>`
    + '<script>document.forms[0].submit()</script>';
}

const browser = await launchChromium();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  const visited = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && visited.push(f.url()));
  // The IdP over plain http, as the tests' instances are (Chromium warns before an https
  // page posts to http).
  const idp = SSO.replace(/^https:/, 'http:');
  await page.route(`${idp}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: idpPage(route.request().url()) }));
  await page.goto(AUTH_URL);
  await page.waitForSelector('input[name=username]');
  const [back] = await Promise.all([
    page.waitForEvent('requestfailed', (r) => r.url().startsWith(REDIRECT_URI)),
    page.getByRole('link', { name: `Log in with ${IDP_NAME}` }).click(),
  ]);
  console.log(JSON.stringify({ landed: back.url(), visited }));
} finally {
  await browser.close();
}
