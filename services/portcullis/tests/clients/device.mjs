// Device authorization (RFC 8628) with openid-client as the device (a public client) and
// headless Chromium as its user's phone: the device asks for a code and polls while the user
// opens the verification page, logs in, and allows the device, in German on a phone's
// screen. Each page's facts and a screenshot go to OUT. Prints what it saw as JSON.
import { chromium } from 'playwright-core';
import * as client from 'openid-client';

const { ISSUER, CLIENT_ID, USERNAME, PASSWORD, OUT } = process.env;
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});
const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
const polling = client.pollDeviceAuthorizationGrant(config, started);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
const seen = { pages: {} };
async function look(page, name) {
  await page.waitForLoadState('load');
  seen.pages[name] = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    heading: document.querySelector('h1')?.textContent ?? null,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden])')]
      .filter((f) => f.labels.length === 0).map((f) => f.name),
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    text: document.querySelector('main')?.innerText ?? '',
  }));
  await page.screenshot({ path: `${OUT}/${name}.png` });
}
try {
  const context = await browser.newContext({
    locale: 'de-DE', viewport: { width: 390, height: 844 }, isMobile: true,
  });
  const page = await context.newPage();
  await page.goto(started.verification_uri_complete);
  await look(page, 'device-de-phone');
  seen.prefilled = await page.inputValue('input[name=user_code]');
  await page.click('button[type=submit]');
  await page.fill('input[name=username]', USERNAME);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('button[value=allow]');
  await look(page, 'device-allow-de-phone');
  await page.click('button[value=allow]');
  await page.waitForSelector('h1');
  await look(page, 'device-connected-de-phone');
  const tokens = await polling;
  seen.userCode = started.user_code;
  seen.sub = tokens.claims().sub;
  seen.tokenType = tokens.token_type;
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
