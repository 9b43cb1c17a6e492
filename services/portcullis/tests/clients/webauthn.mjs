// A person's authenticator in headless Chromium (Debian's, driven by playwright-core): the
// DevTools virtual authenticator (CTAP2, resident keys, user verification) answers
// navigator.credentials.create() and .get() on a page of the instance's origin. The test
// sends one command per line on stdin and reads one JSON answer per line on stdout:
//   {"op": "create", "options": <creation options>}        -> {"credential": <toJSON()>}
//   {"op": "get", "options": <request options>, "origin"?}  -> {"credential": <toJSON()>}
//   {"op": "rewind"}   the authenticator's signature counters back to 0 (a cloned key)
//   {"op": "login", "url", "username", "password", "redirect"}: the hosted login, by keyboard,
//       up to the key's step, whose button is pressed -> {"heading", "landed"}
//   {"op": "passkey", "url", "redirect"}: the hosted login's "Log in with a passkey"
//       -> {"button", "landed"}
//   {"op": "register", "url"}: a passkey registration link, its two buttons pressed
//       -> {"asked", "heading", "text"}
// PAGES: pages of the origins the ceremonies may run on (the instance's first), under
// .localhost: secure contexts on loopback, as WebAuthn needs. OUT, if set: where the
// registration link's pages and the key's step are photographed (passkey-link.png,
// passkey-create.png, passkey-registered.png, mfa-key.png).
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const pageUrls = process.env.PAGES.split(' ');
const origins = pageUrls.map((u) => new URL(u).origin);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
const context = await browser.newContext();
// One page (the virtual authenticator belongs to it), taken to the origin each command needs.
const page = await context.newPage();
await page.goto(pageUrls[0]);
const cdp = await context.newCDPSession(page);
await cdp.send('WebAuthn.enable');
const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
  options: {
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
    hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
  },
});

// The page, on `origin`.
async function pageOf(origin) {
  if (new URL(page.url()).origin !== origin) {
    await page.goto(pageUrls[origins.indexOf(origin)]);
  }
  return page;
}

// A screenshot of the page into OUT, if set.
const shot = (name) => process.env.OUT && page.screenshot({ path: `${process.env.OUT}/${name}.png` });

async function run(command) {
  await pageOf(command.origin || origins[0]);
  switch (command.op) {
    case 'create':
      return page.evaluate(async (options) => {
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
        const signal = AbortSignal.timeout(15000);
        return { credential: (await navigator.credentials.create({ publicKey, signal })).toJSON() };
      }, command.options);
    case 'get':
      return page.evaluate(async (options) => {
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
        const signal = AbortSignal.timeout(15000);
        return { credential: (await navigator.credentials.get({ publicKey, signal })).toJSON() };
      }, command.options);
    case 'rewind': {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      for (const credential of credentials) {
        await cdp.send('WebAuthn.removeCredential', {
          authenticatorId, credentialId: credential.credentialId,
        });
        await cdp.send('WebAuthn.addCredential', {
          authenticatorId, credential: { ...credential, signCount: 0 },
        });
      }
      return { rewound: credentials.length };
    }
    case 'login': {
      await page.goto(command.url);
      await page.fill('input[name=username]', command.username);
      await page.fill('input[name=password]', command.password);
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      const heading = await page.evaluate(() => document.querySelector('h1')?.textContent);
      // The browser applies `autofocus` once the page is shown, a moment after it loads.
      await page.waitForFunction(() => document.activeElement?.tagName === 'BUTTON', null, { timeout: 5000 })
        .catch(() => {});
      const button = await page.evaluate(() => document.activeElement?.textContent);
      await shot('mfa-key');
      const [back] = await Promise.all([
        page.waitForEvent('requestfailed', (r) => r.url().startsWith(command.redirect)),
        page.keyboard.press('Enter'),
      ]);
      // The app is not running: the browser ends on its error page.
      await page.waitForURL((url) => url.href.startsWith('chrome-error:'));
      return { heading, button, landed: back.url() };
    }
    case 'register': {
      await page.goto(command.url);
      await shot('passkey-link');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      const asked = await page.textContent('h1');
      if (await page.$('form[data-create-options]')) {
        await shot('passkey-create');
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        await shot('passkey-registered');
      }
      const heading = await page.textContent('h1');
      const text = await page.evaluate(() => document.querySelector('main p')?.textContent);
      return { asked, heading, text };
    }
    case 'passkey': {
      await page.goto(command.url);
      const button = await page.textContent('form.passkey button');
      const [back] = await Promise.all([
        page.waitForEvent('requestfailed', (r) => r.url().startsWith(command.redirect)),
        page.click('form.passkey button'),
      ]);
      await page.waitForURL((url) => url.href.startsWith('chrome-error:'));
      return { button, landed: back.url() };
    }
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = await run(JSON.parse(line));
  } catch (e) {
    answer = { error: String(e), url: page.url() };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await browser.close();
