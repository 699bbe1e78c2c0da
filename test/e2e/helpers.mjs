// Helpers of Keyport's end-to-end test (test/e2e/run.sh), so that the shell
// script needs neither curl nor jq:
//
//   node helpers.mjs find IMG ANCHOR [TARGET]   print "X Y", where to click
//   node helpers.mjs text IMG                   print the text OCR reads
//   node helpers.mjs has IMG PHRASE...          exit 0 if OCR reads every PHRASE
//   node helpers.mjs json EXPR < FILE           print a value of a JSON document
//   node helpers.mjs secret NAME                print a Keyport keychain item (JSON)
//   node helpers.mjs http METHOD URL [--bearer TOKEN] [--basic USER:PASS] [--form K=V]...
//                                               print "STATUS BODY"
//
// Reading the screen: the window is found by its words, not by coordinates,
// so the test keeps working when the layout changes. tesseract reads the
// screenshot, enlarged, three times (see ocr) and the words of all three
// are used. `find` looks for the ANCHOR phrase ("Local demo") and returns the
// centre of the TARGET word ("Connect") on the same row nearest to it, or of
// the anchor itself when there is no target.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SCALE = 2;

function die(msg, code = 1) {
  process.stderr.write(`helpers: ${msg}\n`);
  process.exit(code);
}

// --- reading the screen ---------------------------------------------------

const norm = (s) => s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]/g, '');

