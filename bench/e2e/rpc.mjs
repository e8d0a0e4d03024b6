// A small JSON-RPC client over a child's stdio (newline framing), timing each request.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

export class RpcProcess {
  constructor(command, args, options = {}) {
    this.startedAt = performance.now();
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.pending = new Map();
    this.nextId = 1;
    this.stderr = '';
    /** Called with each notification and the time it arrived, when set. */
    this.onNotification = null;
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.id !== undefined && this.pending.has(message.id) && (message.result !== undefined || message.error !== undefined)) {
        const { resolve, reject, sentAt } = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) reject(new Error(`${JSON.stringify(message.error)}\n${this.stderr}`));
        else resolve({ result: message.result, ms: performance.now() - sentAt, at: performance.now() });
      } else if (message.method !== undefined && this.onNotification) {
        this.onNotification(message, performance.now());
      }
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  request(method, params) {
    const id = this.nextId++;
    const sentAt = performance.now();
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, sentAt }));
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return answer;
  }

  notify(method, params) {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  }

  async close() {
    try { await this.request('shutdown'); } catch { /* already gone */ }
    this.notify('exit');
    this.child.stdin.end();
    return this.exited;
  }

  /** Resident set size (KiB) now, from /proc. */
  rssKiB() {
    return readStatus(this.child.pid, 'VmRSS');
  }

  peakRssKiB() {
    return readStatus(this.child.pid, 'VmHWM');
  }
}

import fs from 'node:fs';
function readStatus(pid, field) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field + ':'));
  return Number(line.split(/\s+/)[1]);
}

export const median = (values) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
/** The nearest-rank percentile (p in 0..100): the smallest value at least p% of the values do not exceed. */
export const percentile = (values, p) => { const s = [...values].sort((a, b) => a - b); return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]; };
