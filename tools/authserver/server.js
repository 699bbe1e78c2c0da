// A real OpenID Connect / OAuth 2.0 authorization server (oidc-provider) for
// Keyport's integration tests and local demo. It listens on 127.0.0.1 only,
// keeps everything in memory and forgets it all on exit.
//
// Usage: node server.js [--port N] [--access-ttl S] [--refresh-ttl S]
//          [--client-id ID] [--redirect-path /p]... [--title TEXT]
//          [--device-ttl S] [--device-interval S] [--device-slow-down N]
//          [--exit-on-stdin-close]
//
// The device authorization grant (RFC 8628) is on: its verification page is
// /device. --device-interval is the polling interval the server announces
// (and enforces with slow_down), --device-slow-down answers the first N
// polls of each device code with slow_down whatever their timing, and
// GET /test/stats returns {"device_polls":N,"slow_downs":N,"device_grants":N}:
// token requests with a device code, the slow_down answers among them, and
// those that got tokens.
//
// Once listening it prints exactly one line to stdout,
// {"issuer":"http://127.0.0.1:PORT"}, and logs only to stderr. Logs never
// contain tokens, codes, secrets or query strings.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';

import Provider from 'oidc-provider';

const SECRET = 'test-secret';
const SCOPE_TEXT = {
  openid: 'Confirm who you are',
  profile: 'Your name, picture and profile page',
  email: 'Your email address',
  offline_access: 'Stay connected while you are away (refresh tokens)',
};

// Accounts. Passwords equal the login: this server is for tests only.
const USERS = {
  demo: { name: 'Dana Demo', email: 'demo@example.test', colour: [0x1e, 0x6f, 0xd9] },
  alice: { name: 'Alice Example', email: 'alice@example.test', colour: [0xc2, 0x41, 0x0c] },
};

function log(...parts) {
  process.stderr.write(`authserver: ${parts.join(' ')}\n`);
}

