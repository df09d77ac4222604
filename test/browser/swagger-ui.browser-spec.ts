/**
 * Swagger UI is one of the service's clients: in a real (headless) Chromium, on the built server in
 * production mode, a user authorizes with the token from /auth/register and runs GET /users/me from the page,
 * with nothing refused by the docs' Content-Security-Policy, which still forbids framing the page.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { cleanEnv, freePort, JWT_SECRET, privateBuild, register, removePrivateBuild, REPO_ROOT, ServerProcess } from '../support/built-server';
import { uniqueEmail } from '../support/test-app';
import { createMigratedDatabase, dropDatabase } from '../support/test-database';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// as root Chromium needs --no-sandbox; on a closed network it must not try to phone home
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test', '.tmp');

describe('Swagger UI in a browser', () => {
  let databaseUrl: string;
  let server: ServerProcess;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let mainJs: string;
  /** What Chromium refused on the page because of its Content-Security-Policy. */
  const refusedByPolicy: string[] = [];

  beforeAll(async () => {
    mainJs = await privateBuild(); // a copy of dist/: others may rebuild dist/ while this runs
    databaseUrl = await createMigratedDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = ServerProcess.node(
      cleanEnv({ NODE_ENV: 'production', DATABASE_URL: databaseUrl, JWT_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
      mainJs,
    );
    await server.waitForReady(baseUrl, 90_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusedByPolicy.push(message.text());
    });
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    if (databaseUrl) await dropDatabase(databaseUrl);
    removePrivateBuild(mainJs);
  });

  /** The GET /users/me operation block. */
  const usersMe = (): Locator => page.locator('.opblock.opblock-get').filter({ has: page.locator('.opblock-summary-path[data-path="/users/me"]') });

  /** Execute, and read the response this run shows (a previous one is cleared first, so it cannot be read instead). */
  async function execute(operation: Locator): Promise<{ status: string; body: string }> {
    const clear = operation.locator('button.btn-clear');
    if (await clear.isVisible()) await clear.click();
    await operation.locator('.live-responses-table').waitFor({ state: 'detached' });
    await operation.locator('button.execute').click();
    const response = operation.locator('.live-responses-table .response').first();
    await response.locator('.response-col_status').waitFor();
    return {
      status: (await response.locator('.response-col_status').innerText()).trim(),
      body: await response.locator('.response-col_description').innerText(),
    };
  }

  it('authorizes with the token from /auth/register and runs GET /users/me: 200 with the user', async () => {
    const email = uniqueEmail('swagger');
    const { token, user } = await register(baseUrl, email, 'correct horse battery staple');

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain('Task service');

    // open GET /users/me and run it once without a token: the page shows the 401
    const operation = usersMe();
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    const anonymous = await execute(operation);
    expect(anonymous.status).toBe('401');

    // Authorize: paste the bearer token into the dialog
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input').first().fill(token);
    await dialog.locator('.auth-btn-wrapper button.authorize').click();
    // Swagger UI's sign that it holds the token: "Authorized" and a Logout ("Remove authorization") button
    await dialog.locator('h6', { hasText: 'Authorized' }).waitFor();
    await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
    await expect(page.locator('.auth-wrapper button.authorize.locked').count()).resolves.toBe(1);

    // Execute again: 200 with this user's representation, sent with the token
    const authorized = await execute(operation);
    expect(authorized.status).toBe('200');
    expect(authorized.body).toContain(`"email": "${email}"`);
    expect(authorized.body).toContain(`"id": "${user.id}"`);
    expect(authorized.body).not.toMatch(/password/i);
    await expect(operation.locator('.curl-command').innerText()).resolves.toContain(`Authorization: Bearer ${token}`);
    // the request went to the page's own origin (the document has no absolute servers URL)
    await expect(operation.locator('.request-url').innerText()).resolves.toContain(`${baseUrl}/users/me`);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'swagger-ui-users-me.png'), fullPage: false });
    // the page's policy let all of it run: no script, style, image or call was refused
    expect(refusedByPolicy).toEqual([]);
  });

  it('cannot be framed by another page (frame-ancestors \'none\')', async () => {
    const framing = await browser.newPage();
    try {
      const refused = new Promise<string>((resolve) => {
        framing.on('console', (message) => {
          if (/frame-ancestors/.test(message.text())) resolve(message.text());
        });
      });
      await framing.setContent(`<iframe src="${baseUrl}/docs" width="800" height="600"></iframe>`);
      await expect(refused).resolves.toContain("frame-ancestors 'none'");
      const frame = framing.frames().find((f) => f !== framing.mainFrame());
      await expect(frame?.locator('.swagger-ui').count() ?? Promise.resolve(0)).resolves.toBe(0);
    } finally {
      await framing.close();
    }
  });
});
