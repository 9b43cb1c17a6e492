// The admin console in headless Chromium, as a manager uses it: the first admin logs in
// through the hosted login and creates an org, a user, a project with a role, an OIDC app
// (whose id and secret the wizard shows once), a project grant and a user grant; a manager
// with a narrower role logs in and sees only what their roles allow; the console is seen in
// German, dark, on a phone. Every page is checked with axe-core (WCAG 2.1 A and AA). Prints
// what it did and saw as JSON. SHOTS: a directory for screenshots of the main pages.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium } from './chromium.mjs';

const { BASE, USERNAME, PASSWORD, NARROW_USERNAME, NARROW_PASSWORD, SUFFIX, SHOTS } = process.env;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const seen = { violations: {}, errors: [] };

/** axe-core's serious and critical findings on the page as it is now, by rule. */
async function audit(page, name) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  seen.violations[name] = found;
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

async function heading(page, text) {
  await page.locator('h1', { hasText: text }).first().waitFor({ timeout: 15000 });
}

async function logIn(page, username, password) {
  await page.goto(`${BASE}/ui/console/`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
}

function watch(page) {
  // Layout shifts, summed as Chromium reports them (not those right after input).
  page.addInitScript(() => {
    window.shifted = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.shifted += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
}

const form = (page, label) => page.locator(`form[aria-label="${label}"]`);

/** Sends a settings form and waits until it is saved (a notice of its own, not an earlier one). */
async function save(page, label) {
  await page.evaluate(() => { document.getElementById('notice').textContent = ''; });
  await form(page, label).locator('button[type="submit"]').click();
  await page.locator('.notice', { hasText: 'Saved.' }).waitFor({ timeout: 10000 });
}

const browser = await launchChromium();
try {
  // ---- the first admin builds an org with a user, a project, an app and grants --------
  const desk = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  const page = await desk.newPage();
  watch(page);
  await logIn(page, USERNAME, PASSWORD);
  await heading(page, 'Overview');
  seen.overview = await page.locator('main').innerText();
  seen.nav = await page.locator('nav a').allInnerTexts();
  await audit(page, 'console-overview');
  seen.layout_shift = await page.evaluate(() => window.shifted);

  // Keyboard only: from the page's heading, Tab reaches "New organization"; Enter opens the
  // form with the focus in its field; Enter sends it.
  await page.click('nav >> text=Organizations');
  await heading(page, 'Organizations');
  await page.keyboard.press('Tab');
  seen.keyboard_first = await page.evaluate(() => document.activeElement.textContent);
  await page.keyboard.press('Enter');
  await page.keyboard.type(`Keys ${SUFFIX}`);
  await page.keyboard.press('Enter');
  await heading(page, `Keys ${SUFFIX}`);
  seen.keyboard_org = true;

  const org = `Acme ${SUFFIX}`;
  await page.click('nav >> text=Organizations');
  await heading(page, 'Organizations');
  // Paged: the first 50 orgs, the rest after "Show more".
  seen.orgs_first_page = await page.locator('main tbody tr').count();
  await page.click('button:has-text("Show more")');
  await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length > 50, null, { timeout: 10000 });
  seen.orgs_all = await page.locator('main tbody tr').count();
  seen.orgs_more_left = await page.locator('button:has-text("Show more")').count();
  await page.click('button:has-text("New organization")');
  await form(page, 'New organization').locator('input[name="name"]').fill(org);
  await form(page, 'New organization').locator('button[type="submit"]').click();
  await heading(page, org);
  seen.org_id = await page.locator('main p.mono').first().innerText();
  await page.click('button:has-text("Add manager")');
  await audit(page, 'console-org');

  const username = `ada-${SUFFIX}`;
  await page.click('nav >> text=Users');
  await heading(page, 'Users');
  await page.click('button:has-text("New user")');
  const newUser = form(page, 'New user');
  await newUser.locator('select[name="org"]').selectOption({ label: org });
  await newUser.locator('input[name="username"]').fill(username);
  await newUser.locator('input[name="given_name"]').fill('Ada');
  await newUser.locator('input[name="family_name"]').fill('Lovelace');
  await newUser.locator('input[name="email"]').fill(`${username}@example.com`);
  await newUser.locator('input[name="password"]').fill('Engines of 1843!');
  await newUser.locator('button[type="submit"]').click();
  await heading(page, 'Ada Lovelace');
  seen.user_url = page.url();
  await page.click('button:has-text("Edit profile")');
  await form(page, 'Edit profile').locator('input[name="display_name"]').fill('Ada King');
  await form(page, 'Edit profile').locator('button[type="submit"]').click();
  await heading(page, 'Ada King');

  // An error of the API is shown with its code: the same login name again.
  await page.click('nav >> text=Users');
  await page.click('button:has-text("New user")');
  await newUser.locator('select[name="org"]').selectOption({ label: org });
  await newUser.locator('input[name="username"]').fill(username);
  await newUser.locator('input[name="given_name"]').fill('Ada');
  await newUser.locator('input[name="family_name"]').fill('Again');
  await newUser.locator('input[name="email"]').fill(`${username}@example.com`);
  await newUser.locator('button[type="submit"]').click();
  await newUser.locator('.error:not(:empty)').waitFor({ timeout: 10000 });
  seen.duplicate_error = await newUser.locator('.error').innerText();
  await audit(page, 'console-users');

  // The users list searched by the start of a login name.
  await page.click('nav >> text=Users');
  await heading(page, 'Users');
  await form(page, 'Filter').locator('input[name="start"]').fill(`ADA-${SUFFIX}`);
  await form(page, 'Filter').locator('button[type="submit"]').click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, null, { timeout: 10000 });
  seen.searched = await page.locator('tbody tr td:first-child').allInnerTexts();

  // Ada made a manager of the org: the org's own users are suggested as the name is typed.
  await page.goto(`${BASE}/ui/console/#/orgs/${seen.org_id}`);
  await heading(page, org);
  await page.click('button:has-text("Add manager")');
  const addManager = form(page, 'Add manager');
  await addManager.locator('input[name="username"]').pressSequentially('ada-', { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('datalist option').length > 0, null, { timeout: 10000 });
  seen.suggested = await page.locator('datalist option').evaluateAll((os) => os.map((o) => o.value));
  await addManager.locator('input[name="username"]').fill(username);
  await addManager.locator('select[name="role"]').selectOption('ORG_USER_MANAGER');
  await addManager.locator('button[type="submit"]').click();
  await page.locator('section[aria-label="Managers"] td', { hasText: username }).waitFor({ timeout: 10000 });

  await page.click('nav >> text=Projects');
  await heading(page, 'Projects');
  await page.click('button:has-text("New project")');
  const newProject = form(page, 'New project');
  await newProject.locator('select[name="org"]').selectOption({ label: org });
  await newProject.locator('input[name="name"]').fill(`Rocket ${SUFFIX}`);
  await newProject.locator('button[type="submit"]').click();
  await heading(page, `Rocket ${SUFFIX}`);
  seen.project_url = page.url();

  await page.click('button:has-text("Add role")');
  await form(page, 'Add role').locator('input[name="key"]').fill('pilot');
  await form(page, 'Add role').locator('input[name="display_name"]').fill('Pilot');
  await form(page, 'Add role').locator('button[type="submit"]').click();
  await page.locator('td', { hasText: 'pilot' }).first().waitFor({ timeout: 10000 });

  await page.click('button:has-text("New application")');
  const wizard = form(page, 'New application');
  await wizard.locator('input[name="name"]').fill('Rocket web');
  await wizard.locator('select[name="kind"]').selectOption('web');
  await wizard.locator('input[name="redirect_uri"]').fill('https://rocket.example.com/callback');
  await wizard.locator('button[type="submit"]').click();
  await page.locator('#client-secret').waitFor({ timeout: 10000 });
  seen.client_id = await page.locator('#client-id').innerText();
  seen.client_secret = await page.locator('#client-secret').innerText();
  await audit(page, 'console-app-created');
  await page.click('button:has-text("Done")');
  await page.locator('td', { hasText: seen.client_id }).waitFor({ timeout: 10000 });
  seen.secret_shown_again = await page.locator(`text=${seen.client_secret}`).count();
  await page.click('a:has-text("Rocket web")');
  await heading(page, 'Rocket web');
  await page.fill('textarea[name="redirect_uris"]', 'https://rocket.example.com/callback\nhttps://rocket.example.com/other');
  await page.locator('input[name="grant:client_credentials"]').check();
  await page.locator('select[name="access_token_type"]').selectOption('opaque');
  await save(page, 'Settings of the application');
  await page.locator('dd', { hasText: 'client_credentials' }).waitFor({ timeout: 10000 });
  // A new secret, after the browser's confirmation, shown once.
  page.once('dialog', (d) => { seen.secret_question = d.message(); d.accept(); });
  await page.click('button:has-text("New client secret")');
  await page.locator('#client-secret').waitFor({ timeout: 10000 });
  seen.rotated_secret = await page.locator('#client-secret').innerText();
  await page.click('button:has-text("Done")');
  await page.locator('button:has-text("New client secret")').waitFor({ timeout: 10000 });
  await audit(page, 'console-app');
  await page.goto(seen.project_url);
  await heading(page, `Rocket ${SUFFIX}`);

  // A SAML app from its service provider's metadata, and its page.
  await page.click('button:has-text("New SAML application")');
  const saml = form(page, 'New SAML application');
  await saml.locator('input[name="name"]').fill('Rocket SAML');
  await saml.locator('textarea[name="metadata_xml"]').fill(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://saml-${SUFFIX}.example.com/sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://saml-${SUFFIX}.example.com/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`);
  await saml.locator('select[name="name_id_format"]').selectOption('email');
  await saml.locator('button[type="submit"]').click();
  await page.click('section[aria-label="SAML applications"] a:has-text("Rocket SAML")');
  await heading(page, 'Rocket SAML');
  seen.saml_page = await page.locator('main').innerText();
  await audit(page, 'console-saml-app');
  await page.goto(seen.project_url);
  await heading(page, `Rocket ${SUFFIX}`);

  await page.click('button:has-text("Grant to an organization")');
  const toOrg = form(page, 'Grant to an organization');
  await toOrg.locator('select[name="granted_org_id"]').selectOption({ label: 'Default' });
  await toOrg.locator('input[value="pilot"]').check();
  await toOrg.locator('button[type="submit"]').click();
  await page.locator('section[aria-label="Granted to organizations"] td', { hasText: 'Default' }).waitFor({ timeout: 10000 });
  await audit(page, 'console-project');

  await page.goto(seen.user_url);
  await heading(page, 'Ada King');
  await page.click('button:has-text("Add authorization")');
  const grant = form(page, 'Add authorization');
  await grant.locator('select[name="project_id"]').selectOption({ label: `Rocket ${SUFFIX}` });
  await grant.locator('input[value="pilot"]').check();
  await grant.locator('button[type="submit"]').click();
  await page.locator('section[aria-label="Authorizations"] td', { hasText: 'pilot' }).waitFor({ timeout: 10000 });
  await audit(page, 'console-user');

  await page.click('nav >> text=Audit trail');
  await heading(page, 'Audit trail');
  await page.locator('td', { hasText: 'user.grant.added' }).first().waitFor({ timeout: 10000 });
  seen.trail = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
  await audit(page, 'console-audit-trail');
  // Live: an org made meanwhile (by the API, with the console's own token) shows up.
  const added = () => page.locator('td', { hasText: 'org.added' }).count();
  const before = await added();
  await page.check('#live');
  await page.locator('#live[data-following="true"]').waitFor({ timeout: 10000 });
  await page.evaluate(async (name) => {
    const { access_token: token } = JSON.parse(sessionStorage.getItem('portcullis-console-tokens'));
    await fetch('/v1/orgs', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
  }, `Live ${SUFFIX}`);
  await page.waitForFunction((n) => [...document.querySelectorAll('td')]
    .filter((td) => td.textContent === 'org.added').length > n, before, { timeout: 15000 });
  seen.trail_live = true;
  await page.uncheck('#live');
  // Filtered to one org: only its events.
  const filter = form(page, 'Filter');
  await filter.locator('select[name="type"]').selectOption('org');
  await filter.locator('input[name="id"]').fill(seen.org_id);
  await filter.locator('button[type="submit"]').click();
  await page.waitForFunction((id) => {
    const cells = [...document.querySelectorAll('tbody tr td:nth-child(4)')];
    return cells.length > 0 && cells.every((c) => c.textContent === id);
  }, seen.org_id, { timeout: 10000 });
  seen.trail_filtered = [...new Set(await page.locator('tbody tr td:nth-child(3)').allInnerTexts())];

  // The instance: its email server set here.
  await page.click('nav >> text=Instance');
  await page.locator('button:has-text("Set email server")').click();
  const smtp = form(page, 'Set email server');
  await smtp.locator('input[name="host"]').fill('smtp.example.com');
  await smtp.locator('input[name="port"]').fill('2587');
  await smtp.locator('select[name="tls"]').selectOption('starttls');
  await smtp.locator('input[name="sender_address"]').fill('noreply@example.com');
  await smtp.locator('input[name="sender_name"]').fill('Acme');
  await smtp.locator('button[type="submit"]').click();
  await page.locator('dd', { hasText: 'smtp.example.com:2587' }).waitFor({ timeout: 10000 });
  await page.locator('button:has-text("Set SMS provider")').click();
  await form(page, 'Set SMS provider').locator('input[name="endpoint"]').fill('https://sms.example.com/send');
  await form(page, 'Set SMS provider').locator('button[type="submit"]').click();
  seen.sms_key = await page.locator('#sms-key').innerText();
  await audit(page, 'console-instance');
  await page.click('button:has-text("Done")');
  await page.locator('#sms-key').waitFor({ state: 'detached', timeout: 10000 });

  // An identity provider of the instance: the form shows the chosen type's fields, the API's
  // refusal of a missing client id, then the IdP's page says what to register there; its
  // scopes edited (its secret, left empty, kept).
  await page.click('button:has-text("New identity provider")');
  const idp = form(page, 'New identity provider');
  await idp.locator('input[name="name"]').fill(`Acme SSO ${SUFFIX}`);
  await idp.locator('select[name="type"]').selectOption('ldap');
  seen.idp_ldap_fields = await idp.locator('textarea[name="ldap.servers"]').isVisible();
  await idp.locator('select[name="type"]').selectOption('oidc');
  seen.idp_ldap_fields_after = await idp.locator('textarea[name="ldap.servers"]').isVisible();
  await idp.locator('input[name="oidc.issuer"]').fill(`https://sso-${SUFFIX}.example.com`);
  await idp.locator('button[type="submit"]').click();
  await idp.locator('.error', { hasText: 'IDP-0001' }).waitFor({ timeout: 10000 });
  seen.idp_error = await idp.locator('.error').innerText();
  await idp.locator('input[name="oidc.client_id"]').fill('portcullis');
  await idp.locator('input[name="oidc.client_secret"]').fill('the IdP secret');
  await idp.locator('button[type="submit"]').click();
  await heading(page, `Acme SSO ${SUFFIX}`);
  seen.idp_callback = await page.locator('#idp-callback').innerText();
  seen.idp_url = page.url();
  await page.fill('input[name="oidc.scopes"]', 'email profile groups');
  await save(page, 'Settings of the provider');
  await audit(page, 'console-idp');

  // Settings: a longer password, and the login's colour seen in the preview before it is saved.
  await page.click('nav >> text=Settings');
  await page.click('.tabs >> text=Password rules');
  await page.locator('input[name="min_length"]').waitFor({ timeout: 10000 });
  await page.fill('input[name="min_length"]', '14');
  await save(page, 'Password rules');
  await page.click('.tabs >> text=Branding');
  await page.locator('#branding-preview').waitFor({ timeout: 10000 });
  await page.fill('input[name="primary_color"]', '#aa0000');
  seen.preview_button = await page.locator('.preview-button').evaluate((b) => getComputedStyle(b).backgroundColor);
  await audit(page, 'console-branding');
  await save(page, 'Branding');
  // Texts: the German subject of the password reset message.
  await page.click('.tabs >> text=Texts');
  const which = form(page, 'Which texts');
  await which.locator('select[name="template"]').selectOption('password_reset');
  await which.locator('input[name="language"]').fill('de');
  await which.locator('button[type="submit"]').click();
  const resetTexts = 'Password reset (message) (de)';
  await form(page, resetTexts).waitFor({ timeout: 10000 });
  await form(page, resetTexts).locator('input[name="subject"]').fill(`Neues Passwort für Acme ${SUFFIX}`);
  await save(page, resetTexts);
  await page.locator('button:has-text("Back to the built-in texts")').waitFor({ timeout: 10000 });
  await audit(page, 'console-texts');

  // The org's domain, with what proves it.
  await page.goto(`${BASE}/ui/console/#/orgs/${seen.org_id}`);
  await heading(page, org);
  await page.click('button:has-text("Add domain")');
  await form(page, 'Add domain').locator('input[name="domain"]').fill(`acme-${SUFFIX}.example`);
  await form(page, 'Add domain').locator('button[type="submit"]').click();
  await page.locator('.proof').waitFor({ timeout: 10000 });
  seen.domain_proof = await page.locator('.proof').innerText();

  // A personal access token for Ada, shown once.
  await page.goto(seen.user_url);
  await heading(page, 'Ada King');
  await page.click('button:has-text("New token")');
  seen.pat = await page.locator('#pat-token').innerText();
  await page.click('button:has-text("Done")');
  await page.locator('section[aria-label="Personal access tokens"] tbody tr').waitFor({ timeout: 10000 });
  seen.pat_shown_again = await page.locator(`text=${seen.pat}`).count();
  // A password reset sent to her (through the instance's email server).
  await page.evaluate(() => { document.getElementById('notice').textContent = ''; });
  await page.click('button:has-text("Send a password reset")');
  await page.locator('.notice', { hasText: 'Sent.' }).waitFor({ timeout: 10000 });
  seen.reset_sent = true;
  // And an invitation.
  await page.evaluate(() => { document.getElementById('notice').textContent = ''; });
  await page.click('button:has-text("Send an invitation")');
  await page.locator('.notice', { hasText: 'Sent.' }).waitFor({ timeout: 10000 });
  seen.invite_sent = true;

  // Actions: a webhook, its signing key shown once.
  await page.click('nav >> text=Actions');
  await heading(page, 'Actions');
  await page.click('button:has-text("New target")');
  const target = form(page, 'New target');
  await target.locator('input[name="name"]').fill('Audit');
  await target.locator('input[name="endpoint"]').fill('https://hooks.example.com/portcullis');
  await target.locator('select[name="type"]').selectOption('webhook');
  await target.locator('button[type="submit"]').click();
  seen.signing_key = await page.locator('#signing-key').innerText();
  await page.click('button:has-text("Done")');
  await page.click('button:has-text("New execution")');
  const execution = form(page, 'New execution');
  await execution.locator('select[name="kind"]').selectOption('event_group');
  await execution.locator('input[name="value"]').fill('user');
  await execution.locator('label:has-text("Audit") input').check();
  await execution.locator('button[type="submit"]').click();
  await page.locator('td', { hasText: 'event group user' }).waitFor({ timeout: 10000 });
  // A second execution, removed again after the browser's confirmation.
  await page.click('button:has-text("New execution")');
  const second = form(page, 'New execution');
  await second.locator('select[name="kind"]').selectOption('event_type');
  await second.locator('input[name="value"]').fill('org.added');
  await second.locator('label:has-text("Audit") input').check();
  await second.locator('button[type="submit"]').click();
  await page.locator('td', { hasText: 'event type org.added' }).waitFor({ timeout: 10000 });
  page.once('dialog', (d) => d.accept());
  await page.click('button[aria-label="Remove the execution event type org.added"]');
  await page.waitForFunction(() => ![...document.querySelectorAll('td')].some((td) => td.textContent === 'event type org.added'), null, { timeout: 10000 });
  await audit(page, 'console-actions');
  // The target's page: its settings edited, its deliveries given up (none).
  await page.click('main a:text-is("Audit")');
  await heading(page, 'Audit');
  await form(page, 'Settings of the target').locator('input[name="timeout_ms"]').fill('5000');
  await save(page, 'Settings of the target');
  await page.locator('dd', { hasText: '5000' }).waitFor({ timeout: 10000 });
  seen.deliveries = await page.locator('section[aria-label="Deliveries given up"]').innerText();
  await audit(page, 'console-target');

  // A machine user, and a project made and deleted again (after the browser's confirmation).
  await page.click('nav >> text=Users');
  await heading(page, 'Users');
  await page.click('button:has-text("New machine user")');
  const robot = form(page, 'New machine user');
  await robot.locator('select[name="org"]').selectOption({ label: org });
  await robot.locator('input[name="username"]').fill(`robot-${SUFFIX}`);
  await robot.locator('input[name="name"]').fill('Robot');
  await robot.locator('button[type="submit"]').click();
  await heading(page, 'Robot');
  // A key of the machine user, its file shown once.
  await page.click('button:has-text("New key")');
  seen.key_file = await page.locator('#key-file').innerText();
  await page.click('button:has-text("Done")');
  await page.locator('section[aria-label="Keys"] tbody tr').waitFor({ timeout: 10000 });
  seen.key_file_shown_again = await page.locator('text=PRIVATE KEY').count();
  // A client secret for client credentials, after the browser's confirmation, shown once.
  page.once('dialog', (d) => d.accept());
  await page.click('button:has-text("New client secret")');
  seen.machine_client_id = await page.locator('#machine-client-id').innerText();
  seen.machine_secret = await page.locator('#machine-client-secret').innerText();
  await page.click('button:has-text("Done")');
  await audit(page, 'console-machine-user');
  await page.click('nav >> text=Projects');
  await page.click('button:has-text("New project")');
  await newProject.locator('select[name="org"]').selectOption({ label: org });
  await newProject.locator('input[name="name"]').fill(`Temp ${SUFFIX}`);
  await newProject.locator('button[type="submit"]').click();
  await heading(page, `Temp ${SUFFIX}`);
  page.once('dialog', (d) => { seen.confirmed = d.message(); d.accept(); });
  await page.click('button:has-text("Delete project")');
  await heading(page, 'Projects');
  await page.waitForFunction((name) => ![...document.querySelectorAll('td')].some((td) => td.textContent === name), `Temp ${SUFFIX}`, { timeout: 10000 });

  await page.click('nav >> text=Permission explainer');
  await heading(page, 'Permission explainer');
  await page.fill('input[name="permission"]', 'org.delete');
  await page.selectOption('select[name="type"]', 'org');
  await page.fill('input[name="id"]', seen.org_id);
  await page.click('button:has-text("Check")');
  await page.locator('.yes, .no').waitFor({ timeout: 10000 });
  seen.explained = await page.locator('main [role="status"]').innerText();
  await audit(page, 'console-permissions');

  await page.click('button:has-text("Sign out")');
  await heading(page, 'You are signed out.');
  seen.signed_out = true;
  seen.signed_out_nav = await page.locator('nav a').count();
  await audit(page, 'console-signed-out');
  await desk.close();

  // ---- a manager with a narrower role --------------------------------------------------
  const narrow = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
  const np = await narrow.newPage();
  watch(np);
  await logIn(np, NARROW_USERNAME, NARROW_PASSWORD);
  await heading(np, 'Overview');
  seen.narrow_nav = await np.locator('nav a').allInnerTexts();
  await np.click('nav >> text=Organizations');
  await heading(np, 'Organizations');
  seen.narrow_orgs = await np.locator('tbody tr').allInnerTexts();
  seen.narrow_new_org = await np.locator('button:has-text("New organization")').count();
  await np.click('nav >> text=Users');
  await heading(np, 'Users');
  seen.narrow_new_user = await np.locator('button:has-text("New user")').count();
  await audit(np, 'console-narrow-users');
  await np.click('nav >> text=Projects');
  await heading(np, 'Projects');
  seen.narrow_new_project = await np.locator('button:has-text("New project")').count();
  await np.goto(`${BASE}/ui/console/#/events`);
  await heading(np, 'Audit trail');
  seen.narrow_events = await np.locator('main').innerText();
  await narrow.close();

  // ---- German, dark, on a phone ---------------------------------------------------------
  const phone = await browser.newContext({
    locale: 'de-DE', viewport: { width: 390, height: 844 }, isMobile: true, colorScheme: 'dark',
  });
  const pp = await phone.newPage();
  watch(pp);
  await logIn(pp, USERNAME, PASSWORD);
  await heading(pp, 'Übersicht');
  await pp.click('nav >> text=Benutzer');
  await heading(pp, 'Benutzer');
  seen.german = {
    lang: await pp.evaluate(() => document.documentElement.lang),
    nav: await pp.locator('nav a').allInnerTexts(),
    overflow: await pp.evaluate(() => document.documentElement.scrollWidth > window.innerWidth),
  };
  await audit(pp, 'console-users-de-phone-dark');
  // The longest German labels: an identity provider's form, on the phone.
  await pp.goto(`${BASE}/ui/console/#/instance`);
  await pp.click('button:has-text("Neuer Identitätsanbieter")');
  await pp.locator('form[aria-label="Neuer Identitätsanbieter"]').waitFor({ timeout: 10000 });
  seen.german.idp_overflow = await pp.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await audit(pp, 'console-idp-de-phone-dark');
  await phone.close();
} catch (e) {
  seen.failed = String(e.stack || e);
  for (const context of browser.contexts()) {
    for (const open of context.pages()) {
      seen.failed_at = { url: open.url(), text: await open.locator('body').innerText().catch(() => '') };
      if (SHOTS) await open.screenshot({ path: `${SHOTS}/failed.png` }).catch(() => {});
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
