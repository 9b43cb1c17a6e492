// A SAML login in headless Chromium: from the SP's request (SSO_URL, made by pysaml2) to the
// hosted login, the name and password typed in, and the page that posts the response to the
// SP's assertion consumer service (ACS, answered here as the SP would). Then, with SSO_POST
// (a request by the HTTP-POST binding: {"action", "fields"}), a page of the SP's own site that
// posts it, as SPs do: the browser's session at Portcullis answers it without the login.
// Hosts under .test (the tests' instances) reach this machine. Takes a screenshot of the login
// page into OUT. Prints the posted SAMLResponse and RelayState, and what the second request
// met, as JSON.
import { launchChromium } from './chromium.mjs';

const { SSO_URL, SSO_POST, ACS, USERNAME, PASSWORD, OUT } = process.env;
const browser = await launchChromium();

/// The SP's page that posts `request` (its fields) to Portcullis by itself.
function spPage(request) {
  const escape = (v) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(request.fields)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('');
  return `<!doctype html><form method="post" action="${escape(request.action)}">${inputs}</form>`
    + '<script>document.forms[0].submit()</script>';
}

try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  // The SP's site over plain http, as the instances of the tests are (Chromium warns before
  // an https page posts to http).
  const sp = `http://${new URL(ACS).host}`;
  await page.route(`${ACS}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>at the SP</p>' }));
  await page.route(`${sp}/start`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: spPage(JSON.parse(SSO_POST)) }));
  await page.goto(SSO_URL);
  await page.waitForSelector('input[name=username]');
  await page.screenshot({ path: `${OUT}/saml-login.png` });
  await page.fill('input[name=username]', USERNAME);
  await page.fill('input[name=password]', PASSWORD);
  const [posted] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(ACS)),
    page.click('button[type=submit]'),
  ]);
  const fields = new URLSearchParams(posted.postData() || '');
  const seen = {
    method: posted.method(),
    url: posted.url(),
    response: fields.get('SAMLResponse'),
    relayState: fields.get('RelayState'),
  };
  if (SSO_POST) {
    const visited = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && visited.push(f.url()));
    const [again] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(ACS)),
      page.goto(`${sp}/start`),
    ]);
    seen.second = {
      response: new URLSearchParams(again.postData() || '').get('SAMLResponse'),
      loginShown: visited.some((u) => u.includes('/ui/login')),
    };
  }
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
