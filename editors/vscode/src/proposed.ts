// A proposed edit in VS Code's own diff editor: the file as it is on the left (an empty read-only document for a
// new file), the server's `proposedEdit.newText` on the right as a read-only `claude-proposed:` document (no temp
// files). The diff editor's title bar has Allow and Deny (package.json: editor/title, when the resource is of this
// scheme); they answer the same pending question as the view's buttons, and the tab closes once it is answered.
import * as path from 'path';
import * as vscode from 'vscode';
import { ProposedEdit } from './protocol';

export const PROPOSED_SCHEME = 'claude-proposed';

interface Pending {
  toolName: string;
  edit: ProposedEdit;
  answer(allow: boolean): void;
}

export class ProposedEdits implements vscode.TextDocumentContentProvider {
  private readonly pending = new Map<number, Pending>();

  /** A question whose change can be shown (not `unshown`); `answer` is the view's. */
  add(id: number, toolName: string, edit: ProposedEdit, answer: (allow: boolean) => void): void {
    this.pending.set(id, { toolName, edit, answer });
  }

  /** The question is answered or withdrawn: its diff editor tabs close. */
  async forget(id: number): Promise<void> {
    if (!this.pending.delete(id)) return;
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => this.questionOfTab(tab) === id);
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = questionOf(uri);
    const edit = id === undefined ? undefined : this.pending.get(id)?.edit;
    if (!edit) return '';
    return new URLSearchParams(uri.query).get('side') === 'old' ? edit.oldText ?? '' : edit.newText ?? '';
  }

  /** Opens the diff editor of question `id`. */
  async open(id: number): Promise<void> {
    const question = this.pending.get(id);
    if (!question) {
      void vscode.window.showWarningMessage('Claude Sessions: this question has been answered already.');
      return;
    }
    const { edit, toolName } = question;
    const file = vscode.Uri.file(edit.path);
    const virtual = (side: 'old' | 'new') => vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: edit.path, query: `id=${id}&side=${side}` });
    // A notebook cell's texts are the cell's source, not the file: both sides virtual then.
    const left = edit.oldText == null || edit.notebookCell ? virtual('old') : file;
    const name = path.basename(edit.path);
    const title = `${name}${edit.oldText == null ? ' (new file)' : ''} ↔ proposed by Claude (${toolName})`;
    await vscode.commands.executeCommand('vscode.diff', left, virtual('new'), title, {
      preview: false,
      viewColumn: vscode.ViewColumn.Beside, // the conversation, with its Allow and Deny, stays in sight
      selection: edit.line ? new vscode.Range(edit.line - 1, 0, edit.line - 1, 0) : undefined,
    } satisfies vscode.TextDocumentShowOptions);
  }

  /**
   * Allow or Deny from the diff editor's title bar: `uri` is the editor's resource (the proposed side), else the
   * active tab's. False when no pending question is open there.
   */
  answer(uri: vscode.Uri | undefined, allow: boolean): boolean {
    let id = uri instanceof vscode.Uri ? questionOf(uri) : undefined;
    if (id === undefined) {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      id = tab ? this.questionOfTab(tab) : undefined;
    }
    const question = id === undefined ? undefined : this.pending.get(id);
    if (!question) return false;
    question.answer(allow); // the view closes the card, and forget() the tab
    return true;
  }

  private questionOfTab(tab: vscode.Tab): number | undefined {
    const input = tab.input;
    if (input instanceof vscode.TabInputTextDiff) return questionOf(input.modified) ?? questionOf(input.original);
    if (input instanceof vscode.TabInputText) return questionOf(input.uri);
    return undefined;
  }
}

function questionOf(uri: vscode.Uri): number | undefined {
  if (uri.scheme !== PROPOSED_SCHEME) return undefined;
  const id = Number(new URLSearchParams(uri.query).get('id'));
  return Number.isInteger(id) && id > 0 ? id : undefined;
}
