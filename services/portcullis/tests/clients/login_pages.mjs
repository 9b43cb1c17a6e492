// The hosted login's pages in headless Chromium (Debian's, driven by playwright-core), as a
// person uses them: by keyboard, in English on a desktop and in German on a phone, through a
// refused login, an expired password and a logout, "Forgot password?", an invitation's and
// an email verification's links, registration, the choice between two accounts, a second
// factor and an app set up at the login. On every page it checks what a person
// relies on (no error in the console, which is where CSP violations show; a label for every
// field; nothing wider than the screen) and takes a screenshot into OUT.
import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { ISSUER, CLIENT_ID, BRANDED_CLIENT_ID, REDIRECT_URI, CHALLENGE, USERNAME, PASSWORD,
  NEW_PASSWORD, RESET_PASSWORD, ADMIN_ADDRESS, INVITE_LINK, VERIFY_LINK, MAIL_DIR,
  MFA_PASSWORD, MFA_CODE, OUT } = process.env;
const authorize = (client = CLIENT_ID) =>
  `${ISSUER}/oauth/v2/authorize?response_type=code&client_id=${encodeURIComponent(client)}` +
  `&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=openid&state=s1` +
  `&code_challenge=${CHALLENGE}&code_challenge_method=S256`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
const seen = { pages: {}, landed: null, tabOrder: [] };

