// PgSessionStore: the Agent SDK's alpha SessionStore (@anthropic-ai/claude-agent-sdk 0.3.x) over the server's
// PostgreSQL store, tables sidecar_transcript_entries / sidecar_sessions as docs/postgres-store.md defines them.
// The server creates the tables; this adapter never does.
//
// SessionKey -> row: projectKey -> project_key, sessionId -> session_id, subpath (undefined for the main transcript)
// -> subpath ('' for the main transcript). Entries are stored verbatim as `json` (JSON.stringify), one row a line.
//
// Subagent metadata: the CLI mirrors a subagent's `.meta.json` as an entry {type:"agent_metadata", ...meta} of the
// subagent's transcript key, and the SDK's resume writes the last such entry back as `<subpath>.meta.json`. The doc
// keeps that file as one entry (the file's object) under the subpath `<subpath>.meta.json`; this adapter translates
// both ways, so the SDK never sees a `.meta.json` subkey and the server never sees an `agent_metadata` line.
import pg from 'pg';

const META = '.meta.json';
const LOCK = "hashtextextended('claude-session-sidecar:' || $1, 0)";
const isMeta = (e) => e?.type === 'agent_metadata';

export class PgSessionStore {
  /** @param {pg.Pool | string} poolOrConnectionString */
  constructor(poolOrConnectionString) {
    this.pool = typeof poolOrConnectionString === 'string'
      ? new pg.Pool({ connectionString: poolOrConnectionString })
      : poolOrConnectionString;
  }

  close() {
    return this.pool.end();
  }

  /** Runs fn(client) in one transaction on one client while holding the session's advisory lock. */
  async #locked(sessionId, fn) {
    const client = await this.pool.connect();
    let locked = false, broken = false;
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_lock(${LOCK})`, [sessionId]);
      locked = true;
      const changed = await fn(client);
      if (changed)
        await client.query('UPDATE sidecar_sessions SET transcript_version = transcript_version + 1 WHERE session_id = $1', [sessionId]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => { broken = true; });
      throw e;
    } finally {
      // A session-level advisory lock survives COMMIT/ROLLBACK: release it, or drop the connection that holds it.
      if (locked) await client.query(`SELECT pg_advisory_unlock(${LOCK})`, [sessionId]).catch(() => { broken = true; });
      client.release(broken);
    }
  }

  async append(key, entries) {
    if (!entries?.length) return;
    const subpath = key.subpath ?? '';
    const meta = subpath ? entries.filter(isMeta).at(-1) : undefined;
    const lines = meta ? entries.filter((e) => !isMeta(e)) : entries;
    await this.#locked(key.sessionId, async (client) => {
      let changed = false;
      if (meta) {
        const { type, ...file } = meta;
        const metaKey = [key.projectKey, key.sessionId, subpath + META];
        await client.query('DELETE FROM sidecar_transcript_entries WHERE project_key = $1 AND session_id = $2 AND subpath = $3', metaKey);
        await client.query(
          `INSERT INTO sidecar_transcript_entries (project_key, session_id, subpath, seq, uuid, entry, stored_at_ms)
           VALUES ($1, $2, $3, 1, NULL, $4::json, $5)`, [...metaKey, JSON.stringify(file), Date.now()]);
        changed = true;
      }
      if (!lines.length) return changed;
      const k = [key.projectKey, key.sessionId, subpath];
      const uuidOf = (e) => (typeof e.uuid === 'string' ? e.uuid : null);
      const { rows: [held] } = await client.query(
        `SELECT (SELECT coalesce(max(seq), 0) FROM sidecar_transcript_entries
                  WHERE project_key = $1 AND session_id = $2 AND subpath = $3) AS seq,
                ARRAY(SELECT uuid FROM sidecar_transcript_entries
                  WHERE project_key = $1 AND session_id = $2 AND subpath = $3 AND uuid = ANY($4::text[])) AS uuids`,
        [...k, lines.map(uuidOf).filter(Boolean)]);
      const seen = new Set(held.uuids);
      const fresh = lines.filter((e) => { const u = uuidOf(e); return u === null || (!seen.has(u) && seen.add(u)); });
      if (!fresh.length) return changed;
      await client.query(
        `INSERT INTO sidecar_transcript_entries (project_key, session_id, subpath, seq, uuid, entry, stored_at_ms)
         SELECT $1, $2, $3, $4::bigint + n, u, e::json, $7 FROM unnest($5::text[], $6::text[]) WITH ORDINALITY AS x(u, e, n)`,
        [...k, held.seq, fresh.map(uuidOf), fresh.map((e) => JSON.stringify(e)), Date.now()]);
      return true;
    });
  }

  async load(key) {
    const subpath = key.subpath ?? '';
    const { rows } = await this.pool.query(
      `SELECT subpath, entry FROM sidecar_transcript_entries
        WHERE project_key = $1 AND session_id = $2 AND subpath = ANY($3::text[]) ORDER BY subpath = $4 DESC, seq`,
      [key.projectKey, key.sessionId, subpath ? [subpath, subpath + META] : [''], subpath]);
    if (!rows.length) return null;
    return rows.map((r) => (r.subpath === subpath ? r.entry : { type: 'agent_metadata', ...r.entry }));
  }

  async listSessions(projectKey) {
    const { rows } = await this.pool.query(
      `SELECT session_id, max(stored_at_ms) AS mtime FROM sidecar_transcript_entries
        WHERE project_key = $1 AND subpath = '' GROUP BY session_id`, [projectKey]);
    return rows.map((r) => ({ sessionId: r.session_id, mtime: Number(r.mtime) }));
  }

  async listSubkeys(key) {
    const { rows } = await this.pool.query(
      `SELECT DISTINCT subpath FROM sidecar_transcript_entries
        WHERE project_key = $1 AND session_id = $2 AND subpath <> '' AND subpath NOT LIKE '%.meta.json' ORDER BY subpath`,
      [key.projectKey, key.sessionId]);
    return rows.map((r) => r.subpath);
  }

  /** The main key deletes the whole session's entries (as the SDK's InMemorySessionStore does); a subkey only itself. */
  async delete(key) {
    await this.#locked(key.sessionId, async (client) => {
      const { rowCount } = key.subpath
        ? await client.query(
          'DELETE FROM sidecar_transcript_entries WHERE project_key = $1 AND session_id = $2 AND subpath = ANY($3::text[])',
          [key.projectKey, key.sessionId, [key.subpath, key.subpath + META]])
        : await client.query('DELETE FROM sidecar_transcript_entries WHERE project_key = $1 AND session_id = $2',
          [key.projectKey, key.sessionId]);
      return rowCount > 0;
    });
  }
}
