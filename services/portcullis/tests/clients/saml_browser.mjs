// A SAML login in headless Chromium: from the SP's request (SSO_URL, made by pysaml2) to the
// hosted login, the name and password typed in, and the page that posts the response to the
// SP's assertion consumer service (ACS, answered here as the SP would). Hosts under .test (the
// tests' instances) reach this machine. Takes a screenshot of the login page into OUT. Prints
// the posted SAMLResponse and RelayState, and whether the page posted by itself, as JSON.
import { launchChromium } from './chromium.mjs';

const { SSO_URL, ACS, USERNAME, PASSWORD, OUT } = process.env;
const browser = await launchChromium();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  await page.route(`${ACS}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>at the SP</p>' }));
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
  console.log(JSON.stringify({
    method: posted.method(),
    url: posted.url(),
    response: fields.get('SAMLResponse'),
    relayState: fields.get('RelayState'),
  }));
} finally {
  await browser.close();
}
