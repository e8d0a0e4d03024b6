// Diffs for the conversation view, from hunks in the shape of the CLI's `structuredPatch` (the server's
// `proposedEdit.hunks` have the same shape): rows with line numbers, a new file's text as one all-added hunk, the
// change a tool's `tool_use_result` reports, and the notes for a change that is named but not shown. Pure: runs in
// the webview (window.claudeDiff) and under Node for test/diff.test.mjs.
(function (root) {
  'use strict';

  /**
   * The rows of a unified diff: per hunk a `hunk` header row, then `context`, `del`, `add` rows with the old and new
   * line numbers they stand on, and `meta` for "\ No newline at end of file". Lines are shown without their marker.
   */
  function diffRows(hunks) {
    const rows = [];
    for (const hunk of Array.isArray(hunks) ? hunks : []) {
      if (!hunk || !Array.isArray(hunk.lines)) continue;
      let oldNo = Number(hunk.oldStart) || 0;
      let newNo = Number(hunk.newStart) || 0;
      // A hunk's start is the line before the first one when it has no lines on that side (a new file: oldStart 0).
      if (!hunk.oldLines) oldNo++;
      if (!hunk.newLines) newNo++;
      rows.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
      for (const line of hunk.lines) {
        if (typeof line !== 'string') continue;
        const marker = line[0];
        const text = line.slice(1);
        if (marker === '+') rows.push({ kind: 'add', newNo: newNo++, text });
        else if (marker === '-') rows.push({ kind: 'del', oldNo: oldNo++, text });
        else if (marker === '\\') rows.push({ kind: 'meta', text: line.slice(2) || line });
        else rows.push({ kind: 'context', oldNo: oldNo++, newNo: newNo++, text });
      }
    }
    return rows;
  }

  /** A new file's text as the one hunk that adds every line (as the server and the CLI give it). */
  function addedHunks(text) {
    if (typeof text !== 'string' || text === '') return [];
    const lines = text.split('\n');
    const endsWithNewline = lines[lines.length - 1] === '';
    if (endsWithNewline) lines.pop();
    const out = lines.map((l) => `+${l}`);
    if (!endsWithNewline) out.push('\\ No newline at end of file');
    return [{ oldStart: 0, oldLines: 0, newStart: 1, newLines: lines.length, lines: out }];
  }

  /**
   * The change a file tool reports it applied (`tool_use_result` in the stream, `toolUseResult` in a transcript):
   * `{path, hunks, created}`, or null when the record holds none (another tool, a failed call, a string result).
   * A Write that made a file may come with no `structuredPatch`: its `content` is then all added.
   */
  function appliedEdit(result) {
    if (!result || typeof result !== 'object' || typeof result.filePath !== 'string') return null;
    const created = result.type === 'create';
    let hunks = Array.isArray(result.structuredPatch) ? result.structuredPatch : [];
    if (!hunks.length && created) hunks = addedHunks(result.content);
    if (!hunks.length) return null;
    return { path: result.filePath, hunks, created };
  }

  const UNSHOWN = {
    outside_workspace: 'outside the workspace — not shown',
    symlink: 'a symbolic link — not shown',
    too_large: 'too large to show (over 1 MiB)',
    binary: 'not a text file — not shown',
    unreadable: 'cannot be read — not shown',
    does_not_apply: 'the change does not apply to the file as it is now — not shown',
  };

  /** Why a proposed change is named but not shown, in words. */
  function unshownNote(reason) {
    return UNSHOWN[reason] || `not shown (${reason})`;
  }

  /** `+3 −1`: how many lines a diff adds and removes. */
  function diffStat(hunks) {
    let added = 0;
    let removed = 0;
    for (const row of diffRows(hunks)) {
      if (row.kind === 'add') added++;
      else if (row.kind === 'del') removed++;
    }
    return { added, removed };
  }

  root.claudeDiff = { diffRows, addedHunks, appliedEdit, unshownNote, diffStat };
})(typeof module !== 'undefined' && module.exports ? module.exports : window);
