// The conversation view's diff helpers (media/diff.js), under plain Node: rows from structuredPatch hunks, a new
// file as one added hunk, the change a tool's record reports, and the notes of a change that is not shown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { diffRows, addedHunks, appliedEdit, unshownNote, diffStat } = createRequire(import.meta.url)('../media/diff.js').claudeDiff;

// The Edit example of stdio-protocol.md ("The proposed change").
const EDIT_HUNK = { oldStart: 2, oldLines: 7, newStart: 2, newLines: 7, lines: [' line2', ' line3', ' line4', '-line5', '+LINE FIVE', ' line6', ' line7', ' line8'] };

describe('diffRows', () => {
  test('context, removed and added lines with the line numbers of each side', () => {
    const rows = diffRows([EDIT_HUNK]);
    assert.deepEqual(rows[0], { kind: 'hunk', text: '@@ -2,7 +2,7 @@' });
    assert.deepEqual(rows.slice(1), [
      { kind: 'context', oldNo: 2, newNo: 2, text: 'line2' },
      { kind: 'context', oldNo: 3, newNo: 3, text: 'line3' },
      { kind: 'context', oldNo: 4, newNo: 4, text: 'line4' },
      { kind: 'del', oldNo: 5, text: 'line5' },
      { kind: 'add', newNo: 5, text: 'LINE FIVE' },
      { kind: 'context', oldNo: 6, newNo: 6, text: 'line6' },
      { kind: 'context', oldNo: 7, newNo: 7, text: 'line7' },
      { kind: 'context', oldNo: 8, newNo: 8, text: 'line8' },
    ]);
  });

  test('several hunks, uneven sides, and the no-newline marker', () => {
    const rows = diffRows([
      { oldStart: 1, oldLines: 2, newStart: 1, newLines: 3, lines: [' a', '+b', '+c', '-d'] },
      { oldStart: 20, oldLines: 1, newStart: 21, newLines: 1, lines: ['-old', '\\ No newline at end of file', '+new', '\\ No newline at end of file'] },
    ]);
    assert.deepEqual(rows.map((r) => [r.kind, r.oldNo, r.newNo, r.text]), [
      ['hunk', undefined, undefined, '@@ -1,2 +1,3 @@'],
      ['context', 1, 1, 'a'],
      ['add', undefined, 2, 'b'],
      ['add', undefined, 3, 'c'],
      ['del', 2, undefined, 'd'],
      ['hunk', undefined, undefined, '@@ -20,1 +21,1 @@'],
      ['del', 20, undefined, 'old'],
      ['meta', undefined, undefined, 'No newline at end of file'],
      ['add', undefined, 21, 'new'],
      ['meta', undefined, undefined, 'No newline at end of file'],
    ]);
  });

  test('a line that is itself empty or starts with a marker keeps its text', () => {
    const rows = diffRows([{ oldStart: 1, oldLines: 2, newStart: 1, newLines: 2, lines: [' ', '--x', '+-x', ' +'] }]);
    assert.deepEqual(rows.slice(1).map((r) => [r.kind, r.text]), [['context', ''], ['del', '-x'], ['add', '-x'], ['context', '+']]);
  });

  test('nothing usable: no rows', () => {
    assert.deepEqual(diffRows(undefined), []);
    assert.deepEqual(diffRows([null, { lines: 'x' }]), []);
  });
});

describe('a new file', () => {
  test('every line added, numbered from 1; the old side starts at 0', () => {
    const hunks = addedHunks('one\ntwo\n');
    assert.deepEqual(hunks, [{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 2, lines: ['+one', '+two'] }]);
    assert.deepEqual(diffRows(hunks).slice(1), [
      { kind: 'add', newNo: 1, text: 'one' },
      { kind: 'add', newNo: 2, text: 'two' },
    ]);
  });

  test('no newline at the end is marked; an empty file has no hunks', () => {
    assert.deepEqual(addedHunks('written by the fake model')[0].lines, ['+written by the fake model', '\\ No newline at end of file']);
    assert.deepEqual(addedHunks(''), []);
  });
});

describe('appliedEdit: the change a tool_use_result reports', () => {
  test('an Edit: its structuredPatch', () => {
    const result = { filePath: '/w/eight.txt', oldString: 'line5', newString: 'LINE FIVE', originalFile: 'x', structuredPatch: [EDIT_HUNK] };
    assert.deepEqual(appliedEdit(result), { path: '/w/eight.txt', hunks: [EDIT_HUNK], created: false });
  });

  test('a Write that made a file, with no patch: its content, all added', () => {
    const result = { type: 'create', filePath: '/w/new.txt', content: 'a\nb', structuredPatch: [] };
    assert.deepEqual(appliedEdit(result), { path: '/w/new.txt', hunks: addedHunks('a\nb'), created: true });
  });

  test('no file change: null', () => {
    assert.equal(appliedEdit(undefined), null);
    assert.equal(appliedEdit('Error: denied'), null);
    assert.equal(appliedEdit({ stdout: 'hi', stderr: '' }), null); // Bash
    assert.equal(appliedEdit({ type: 'update', filePath: '/w/a', content: 'same', structuredPatch: [] }), null);
  });

  test('diffStat counts added and removed lines', () => {
    assert.deepEqual(diffStat([EDIT_HUNK]), { added: 1, removed: 1 });
    assert.deepEqual(diffStat(addedHunks('1\n2\n3\n')), { added: 3, removed: 0 });
  });
});

test('a change named but not shown says why, in words', () => {
  assert.equal(unshownNote('outside_workspace'), 'outside the workspace — not shown');
  assert.equal(unshownNote('too_large'), 'too large to show (over 1 MiB)');
  assert.equal(unshownNote('something_new'), 'not shown (something_new)');
});
