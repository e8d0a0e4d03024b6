// The conversation view's script (runs in the webview; the extension side is src/conversation.ts).
// It renders what the extension posts: a page of history (session/messages), the stream of a running turn
// (session/message: stream_event text deltas first, then the final assistant message replacing them), tool calls as
// <details> with their input and result (and, for a file tool, the diff it applied), inline permission questions
// (an edit's proposed change as a diff, media/diff.js), and a search match scrolled to and marked (.search-hit; every
// node of a message carries its data-uuid). The header picks the model and permission mode of the next turn; `/` at
// the start of the prompt offers the session's slash commands; Escape stops a running turn. It posts back: ready,
// send, stop, loadEarlier, permission, openDiff, settings. Nothing here reaches the network; all text is escaped
// (markdown.js) or set as textContent.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const renderMarkdown = window.renderMarkdown;
  const { diffRows, appliedEdit, unshownNote, diffStat } = window.claudeDiff;

  const log = document.getElementById('log');
  const earlier = document.getElementById('load-earlier');
  const composer = document.getElementById('composer');
  const prompt = document.getElementById('prompt');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  const turnState = document.getElementById('turn-state');
  const banner = document.getElementById('not-resumable');
  const heading = document.getElementById('heading');
  const modelPicker = document.getElementById('model');
  const modePicker = document.getElementById('permission-mode');
  const commandList = document.getElementById('slash-commands');

  let running = false;
  /** tool_use id → its <details>, so a tool_result finds its call. */
  const tools = new Map();
  /** The assistant message being streamed: {element, blocks: Map<index, {element, text}>}. */
  let streaming = null;
  let renderQueued = false;

  // ---- helpers ------------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function nearBottom() {
    const scroller = document.scrollingElement;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollToBottom() {
    const scroller = document.scrollingElement;
    scroller.scrollTop = scroller.scrollHeight;
  }

  /** Appends to the log, keeping the view at the bottom when it was there. */
  function append(node) {
    const stick = nearBottom();
    log.appendChild(node);
    if (stick) scrollToBottom();
  }

  function contentBlocks(content) {
    if (typeof content === 'string') return [{ type: 'text', text: content }];
    return Array.isArray(content) ? content.filter((b) => b && typeof b === 'object') : [];
  }

  function toolResultText(content) {
    if (content == null) return '';
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((b) => (b && typeof b.text === 'string' ? b.text : b && b.type === 'image' ? '[image]' : '')).join('\n');
    return JSON.stringify(content, null, 2);
  }

  /** What the CLI adds to a prompt for the model, never typed by the person. */
  function isNoise(text) {
    return /^\s*<(system-reminder|local-command-caveat)>/.test(text);
  }

  function briefOfInput(input) {
    if (!input || typeof input !== 'object') return '';
    const v = input.file_path ?? input.path ?? input.command ?? input.pattern ?? input.url ?? input.description;
    return typeof v === 'string' ? v.split('\n')[0].slice(0, 120) : '';
  }

  // ---- rendering ----------------------------------------------------------------------------------------------

  function userBubble(text) {
    const item = el('div', 'msg user');
    item.appendChild(el('div', 'who', 'You'));
    const body = el('div', 'body');
    body.textContent = text; // a prompt is shown as typed
    item.appendChild(body);
    return item;
  }

  function assistantItem() {
    const item = el('div', 'msg assistant');
    item.appendChild(el('div', 'who', 'Claude'));
    return item;
  }

  function markdownBlock(text) {
    const body = el('div', 'body markdown');
    body.innerHTML = renderMarkdown(text); // escaped by renderMarkdown
    return body;
  }

  /** A diff as a table: old and new line numbers, a +/- marker and the line; removed and added lines in the theme's diff colours. */
  function diffTable(hunks) {
    const table = el('table', 'diff');
    table.setAttribute('role', 'table');
    const body = el('tbody');
    for (const row of diffRows(hunks)) {
      const tr = el('tr', `diff-${row.kind}`);
      if (row.kind === 'hunk' || row.kind === 'meta') {
        const cell = el('td', 'diff-note', row.text);
        cell.colSpan = 4;
        tr.appendChild(cell);
      } else {
        tr.appendChild(el('td', 'ln old', row.oldNo != null ? String(row.oldNo) : ''));
        tr.appendChild(el('td', 'ln new', row.newNo != null ? String(row.newNo) : ''));
        tr.appendChild(el('td', 'marker', row.kind === 'add' ? '+' : row.kind === 'del' ? '-' : ' '));
        tr.appendChild(el('td', 'text', row.text));
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
    return table;
  }

  /** A file's path and how many lines change: `src/a.ts  +3 −1`. */
  function diffHeader(path, hunks, extra) {
    const header = el('div', 'diff-header');
    header.appendChild(el('code', 'diff-path', path));
    if (hunks) {
      const { added, removed } = diffStat(hunks);
      header.appendChild(el('span', 'diff-stat added', `+${added}`));
      header.appendChild(el('span', 'diff-stat removed', `−${removed}`));
    }
    if (extra) header.appendChild(el('span', 'diff-extra', extra));
    return header;
  }

  function toolItem(block) {
    const details = el('details', 'tool');
    if (block.id) details.dataset.toolUseId = block.id;
    const summary = el('summary');
    summary.appendChild(el('span', 'tool-name', block.name || 'tool'));
    const brief = briefOfInput(block.input);
    if (brief) summary.appendChild(el('span', 'tool-brief', brief));
    summary.appendChild(el('span', 'tool-state', 'running…'));
    details.appendChild(summary);
    details.appendChild(el('div', 'label', 'Input'));
    details.appendChild(el('pre', 'tool-input', JSON.stringify(block.input ?? {}, null, 2)));
    if (block.id) tools.set(block.id, details);
    return details;
  }

  function setToolResult(details, block, toolUseResult) {
    const isError = block.is_error === true;
    const applied = isError ? null : appliedEdit(toolUseResult);
    if (applied && !details.querySelector('.applied')) {
      const section = el('div', 'applied');
      section.appendChild(el('div', 'label', applied.created ? 'Created' : 'Applied change'));
      section.appendChild(diffHeader(applied.path, applied.hunks));
      section.appendChild(diffTable(applied.hunks));
      details.querySelector('summary').after(section);
      details.open = true; // the change is what a person wants to see
    }
    details.classList.toggle('error', isError);
    details.querySelector('.tool-state').textContent = isError ? 'error' : 'done';
    let result = details.querySelector('.tool-result');
    if (!result) {
      details.appendChild(el('div', 'label', 'Result'));
      result = el('pre', 'tool-result');
      details.appendChild(result);
    }
    result.textContent = toolResultText(block.content);
  }

  /** A user message's content: prompt text as a bubble, tool results into their calls. Returns new nodes. */
  function renderUser(content, toolUseResult) {
    const nodes = [];
    const texts = [];
    for (const block of contentBlocks(content)) {
      if (block.type === 'text' && typeof block.text === 'string' && !isNoise(block.text)) texts.push(block.text);
      else if (block.type === 'tool_result') {
        const details = tools.get(block.tool_use_id);
        if (details) setToolResult(details, block, toolUseResult);
        else {
          // Its call is on a page not loaded: show the result on its own.
          const orphan = toolItem({ id: block.tool_use_id, name: 'tool result', input: {} });
          setToolResult(orphan, block, toolUseResult);
          nodes.push(orphan);
        }
      }
    }
    if (texts.length) nodes.unshift(userBubble(texts.join('\n\n')));
    return nodes;
  }

  /** An assistant message's content: text as Markdown, tool calls as <details>, thinking folded away. */
  function renderAssistant(content) {
    const item = assistantItem();
    for (const block of contentBlocks(content)) {
      if (block.type === 'text' && typeof block.text === 'string') item.appendChild(markdownBlock(block.text));
      else if (block.type === 'tool_use') item.appendChild(toolItem(block));
      else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking.trim()) {
        const details = el('details', 'thinking');
        details.appendChild(el('summary', undefined, 'Thinking'));
        details.appendChild(markdownBlock(block.thinking));
        item.appendChild(details);
      }
    }
    return item.childElementCount > 1 ? [item] : [];
  }

  /** Marks the nodes of one transcript message with its uuid, so a search match can find them. */
  function tag(nodes, uuid) {
    if (typeof uuid === 'string' && uuid) for (const node of nodes) node.dataset.uuid = uuid;
    return nodes;
  }

  function renderHistoryMessage(m) {
    const content = m.message && m.message.content;
    if (m.type === 'user') return tag(renderUser(content, m.toolUseResult), m.uuid);
    if (m.type === 'assistant') return tag(renderAssistant(content), m.uuid);
    return [];
  }

  function note(text, className) {
    append(el('div', `note ${className || ''}`.trim(), text));
  }

  // ---- streaming ----------------------------------------------------------------------------------------------

  function startStreaming() {
    if (streaming) return streaming;
    const element = assistantItem();
    element.classList.add('streaming');
    element.appendChild(el('div', 'typing', '…'));
    streaming = { element, blocks: new Map() };
    append(element);
    return streaming;
  }

  function renderStreaming() {
    renderQueued = false;
    if (!streaming) return;
    const stick = nearBottom();
    for (const block of streaming.blocks.values()) block.element.innerHTML = renderMarkdown(block.text);
    if (stick) scrollToBottom();
  }

  function onStreamEvent(event) {
    if (!event || typeof event !== 'object') return;
    if (event.type === 'message_start') startStreaming();
    else if (event.type === 'content_block_start' && event.content_block && event.content_block.type === 'text') {
      const s = startStreaming();
      const element = el('div', 'body markdown');
      s.element.insertBefore(element, s.element.querySelector('.typing'));
      s.blocks.set(event.index, { element, text: event.content_block.text || '' });
    } else if (event.type === 'content_block_delta' && event.delta && event.delta.type === 'text_delta') {
      const s = startStreaming();
      let block = s.blocks.get(event.index);
      if (!block) {
        const element = el('div', 'body markdown');
        s.element.insertBefore(element, s.element.querySelector('.typing'));
        block = { element, text: '' };
        s.blocks.set(event.index, block);
      }
      block.text += event.delta.text;
      s.element.dataset.streamedChars = String((Number(s.element.dataset.streamedChars) || 0) + event.delta.text.length);
      if (!renderQueued) {
        renderQueued = true;
        requestAnimationFrame(renderStreaming);
      }
    }
  }

  /** The final assistant message takes the place of what streamed. */
  function onAssistant(message) {
    const nodes = tag(renderAssistant(message.message && message.message.content), message.uuid);
    const streamedChars = streaming ? Number(streaming.element.dataset.streamedChars) || 0 : 0;
    if (streaming) {
      streaming.element.remove();
      streaming = null;
    }
    for (const node of nodes) {
      if (streamedChars) node.dataset.streamed = 'true';
      append(node);
    }
  }

  function onStreamMessage(message) {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'stream_event') onStreamEvent(message.event);
    else if (message.type === 'assistant') onAssistant(message);
    else if (message.type === 'user') for (const node of tag(renderUser(message.message && message.message.content, message.tool_use_result), message.uuid)) append(node);
    else if (message.type === 'system' && message.subtype === 'init') {
      if (typeof message.model === 'string') addModel(message.model);
      if (Array.isArray(message.slash_commands)) slashCommands = message.slash_commands.filter((c) => typeof c === 'string');
    }
  }

  // ---- turns and the composer ---------------------------------------------------------------------------------

  function setRunning(value) {
    running = value;
    stop.hidden = !value;
    send.disabled = value;
    turnState.textContent = value ? 'Claude is working…' : '';
    document.body.classList.toggle('running', value);
  }

  function endTurn(result) {
    if (streaming) {
      // No final message came (cancelled mid-stream): keep what streamed, marked unfinished.
      streaming.element.classList.remove('streaming');
      streaming.element.classList.add('unfinished');
      const typing = streaming.element.querySelector('.typing');
      if (typing) typing.remove();
      if (streaming.element.childElementCount <= 1) streaming.element.remove();
      streaming = null;
    }
    for (const details of log.querySelectorAll('details.tool')) {
      const state = details.querySelector('.tool-state');
      if (state && state.textContent === 'running…') state.textContent = result && result.cancelled ? 'stopped' : 'no result';
    }
    if (result) {
      if (result.cancelled) note('Stopped. The session can be continued.', 'cancelled');
      else if (result.isError) note(`The turn failed (${result.subtype || 'error'})${result.text ? `: ${result.text}` : ''}`, 'error');
      else {
        const parts = [];
        if (result.durationMs != null) parts.push(`${(result.durationMs / 1000).toFixed(1)} s`);
        if (result.totalCostUsd != null) parts.push(`$${result.totalCostUsd.toFixed(4)}`);
        if (parts.length) note(parts.join(' · '), 'done');
      }
    }
    setRunning(false);
  }

  function submit() {
    const text = prompt.value;
    if (running || !text.trim()) return;
    prompt.value = '';
    closeCommands();
    vscode.postMessage({ type: 'send', text });
  }

  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  prompt.addEventListener('keydown', (e) => {
    if (commandsOpen() && handleCommandKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  prompt.addEventListener('input', updateCommands);
  prompt.addEventListener('focus', updateCommands);

  function stopTurn() {
    if (!running || stop.disabled) return;
    stop.disabled = true;
    turnState.textContent = 'Stopping…';
    vscode.postMessage({ type: 'stop' });
  }
  stop.addEventListener('click', stopTurn);
  // Escape anywhere in the view stops a running turn, as the Stop button does (the command list takes it first).
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented || !running) return;
    e.preventDefault();
    stopTurn();
  });

  // ---- slash commands: `/` at the start of the prompt offers the session's commands ------------------------------

  /** The commands the CLI reported for the session (its init message), or the cached list of the folder. */
  let slashCommands = [];
  let commandIndex = 0;

  function commandsOpen() {
    return !commandList.hidden;
  }

  function closeCommands() {
    commandList.hidden = true;
    commandList.replaceChildren();
    prompt.removeAttribute('aria-activedescendant');
    prompt.setAttribute('aria-expanded', 'false');
  }

  /** The list for what is typed: only while the prompt is `/` and a word with no space yet. */
  function updateCommands() {
    const typed = /^\/([^\s]*)$/.exec(prompt.value);
    if (!typed || !slashCommands.length) return closeCommands();
    const word = typed[1].toLowerCase();
    const matches = slashCommands.filter((c) => c.toLowerCase().startsWith(word));
    if (!matches.length) return closeCommands();
    commandIndex = Math.min(commandIndex, matches.length - 1);
    commandList.replaceChildren(
      ...matches.map((name, i) => {
        const option = el('li', i === commandIndex ? 'selected' : '', `/${name}`);
        option.id = `slash-${i}`;
        option.dataset.command = name;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', String(i === commandIndex));
        option.addEventListener('mousedown', (e) => {
          e.preventDefault(); // keep the focus in the prompt
          pickCommand(name);
        });
        return option;
      }),
    );
    commandList.hidden = false;
    prompt.setAttribute('aria-expanded', 'true');
    prompt.setAttribute('aria-activedescendant', `slash-${commandIndex}`);
    commandList.children[commandIndex].scrollIntoView({ block: 'nearest' });
  }

  function pickCommand(name) {
    prompt.value = `/${name} `;
    prompt.setSelectionRange(prompt.value.length, prompt.value.length);
    closeCommands();
    prompt.focus();
  }

  /** Up/Down move, Enter or Tab pick, Escape closes; true when the key was the list's. */
  function handleCommandKey(e) {
    const count = commandList.children.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      commandIndex = (commandIndex + (e.key === 'ArrowDown' ? 1 : count - 1)) % count;
      updateCommands();
    } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      pickCommand(commandList.children[commandIndex].dataset.command);
    } else if (e.key === 'Escape') {
      closeCommands();
    } else return false;
    e.preventDefault();
    return true;
  }

  // ---- model and permission mode of the next turn ----------------------------------------------------------------

  /** Adds a model to the picker (the one the session's init message names) unless it is there. */
  function addModel(model) {
    if (!model || [...modelPicker.options].some((o) => o.value === model)) return;
    const option = el('option', undefined, model);
    option.value = model;
    modelPicker.appendChild(option);
  }

  function postSettings() {
    const settings = { model: modelPicker.value || undefined, permissionMode: modePicker.value || undefined };
    vscode.setState({ ...(vscode.getState() || {}), ...settings });
    vscode.postMessage({ type: 'settings', ...settings });
  }
  modelPicker.addEventListener('change', postSettings);
  modePicker.addEventListener('change', postSettings);

  function showSettings(m) {
    if (m.model) addModel(m.model);
    if (m.model !== undefined || m.type === 'init') modelPicker.value = m.model || '';
    if (m.permissionMode !== undefined || m.type === 'init') modePicker.value = m.permissionMode || '';
  }

  /** Text put into the prompt box (Send Selection to Session): after what is typed, on a line of its own. */
  function insertText(text) {
    const before = prompt.value;
    prompt.value = before && !before.endsWith('\n') ? `${before}\n${text}` : `${before}${text}`;
    prompt.setSelectionRange(prompt.value.length, prompt.value.length);
    prompt.focus();
    prompt.scrollTop = prompt.scrollHeight;
  }
  earlier.addEventListener('click', () => {
    earlier.disabled = true;
    vscode.postMessage({ type: 'loadEarlier' });
  });

  // ---- permission questions -----------------------------------------------------------------------------------

  function permissionCard(m) {
    const card = el('div', 'permission');
    card.dataset.permissionId = String(m.id);
    card.setAttribute('role', 'group');
    card.setAttribute('aria-label', `Permission for ${m.toolName}`);
    card.appendChild(el('div', 'question', `Claude wants to use ${m.toolName}${m.description ? `: ${m.description}` : ''}`));
    const edit = m.proposedEdit;
    let openDiff;
    if (edit && typeof edit === 'object' && typeof edit.path === 'string') {
      // The change itself rather than the tool's input; a change named but not shown is only its path and why.
      const section = el('div', 'proposed');
      if (edit.unshown) {
        section.classList.add('unshown');
        section.appendChild(diffHeader(edit.path, null));
        section.appendChild(el('div', 'unshown-note', `This file is ${unshownNote(edit.unshown)}.`));
      } else {
        const created = edit.oldText == null;
        section.appendChild(diffHeader(edit.path, edit.hunks, created ? 'new file' : edit.notebookCell ? `cell ${edit.notebookCell}` : ''));
        section.appendChild(diffTable(edit.hunks));
        openDiff = el('button', 'open-diff secondary', 'Open diff');
        openDiff.type = 'button';
        openDiff.addEventListener('click', () => vscode.postMessage({ type: 'openDiff', id: m.id }));
      }
      card.appendChild(section);
    } else {
      card.appendChild(el('pre', 'tool-input', typeof m.input === 'string' ? m.input : JSON.stringify(m.input, null, 2)));
    }
    const buttons = el('div', 'buttons');
    const allow = el('button', 'allow', 'Allow');
    const deny = el('button', 'deny secondary', 'Deny');
    allow.type = deny.type = 'button';
    const answer = (value) => {
      allow.disabled = deny.disabled = true;
      vscode.postMessage({ type: 'permission', id: m.id, allow: value });
    };
    allow.addEventListener('click', () => answer(true));
    deny.addEventListener('click', () => answer(false));
    buttons.append(allow, deny);
    if (openDiff) buttons.append(openDiff);
    card.appendChild(buttons);
    append(card);
    allow.focus();
  }

  function permissionClosed(m) {
    const card = log.querySelector(`.permission[data-permission-id="${CSS.escape(String(m.id))}"]`);
    if (!card) return;
    for (const b of card.querySelectorAll('button')) b.disabled = true;
    card.classList.add(m.outcome);
    card.dataset.outcome = m.outcome;
    const outcome = el('div', 'outcome', m.outcome === 'allowed' ? 'Allowed' : m.outcome === 'denied' ? 'Denied' : 'Withdrawn: the turn ended');
    card.querySelector('.buttons').replaceWith(outcome);
    if (!composer.hidden) prompt.focus();
  }

  // ---- messages from the extension ----------------------------------------------------------------------------

  function saveState(m) {
    const state = { ...(vscode.getState() || {}) };
    for (const key of ['sessionId', 'folder', 'title', 'model', 'permissionMode']) if (m[key] !== undefined) state[key] = m[key];
    vscode.setState(state);
    if (state.title || state.folder) heading.textContent = state.title || `New session in ${state.folder}`;
  }

  function showHistory(m) {
    const nodes = [];
    for (const message of m.messages) nodes.push(...renderHistoryMessage(message));
    if (m.mode === 'prepend') {
      const scroller = document.scrollingElement;
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      log.prepend(...nodes);
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    } else {
      log.replaceChildren(...nodes);
      if (!nodes.length && m.total === 0) log.appendChild(el('div', 'note empty', m.emptyText || 'No messages yet.'));
      scrollToBottom();
    }
    log.dataset.offset = String(m.offset);
    log.dataset.total = String(m.total);
    earlier.hidden = m.offset <= 0;
    earlier.disabled = false;
    earlier.textContent = `Load earlier messages (${m.offset} more)`;
  }

  /** A search match: scrolls its message to the middle of the view, marks it and focuses it (for screen readers). */
  function reveal(uuid) {
    for (const old of log.querySelectorAll('.search-hit')) {
      old.classList.remove('search-hit');
      old.removeAttribute('aria-current');
    }
    log.querySelector('.note.search-miss')?.remove();
    const nodes = typeof uuid === 'string' ? [...log.querySelectorAll(`[data-uuid="${CSS.escape(uuid)}"]`)] : [];
    if (!nodes.length) {
      note('The message the search found is no longer in this conversation (its transcript changed since).', 'search-miss');
      return;
    }
    for (const node of nodes) node.classList.add('search-hit');
    const first = nodes[0];
    first.setAttribute('aria-current', 'true');
    first.tabIndex = -1;
    first.scrollIntoView({ block: 'center' });
    first.focus({ preventScroll: true });
  }

  function showStatus(m) {
    if (m.resumable) {
      banner.hidden = true;
      composer.hidden = false;
      return;
    }
    banner.replaceChildren(
      el('strong', undefined, 'This session cannot be continued: '),
      el('code', 'reason', m.reason || 'unknown'),
      el('div', 'explanation', m.explanation || ''),
    );
    banner.hidden = false;
    composer.hidden = true;
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'init':
      case 'session':
        saveState(m);
        showSettings(m);
        break;
      case 'commands':
        if (Array.isArray(m.commands)) slashCommands = m.commands;
        break;
      case 'insert':
        if (!composer.hidden) insertText(m.text);
        break;
      case 'history':
        showHistory(m);
        break;
      case 'status':
        showStatus(m);
        break;
      case 'turnStart':
        log.querySelector('.note.empty')?.remove();
        append(userBubble(m.prompt));
        setRunning(true);
        stop.disabled = false;
        scrollToBottom();
        break;
      case 'message':
        onStreamMessage(m.message);
        break;
      case 'turnEnd':
        endTurn(m.result);
        break;
      case 'error':
        if (running) endTurn(undefined);
        note(`${m.message}${m.reason ? ` (${m.reason})` : ''}`, 'error');
        break;
      case 'permission':
        permissionCard(m);
        break;
      case 'permissionClosed':
        permissionClosed(m);
        break;
      case 'focus':
        if (!composer.hidden) prompt.focus();
        break;
      case 'reveal':
        reveal(m.uuid);
        break;
    }
  });

  const saved = vscode.getState();
  if (saved) {
    saveState(saved);
    showSettings(saved);
  }
  vscode.postMessage({ type: 'ready' });
  prompt.focus();
})();