function fail(msg) {
  log(msg);
  process.exit(2);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'access-ttl': { type: 'string', default: '3600' },
      'refresh-ttl': { type: 'string', default: String(14 * 24 * 3600) },
      'client-id': { type: 'string', default: 'keyport-test' },
      'redirect-path': { type: 'string', multiple: true, default: ['/callback/local'] },
      title: { type: 'string', default: 'Keyport test sign-in' },
      'device-ttl': { type: 'string', default: '600' },
      'device-interval': { type: 'string', default: '5' },
      'device-slow-down': { type: 'string', default: '0' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`);
    return n;
  };
  const paths = values['redirect-path'].flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  for (const p of paths) {
    if (!p.startsWith('/')) fail(`--redirect-path ${JSON.stringify(p)} must start with "/"`);
  }
  return {
    port: int('port', 0),
    accessTTL: int('access-ttl', 1),
    refreshTTL: int('refresh-ttl', 1),
    clientID: values['client-id'],
    redirectPaths: paths,
    title: values.title,
    deviceTTL: int('device-ttl', 1),
    deviceInterval: int('device-interval', 1),
    deviceSlowDown: int('device-slow-down', 0),
    exitOnStdinClose: values['exit-on-stdin-close'],
  };
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, heading, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(heading)} – ${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#111;background:#fff}
label{display:block;margin-top:1rem;font-weight:600}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.25rem;padding:.5rem 1.25rem;font-size:1rem}
.error{color:#a00000;border:1px solid #a00000;padding:.5rem}
.title{color:#444}
form.inline{display:inline}
</style>
</head>
<body>
<main>
<p class="title">${esc(title)}</p>
<h1>${esc(heading)}</h1>
${body}
</main>
</body>
</html>
`;
}

function loginPage(title, uid, clientName, error) {
  const err = error ? `<p class="error" role="alert" id="error">${esc(error)}</p>\n` : '';
  return page(title, 'Sign in', `<p>to continue to ${esc(clientName)}</p>
${err}<form method="post" action="/interaction/${esc(uid)}/login">
<label for="login">Username</label>
<input id="login" name="login" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="signin" type="submit">Sign in</button>
</form>`);
}

function consentPage(title, uid, clientName, login, scopes) {
  const items = scopes.map((s) => `<li><strong>${esc(s)}</strong>: ${esc(SCOPE_TEXT[s] || s)}</li>`).join('\n');
  return page(title, 'Allow access?', `<p>Signed in as <strong>${esc(login)}</strong>.</p>
<p>${esc(clientName)} asks for:</p>
<ul id="scopes">
${items || '<li>Basic access</li>'}
</ul>
<form class="inline" method="post" action="/interaction/${esc(uid)}/confirm"><button id="allow" type="submit">Allow</button></form>
<form class="inline" method="post" action="/interaction/${esc(uid)}/abort"><button id="deny" type="submit">Deny</button></form>`);
}

// A solid-colour PNG, so profile pictures are real images without any files.
function avatarPNG([r, g, b], size = 64) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x += 1) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array(size).fill(row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, type, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

function newProvider(issuer, opts) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  const redirectURIs = opts.redirectPaths.map((p) => `http://127.0.0.1${p}`);
  const userClient = (clientId, method, name) => ({
    client_id: clientId,
    client_name: name,
    // Native: RFC 8252 §7.3, any loopback port, but the path must match.
    application_type: 'native',
    token_endpoint_auth_method: method,
    ...(method === 'none' ? {} : { client_secret: SECRET }),
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: redirectURIs,
  });

  return new Provider(issuer, {
    clients: [
      userClient(opts.clientID, 'none', 'Keyport (test)'),
      userClient(`${opts.clientID}-secret`, 'client_secret_basic', 'Keyport (test, client_secret_basic)'),
      userClient(`${opts.clientID}-post`, 'client_secret_post', 'Keyport (test, client_secret_post)'),
      {
        // A resource server: it may only call introspection.
        client_id: 'introspector',
        client_secret: 'introspector-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'picture', 'profile'],
      email: ['email', 'email_verified'],
    },
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientId === 'introspector' || token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        // Pages with ids the tests find: the code form (Continue), the
        // confirmation (Allow, Deny) and the end.
        async userCodeInputSource(ctx, form, out, err) {
          if (err && err.name === 'AbortedError') {
            ctx.body = page(opts.title, 'Sign-in denied', '<p id="device-denied">You denied the sign-in. You can return to the app.</p>');
            return;
          }
          const msg = err ? `<p class="error" role="alert" id="error">${err.userCode || err.name === 'NoCodeError' ? 'The code you entered is incorrect. Try again.' : 'The sign-in did not work. Start again from the app.'}</p>` : '<p>Enter the code the app shows.</p>';
          ctx.body = page(opts.title, 'Enter your code', `${msg}\n${form.replace('</form>', '<button id="continue" type="submit">Continue</button></form>')}`);
        },
        async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
          const buttons = '<button id="allow" type="submit">Allow</button> <button id="deny" type="submit" name="abort" value="yes">Deny</button></form>';
          ctx.body = page(opts.title, 'Confirm the code', `<p>${esc(client.clientName || client.clientId)} shows the code <code id="user-code">${esc(userCode)}</code>.</p>\n${form.replace('</form>', buttons)}`);
        },
        async successSource(ctx) {
          ctx.body = page(opts.title, 'Signed in', '<p id="device-done">You can return to the app.</p>');
        },
      },
      rpInitiatedLogout: { enabled: false },
    },
    // Every client allowed the refresh_token grant gets a refresh token,
    // with or without offline_access; tokens outlive the browser session.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    ttl: {
      AccessToken: opts.accessTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: opts.refreshTTL,
      DeviceCode: opts.deviceTTL,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const user = USERS[sub];
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            name: user.name,
            email: user.email,
            email_verified: true,
            picture: `${issuer}/avatars/${sub}.png`,
            profile: `${issuer}/people/${sub}`,
          };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      const rows = Object.entries(out).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n');
      ctx.body = page(opts.title, 'Something went wrong', `<dl id="error">\n${rows}\n</dl>`);
    },
  });
}

