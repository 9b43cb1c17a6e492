// Debian's Chromium, headless, with hosts under .test (the tests' instances) reaching this
// machine. A browser that dies while it starts (it happens on a busy machine) is started
// again, once.
import { chromium } from 'playwright-core';

const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking',
    '--host-resolver-rules=MAP *.test 127.0.0.1'],
});

export const launchChromium = () => launch().catch(launch);
