// One page of the login in headless Chromium, as a person without JavaScript sees it on a
// phone in LOCALE: what it says, whether every field has a label, whether anything is wider
// than the screen, and a screenshot OUT/NAME.png. Hosts under .test (the tests' instances)
// reach this machine. Prints what it saw as JSON.
import { launchChromium } from './chromium.mjs';

const { URL: address, LOCALE, NAME, OUT } = process.env;
const browser = await launchChromium();
try {
  const context = await browser.newContext({
    locale: LOCALE, viewport: { width: 390, height: 844 }, isMobile: true, javaScriptEnabled: false,
  });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const response = await page.goto(address);
  const seen = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    heading: document.querySelector('h1')?.textContent ?? null,
    button: document.querySelector('button[type=submit]')?.textContent ?? null,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden])')]
      .filter((f) => f.labels.length === 0).map((f) => f.name),
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  }));
  await page.screenshot({ path: `${OUT}/${NAME}.png` });
  console.log(JSON.stringify({ ...seen, status: response.status(), errors }));
} finally {
  await browser.close();
}
