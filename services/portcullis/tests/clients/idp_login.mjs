// A login through a customer's identity provider in headless Chromium: from the app's
// authorization URL to the hosted login, its button for the IdP, the IdP's own login (any
// name and password at the test IdP) and consent, and back to the app with a code. Hosts
// under .test (the tests' instances) reach this machine. Takes a screenshot of the login page
// with the IdP's button into OUT. Prints what it saw as JSON.
import { launchChromium } from './chromium.mjs';

const { AUTH_URL, IDP_NAME, LOGIN, REDIRECT_URI, OUT } = process.env;
const browser = await launchChromium();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  await page.goto(AUTH_URL);
  await page.waitForSelector('input[name=username]');
  const button = page.getByRole('link', { name: `Log in with ${IDP_NAME}` });
  const seen = { buttons: await page.locator('.idps a').allTextContents() };
  await page.screenshot({ path: `${OUT}/login-idp.png` });
  await button.click();
  await page.waitForSelector('input[name=login]');
  seen.atIdp = new URL(page.url()).host;
  await page.fill('input[name=login]', LOGIN);
  await page.fill('input[name=password]', 'anything');
  const [back] = await Promise.all([
    page.waitForEvent('requestfailed', (r) => r.url().startsWith(REDIRECT_URI)),
    (async () => {
      await page.click('button[type=submit]');
      // The IdP asks for consent the first time.
      const consent = page.locator('input[name=prompt][value=consent] ~ button[type=submit]');
      await consent.waitFor({ timeout: 10000 });
      await consent.click();
    })(),
  ]);
  seen.landed = back.url();
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