function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) d[0][j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

// A word matches a token exactly, or with one slip when the token is long
// enough that one slip cannot make it another word of the window.
const matches = (word, token) => word === token || (token.length >= 6 && distance(word, token) <= 1);

const run = promisify(execFile);

async function ocrVariant(img, args, dir, name) {
  const pre = join(dir, `${name}.png`);
  await run('convert', [img, '-colorspace', 'gray', '-resize', `${SCALE * 100}%`, ...args, pre]);
  // One thread each: the three readings run side by side already.
  const { stdout: tsv } = await run('tesseract', [pre, '-', '--psm', '11', 'tsv'],
    { maxBuffer: 16 << 20, env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
  const words = [];
  for (const row of tsv.split('\n').slice(1)) {
    const f = row.split('\t');
    if (f.length < 12 || !f[11].trim() || Number(f[10]) < 0) continue;
    const [left, top, width, height] = f.slice(6, 10).map((n) => Number(n) / SCALE);
    words.push({
      text: f[11], n: norm(f[11]), left, top, width, height, conf: Number(f[10]),
      line: `${name}/${f[2]}/${f[3]}/${f[4]}`,
    });
  }
  return words;
}

// The variants run side by side; each finds text the others miss.
async function ocr(img) {
  if (!existsSync(img)) die(`no image ${img}`);
  // Under the artifact directory, so that nothing is left elsewhere if killed.
  const dir = mkdtempSync(join(process.env.E2E_DIR || tmpdir(), 'ocr-'));
  try {
    const variants = await Promise.all([
      // White text on coloured buttons and light labels become black on white.
      ocrVariant(img, ['-threshold', '60%', '-negate'], dir, 'light'),
      // Text of any colour that is lighter than its surroundings (red
      // error text on the dark background), by a local threshold.
      ocrVariant(img, ['-lat', '30x30+10%', '-negate'], dir, 'lighter'),
      // Dark text on a light background (the light red Disconnect button,
      // ui/theme.go): a global threshold, which a local one misses there.
      ocrVariant(img, ['-threshold', '50%'], dir, 'darker'),
    ]);
    return variants.flat();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lines(words) {
  const by = new Map();
  for (const w of words) {
    if (!w.n) continue;
    if (!by.has(w.line)) by.set(w.line, []);
    by.get(w.line).push(w);
  }
  return [...by.values()];
}

// Every place where the phrase's words follow each other on one OCR line,
// as a box.
function findPhrase(words, phrase) {
  const tokens = phrase.split(/\s+/).map(norm).filter(Boolean);
  const hits = [];
  for (const line of lines(words)) {
    for (let i = 0; i + tokens.length <= line.length; i += 1) {
      const seq = line.slice(i, i + tokens.length);
      if (seq.every((w, k) => matches(w.n, tokens[k]))) {
        const left = Math.min(...seq.map((w) => w.left));
        const top = Math.min(...seq.map((w) => w.top));
        const right = Math.max(...seq.map((w) => w.left + w.width));
        const bottom = Math.max(...seq.map((w) => w.top + w.height));
        hits.push({ left, top, right, bottom, conf: Math.min(...seq.map((w) => w.conf)) });
      }
    }
  }
  return hits.sort((a, b) => b.conf - a.conf);
}

// allText is what each reading found, line by line, for error messages.
function allText(words) {
  const out = [];
  for (const variant of ['light', 'lighter', 'darker']) {
    out.push(`[${variant}]`);
    for (const l of lines(words.filter((w) => w.line.startsWith(`${variant}/`)))) out.push(l.map((w) => w.text).join(' '));
  }
  return out.join('\n');
}

async function find(img, anchor, target) {
  const words = await ocr(img);
  const anchors = findPhrase(words, anchor);
  if (!anchors.length) die(`"${anchor}" not found in ${img}; OCR read:\n${allText(words)}`);
  const centre = (b) => [(b.left + b.right) / 2, (b.top + b.bottom) / 2];
  if (!target) return centre(anchors[0]);
  // The anchor may appear more than once ("Local demo" is a provider row,
  // but also an account's detail line): take the target nearest to any of
  // them, on the same row.
  const targets = findPhrase(words, target);
  const candidates = [];
  for (const a of anchors) {
    const ay = (a.top + a.bottom) / 2;
    const rowTolerance = 3 * (a.bottom - a.top) + 8;
    for (const t of targets) {
      const apart = t.right < a.left || t.left > a.right || t.bottom < a.top || t.top > a.bottom;
      const dy = Math.abs((t.top + t.bottom) / 2 - ay);
      const dx = Math.min(Math.abs(t.left - a.right), Math.abs(a.left - t.right));
      if (apart && dy <= rowTolerance) candidates.push({ t, dy, dx });
    }
  }
  if (!candidates.length) die(`no "${target}" on the row of "${anchor}" in ${img}; OCR read:\n${allText(words)}`);
  candidates.sort((x, y) => x.dy - y.dy || x.dx - y.dx);
  return centre(candidates[0].t);
}

// --- JSON, keychain, HTTP ---------------------------------------------------

function jsonValue(expr) {
  let v = JSON.parse(readFileSync(0, 'utf8'));
  for (const part of expr.split('.').filter(Boolean)) {
    if (part === 'length') v = v?.length;
    else v = v?.[part];
  }
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// Keyport keeps a value as {"v":1,"data":BASE64} or, when large, as
// {"v":1,"gen":G,"n":N} with the base64 text in items NAME#G#0..N-1.
function secret(name) {
  const service = process.env.KEYPORT_KEYRING_SERVICE;
  const lookup = (user) => execFileSync('secret-tool', ['lookup', 'service', service, 'username', user],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  let head;
  try {
    head = JSON.parse(lookup(name));
  } catch {
    die(`no keychain item ${name} in service ${service}`);
  }
  let data = head.data || '';
  for (let i = 0; i < (head.n || 0); i += 1) data += lookup(`${name}#${head.gen}#${i}`);
  return Buffer.from(data, 'base64').toString('utf8');
}

async function http(method, url, opts) {
  const headers = {};
  let body;
  for (let i = 0; i < opts.length; i += 2) {
    const [flag, value] = [opts[i], opts[i + 1]];
    if (value === undefined) die(`${flag} needs a value`, 2);
    if (flag === '--bearer') headers.Authorization = `Bearer ${value}`;
    else if (flag === '--basic') headers.Authorization = `Basic ${Buffer.from(value).toString('base64')}`;
    else if (flag === '--form') {
      body ??= new URLSearchParams();
      const eq = value.indexOf('=');
      body.append(value.slice(0, eq), value.slice(eq + 1));
    } else die(`unknown option ${flag}`, 2);
  }
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  return `${res.status} ${(await res.text()).replace(/\s+/g, ' ').trim()}`;
}

// --- command line -----------------------------------------------------------

const [cmd, ...args] = process.argv.slice(2);
switch (cmd) {
  case 'find': {
    const [x, y] = await find(args[0], args[1], args[2]);
    console.log(`${Math.round(x)} ${Math.round(y)}`);
    break;
  }
  case 'text':
    console.log(allText(await ocr(args[0])));
    break;
  case 'has': {
    const words = await ocr(args[0]);
    // Across lines too, for text that wraps.
    const flat = ` ${words.filter((w) => w.n).map((w) => w.n).join(' ')} `;
    const has = (phrase) => findPhrase(words, phrase).length > 0
      || flat.includes(` ${phrase.split(/\s+/).map(norm).filter(Boolean).join(' ')} `);
    process.exit(args.slice(1).every(has) ? 0 : 1);
    break;
  }
  case 'json':
    console.log(jsonValue(args[0] || ''));
    break;
  case 'secret':
    console.log(secret(args[0]));
    break;
  case 'http':
    console.log(await http(args[0], args[1], args.slice(2)));
    break;
  default:
    die('usage: node helpers.mjs find|text|has|json|secret|http ...', 2);
}
