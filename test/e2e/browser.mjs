// The "system browser" of Keyport's end-to-end test: test/e2e/run.sh puts an
// xdg-open first on PATH that runs
//
//   node browser.mjs URL
//
// with E2E_DIR (the artifact directory) and E2E_SHOT (where to save the last
// page) set. It opens URL in the system's Chromium (headless, a fresh
// profile), signs in as demo/demo, presses Allow or Deny as the file
// $E2E_DIR/consent says ("allow" unless it says "deny"), waits for Keyport's
// loopback callback page and prints its #result, then exits: 0 when the
// callback page was reached, 1 otherwise. It never downloads a browser.
// When the consent file says "ignore", it opens nothing and exits 0: a
// browser the person leaves alone.
//
//   node browser.mjs --code CODE URL
//
// plays the person on a device grant's verification page instead (RFC
// 8628): it types CODE into the page at URL, confirms, signs in, allows,
// and exits 0 once the server's end page (#device-done) shows.
// E2E_PIDFILE, when set, receives Chromium's pid (its process group), so
// run.sh can stop Chromium even if this script is killed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const codeMode = process.argv[2] === '--code';
const code = codeMode ? process.argv[3] : '';
const url = codeMode ? process.argv[4] : process.argv[2];
const dir = process.env.E2E_DIR || '.';
const shot = process.env.E2E_SHOT || join(dir, 'browser.png');
const timeout = 60_000;

function log(...parts) {
  console.log(`browser: ${new Date().toISOString()} ${parts.join(' ')}`);
}

function consent() {
  try {
    const said = readFileSync(join(dir, 'consent'), 'utf8').trim();
    return said === 'deny' || said === 'ignore' ? said : 'allow';
  } catch {
    return 'allow';
  }
}

// Only the origin and path: the query holds state, PKCE challenge, codes.
function where(u) {
  try {
    const x = new URL(u);
    return x.origin + x.pathname;
  } catch {
    return '(unparsable URL)';
  }
}

async function main() {
  if (!url) throw new Error('usage: node browser.mjs [--code CODE] URL');
  const choice = codeMode ? 'allow' : consent();
  if (choice === 'ignore') {
    log(`left ${where(url)} unanswered`);
    return true;
  }
  log(`opening ${where(url)}; consent: ${choice}${codeMode ? '; entering a code' : ''}`);
  // launchServer, not launch: only a BrowserServer tells Chromium's pid.
  const server = await chromium.launchServer({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  if (process.env.E2E_PIDFILE) writeFileSync(process.env.E2E_PIDFILE, `${server.process().pid}\n`);
  const browser = await chromium.connect(server.wsEndpoint(), { timeout });
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) log(`at ${where(f.url())}`); });
  let ok = false;
  try {
    await page.goto(url);
    if (codeMode) {
      await enterCode(page);
      return (ok = true);
    }
    // A fresh profile has no session: sign in, then consent. Each step waits
    // for whichever page comes next, so a remembered consent is fine too.
    const next = () => page.waitForSelector('#login, #allow, #result, #error', { state: 'visible' });
    let el = await next();
    if (await el.getAttribute('id') === 'login') {
      log('signing in as demo');
      await page.fill('#login', 'demo');
      await page.fill('#password', 'demo');
      await Promise.all([page.waitForNavigation(), page.click('#signin')]);
      el = await next();
    }
    if (await el.getAttribute('id') === 'allow') {
      log(`pressing ${choice}`);
      await Promise.all([page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname.startsWith('/callback/')),
        page.click(`#${choice}`)]);
      el = await next();
    }
    const id = await el.getAttribute('id');
    const text = (await el.innerText()).replace(/\s+/g, ' ').trim();
    if (id !== 'result') throw new Error(`ended on ${where(page.url())} with #${id}: ${text}`);
    const body = (await page.innerText('body')).replace(/\s+/g, ' ').trim();
    log(`callback page: result: ${text}`);
    log(`callback page: text: ${body}`);
    ok = true;
  } catch (err) {
    log(`FAILED: ${err.message.split('\n')[0]} (page ${where(page.url())})`);
  } finally {
    await page.screenshot({ path: shot, fullPage: true }).catch((err) => log(`screenshot: ${err.message}`));
    log(`screenshot ${shot}`);
    await browser.close();
    await server.close();
  }
  return ok;
}

// enterCode plays the person on the verification page: the code, its
// confirmation, the sign-in and the consent, in whichever order they come.
async function enterCode(page) {
  for (let i = 0; i < 8; i++) {
    const el = await page.waitForSelector('input[name=user_code]:not([type=hidden]), #login, #allow, #device-done, #device-denied, #error', { state: 'visible' });
    const id = await el.getAttribute('id');
    if (id === 'device-done') {
      log(`code page: done: ${(await el.innerText()).trim()}`);
      return;
    }
    if (id === 'login') {
      log('signing in as demo');
      await page.fill('#login', 'demo');
      await page.fill('#password', 'demo');
      await Promise.all([page.waitForNavigation(), page.click('#signin')]);
    } else if (id === 'allow') {
      log('pressing allow');
      await Promise.all([page.waitForNavigation(), page.click('#allow')]);
    } else if (!id) {
      log('entering the code');
      await el.fill(code);
      await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    } else {
      throw new Error(`the code page shows #${id}: ${(await el.innerText()).replace(/\s+/g, ' ').trim()}`);
    }
  }
  throw new Error('the code page did not end after 8 pages');
}

main().then((ok) => process.exit(ok ? 0 : 1), (err) => {
  log(`FAILED: ${err.stack || err}`);
  process.exit(1);
});