async function visitor(locale, viewport) {
  const context = await browser.newContext({ locale, viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => {
    // A page answered with an error status (a refused login is 401) is no error of the page.
    const own = m.text().startsWith('Failed to load resource') && m.location().url === page.url();
    if (m.type() === 'error' && !own) page.errors.push(m.text());
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

// Presses a key or clicks (a form's submission) and waits for the page it leads to.
async function submitting(page, act) {
  await Promise.all([page.waitForNavigation(), act()]);
}

// Presses a key or clicks and waits until the browser is sent back to the app, which is not
// running: its address is where the browser goes, and nothing answers. Answers that address.
async function landing(page, act) {
  const [back] = await Promise.all([
    page.waitForEvent('requestfailed', (r) => r.url().startsWith(REDIRECT_URI)),
    act(),
  ]);
  await page.waitForURL((url) => url.href.startsWith('chrome-error:'));
  page.errors.length = 0;
  return back.url();
}

// The `n`th message (1-based) the SMTP server took for `to`, as a person reads their mailbox:
// its code and its link.
async function mail(to, n) {
  for (let waited = 0; waited < 30000; waited += 100) {
    const got = [];
    for (const file of readdirSync(MAIL_DIR).filter((f) => f.endsWith('.json')).sort()) {
      try {
        const m = JSON.parse(readFileSync(`${MAIL_DIR}/${file}`, 'utf8'));
        if (m.to.includes(to)) got.push(m);
      } catch {
        // Still being written: read again on the next round.
      }
    }
    if (got.length >= n) {
      const { text } = got[n - 1];
      return { code: text.match(/ode: (\S+)/)[1], link: text.match(/https?:\/\/\S+/)[0] };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no message ${n} to ${to}`);
}

// Waits until the page's autofocus has put the focus on its button, so that Enter presses it.
async function focusOnButton(page) {
  await page.waitForFunction(() => document.activeElement?.tagName === 'BUTTON');
}

// What a person relies on, and a screenshot.
async function look(page, name) {
  await page.waitForLoadState('load');
  // Chromium applies autofocus after the load: what has the focus is read once it has.
  await page.waitForFunction(() => {
    const wanted = document.querySelector('[autofocus]');
    return !wanted || document.activeElement === wanted;
  }, null, { timeout: 5000 }).catch(() => {});
  const facts = await page.evaluate(() => {
    const fields = [...document.querySelectorAll('input:not([type=hidden]), button')];
    return {
      lang: document.documentElement.lang,
      title: document.title,
      heading: document.querySelector('h1')?.textContent ?? null,
      unlabelled: fields
        .filter((f) => f.tagName === 'INPUT' && f.labels.length === 0)
        .map((f) => f.name),
      overflow: document.documentElement.scrollWidth > window.innerWidth,
      alert: document.querySelector('[role=alert]')?.textContent ?? null,
      focused: document.activeElement?.name ?? null,
      accounts: [...document.querySelectorAll('.accounts .login')].map((e) => e.textContent),
      others: [...document.querySelectorAll('.others a')].map((e) => e.textContent),
      stylesApplied: getComputedStyle(document.querySelector('main')).maxWidth !== 'none',
    };
  });
  facts.consoleErrors = [...page.errors];
  page.errors.length = 0;
  seen.pages[name] = facts;
  await page.screenshot({ path: `${OUT}/${name}.png` });
}

try {
  // A second factor after the password: the app's code, a wrong one refused first.
  const alan = await visitor('en-US', { width: 1280, height: 800 });
  await alan.goto(authorize());
  await alan.fill('input[name=username]', 'alan');
  await alan.fill('input[name=password]', MFA_PASSWORD);
  await submitting(alan, () => alan.keyboard.press('Enter'));
  await look(alan, 'mfa');
  await alan.keyboard.type('000000');
  await submitting(alan, () => alan.keyboard.press('Enter'));
  await look(alan, 'mfa-refused');
  await alan.fill('input[name=code]', MFA_CODE);
  seen.afterMfa = await landing(alan, () => alan.keyboard.press('Enter'));
  // An org that requires a second factor, a user without one: an app is set up at the login.
  const newbie = await visitor('de-DE', { width: 390, height: 780 });
  await newbie.goto(authorize());
  await newbie.fill('input[name=username]', 'newbie');
  await newbie.fill('input[name=password]', MFA_PASSWORD);
  await submitting(newbie, () => newbie.keyboard.press('Enter'));
  await look(newbie, 'mfa-setup-de-phone');

  // English on a desktop, by keyboard only: the username first, Tab to the password, Enter.
  const en = await visitor('en-US', { width: 1280, height: 800 });
  await en.goto(authorize());
  await look(en, 'login');
  await en.keyboard.type(USERNAME);
  await en.keyboard.press('Tab');
  seen.tabOrder.push(await en.evaluate(() => document.activeElement.name));
  await en.keyboard.press('Tab');
  seen.tabOrder.push(await en.evaluate(() => document.activeElement.textContent));
  await en.keyboard.press('Shift+Tab');
  await en.keyboard.type('not the password');
  await submitting(en, () => en.keyboard.press('Enter'));
  await look(en, 'login-refused');
  // The right password, which has expired: a new one first, then back to the app.
  await en.fill('input[name=password]', PASSWORD);
  await submitting(en, () => en.keyboard.press('Enter'));
  await look(en, 'expired-password');
  await en.keyboard.type('short');
  await submitting(en, () => en.keyboard.press('Enter'));
  await look(en, 'expired-password-refused');
  await en.fill('input[name=new_password]', NEW_PASSWORD);
  seen.landed = await landing(en, () => en.keyboard.press('Enter'));
  // Logging out asks first.
  await en.goto(`${ISSUER}/oidc/v1/end_session`);
  await look(en, 'logout');
  await submitting(en, () => en.click('button[type=submit]'));
  await look(en, 'logged-out');
  await en.goto(`${ISSUER}/oauth/v2/authorize?client_id=unknown&response_type=code`);
  await look(en, 'error');
  // An invitation's link: the code is filled in, the new password has the focus.
  await en.goto(INVITE_LINK);
  await look(en, 'invite');
  await en.keyboard.type(NEW_PASSWORD);
  await submitting(en, () => en.keyboard.press('Enter'));
  await look(en, 'password-set');
  // An email verification's link asks for a click.
  await en.goto(VERIFY_LINK);
  await look(en, 'verify-email');
  await submitting(en, () => en.keyboard.press('Enter'));
  await look(en, 'email-verified');
  // A phone's code opens a page of its own.
  await en.goto(`${ISSUER}/ui/login/verify_phone?user=someone&code=ABCDEFGH`);
  await look(en, 'verify-phone');
  // Registration, where the login settings allow it.
  await en.goto(authorize());
  await submitting(en, () => en.click('a[href^="/ui/login/register"]'));
  await look(en, 'register');
  await en.keyboard.type('Grace');
  for (const [name, value] of [['family_name', 'Hopper'], ['email', 'grace@example.com'],
    ['username', 'grace'], ['password', NEW_PASSWORD]]) {
    await en.fill(`input[name=${name}]`, value);
  }
  await landing(en, () => en.keyboard.press('Enter'));
  // The new user's mailbox has a code: its link verifies the address with one click.
  await en.goto((await mail('grace@example.com', 1)).link);
  await focusOnButton(en);
  await submitting(en, () => en.keyboard.press('Enter'));
  seen.registeredVerified = await en.evaluate(() => document.querySelector('h1').textContent);
  // The admin logs in too, in the same browser: the next login asks which account.
  await en.goto(`${authorize()}&prompt=login`);
  await en.fill('input[name=username]', USERNAME);
  await en.fill('input[name=password]', NEW_PASSWORD);
  await landing(en, () => en.keyboard.press('Enter'));
  await en.goto(authorize());
  await look(en, 'accounts');
  await focusOnButton(en);
  seen.chosen = await landing(en, () => en.keyboard.press('Enter'));

  // German on a phone, the org's colours.
  const de = await visitor('de-DE', { width: 390, height: 780 });
  await de.goto(authorize(BRANDED_CLIENT_ID));
  await look(de, 'login-de-phone');
  await de.fill('input[name=username]', USERNAME);
  await de.fill('input[name=password]', 'falsch');
  await submitting(de, () => de.keyboard.press('Enter'));
  await look(de, 'login-de-refused');
  // "Passwort vergessen?": the login name, then the code form (the code goes by email).
  await submitting(de, () => de.click('a[href^="/ui/login/reset"]'));
  await look(de, 'reset-de-phone');
  await de.keyboard.type(USERNAME);
  await submitting(de, () => de.keyboard.press('Enter'));
  await look(de, 'reset-code-de-phone');
  // The code from the mailbox and a new password; then back to the login, which takes it.
  await de.keyboard.type((await mail(ADMIN_ADDRESS, 1)).code);
  await de.fill('input[name=new_password]', RESET_PASSWORD);
  await submitting(de, () => de.keyboard.press('Enter'));
  seen.resetDone = await de.evaluate(() => document.querySelector('h1').textContent);
  await submitting(de, () => de.click('a[href^="/ui/login"]'));
  await de.fill('input[name=username]', USERNAME);
  await de.fill('input[name=password]', RESET_PASSWORD);
  seen.afterReset = await landing(de, () => de.keyboard.press('Enter'));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