async function interaction(provider, opts, req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const client = await provider.Client.find(params.client_id);
  const clientName = client?.clientName || params.client_id;

  if (req.method === 'GET' && action === '') {
    if (prompt.name === 'login') {
      return send(res, 200, 'text/html; charset=utf-8', loginPage(opts.title, uid, clientName));
    }
    const scopes = String(params.scope || '').split(' ').filter(Boolean);
    return send(res, 200, 'text/html; charset=utf-8', consentPage(opts.title, uid, clientName, details.session?.accountId, scopes));
  }
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed\n');

  const form = await readForm(req);
  switch (action) {
    case 'login': {
      if (prompt.name !== 'login') return send(res, 400, 'text/plain', 'not a login prompt\n');
      const login = form.get('login') || '';
      if (!Object.hasOwn(USERS, login) || form.get('password') !== login) {
        return send(res, 401, 'text/html; charset=utf-8', loginPage(opts.title, uid, clientName, 'Wrong username or password.'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    case 'confirm': {
      if (prompt.name !== 'consent') return send(res, 400, 'text/plain', 'not a consent prompt\n');
      const { accountId } = details.session;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    }
    case 'abort':
      return provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'The user denied the request.',
      }, { mergeWithLastSubmission: false });
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

const stats = { device_polls: 0, slow_downs: 0, device_grants: 0 };

async function main() {
  const opts = parseOptions();
  let provider;
  let handle;

  const server = createServer((req, res) => {
    const started = Date.now();
    const path = (req.url || '/').split('?')[0];
    res.on('finish', () => log(req.method, path, res.statusCode, `${Date.now() - started}ms`));

    if (!handle) {
      send(res, 503, 'text/plain', 'starting\n');
      return;
    }
    const m = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(path);
    if (m) {
      interaction(provider, opts, req, res, m[2] || '').catch((err) => {
        const text = [err.message, err.error_description].filter(Boolean).join(': ');
        log('interaction error:', err.name, text);
        if (!res.headersSent) {
          const body = `<p id="error">${esc(text)}</p>\n<p>Start again from the app.</p>`;
          send(res, 400, 'text/html; charset=utf-8', page(opts.title, 'Something went wrong', body));
        }
      });
      return;
    }
    if (path === '/test/stats') {
      send(res, 200, 'application/json', JSON.stringify(stats));
      return;
    }
    const avatar = /^\/avatars\/(\w+)\.png$/.exec(path);
    if (avatar && Object.hasOwn(USERS, avatar[1])) {
      send(res, 200, 'image/png', avatarPNG(USERS[avatar[1]].colour));
      return;
    }
    const person = /^\/people\/(\w+)$/.exec(path);
    if (person && Object.hasOwn(USERS, person[1])) {
      const u = USERS[person[1]];
      send(res, 200, 'text/html; charset=utf-8', page(opts.title, u.name, `<p>${esc(u.email)}</p>`));
      return;
    }
    handle(req, res);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = newProvider(issuer, opts);
  provider.on('server_error', (ctx, err) => log('server error:', err.stack || err));
  for (const event of ['authorization.error', 'grant.error', 'introspection.error', 'revocation.error', 'userinfo.error']) {
    provider.on(event, (ctx, err) => log(`${event}:`, err.error || err.name, err.error_description || ''));
  }
  // The device grant's interval, and slow_down for polls that come too
  // soon (RFC 8628 section 3.5) or for the first --device-slow-down polls.
  const polls = new Map(); // device_code → { last, n }
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body?.device_code) {
      ctx.body.interval = opts.deviceInterval;
    }
    const code = ctx.path === '/token' && ctx.oidc?.params?.device_code;
    if (!code) return;
    stats.device_polls += 1;
    if (ctx.status === 200 && ctx.body?.access_token) stats.device_grants += 1;
    const now = Date.now();
    const p = polls.get(code) || { last: 0, n: 0 };
    p.n += 1;
    const early = p.last && now - p.last < opts.deviceInterval * 1000 - 250;
    p.last = now;
    polls.set(code, p);
    if (ctx.body?.error === 'authorization_pending' && (early || p.n <= opts.deviceSlowDown)) {
      stats.slow_downs += 1;
      ctx.body = { error: 'slow_down', error_description: 'polling too quickly' };
    }
  });
  handle = provider.callback();

  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (opts.exitOnStdinClose) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin error'));
    process.stdin.resume();
  }

  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  log(`listening, clients ${opts.clientID}{,-secret,-post} and introspector, redirect paths ${opts.redirectPaths.join(', ')}`);
}

main().catch((err) => {
  log('fatal:', err.stack || err);
  process.exit(1);
});
