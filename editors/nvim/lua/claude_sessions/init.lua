-- claude_sessions: start, continue, list and cancel Claude Code sessions through ClaudeSessionSidecar.
-- See :help claude_sessions.
local config = require('claude_sessions.config')
local server_mod = require('claude_sessions.server')
local rpc = require('claude_sessions.rpc')
local nonnull = rpc.nonnull

local M = {}

-- Turns in flight: {server, request_id, kind = 'create'|'resume', session_id?, buf, cwd, announced, done}.
local turns = {}
-- Session id -> its output buffer.
local session_buffers = {}
-- The sessions shown in each list buffer: bufnr -> {entries}.
local list_entries = {}
local new_buffer_count = 0
-- Session id -> {[prompt number] = deny()}: the permission floats still open, closed when the turn ends.
local open_prompts = {}
local prompt_count = 0

local function notify(message, level)
  vim.notify('claude_sessions: ' .. message, level or vim.log.levels.INFO)
end

local function split_lines(text)
  return vim.split(tostring(text), '\n', { plain = true })
end

-- Buffers ------------------------------------------------------------------------------------------------------

local function scratch_buffer(name, filetype)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
  vim.api.nvim_buf_set_option(buf, 'swapfile', false)
  vim.api.nvim_buf_set_option(buf, 'filetype', filetype)
  pcall(vim.api.nvim_buf_set_name, buf, name)
  return buf
end

local function set_lines(buf, first, last, lines)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, first, last, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
end

--- Appends lines at the end of a buffer and keeps the windows showing it at the end.
--- Keeps every window on the buffer at its last line, so streamed text stays in view.
local function follow_end(buf)
  local last = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    pcall(vim.api.nvim_win_set_cursor, win, { last, 0 })
  end
end

local function last_line(buf)
  local count = vim.api.nvim_buf_line_count(buf)
  return vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ''
end

local function append(buf, lines)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local count = vim.api.nvim_buf_line_count(buf)
  if count == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == '' then
    set_lines(buf, 0, 1, lines)
  else
    set_lines(buf, count, count, lines)
  end
  follow_end(buf)
end

local function show(buf)
  local how = config.options.open
  if how == 'none' or not vim.api.nvim_buf_is_valid(buf) or #vim.fn.win_findbuf(buf) > 0 then
    return
  end
  -- Not from a float (a permission diff's, say): it would be replaced.
  if vim.api.nvim_win_get_config(0).relative ~= '' then
    for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
      if vim.api.nvim_win_get_config(win).relative == '' then
        vim.api.nvim_set_current_win(win)
        break
      end
    end
  end
  local commands = { split = 'split', vsplit = 'vsplit', tab = 'tabnew' }
  -- With no room for another window (E36), the current one shows the buffer.
  if commands[how] then
    pcall(vim.cmd, commands[how])
  end
  vim.api.nvim_win_set_buf(0, buf)
end

local function attach_session(buf, session_id, cwd)
  session_buffers[session_id] = buf
  vim.api.nvim_buf_set_var(buf, 'claude_session_id', session_id)
  pcall(vim.api.nvim_buf_set_name, buf, 'claude://session/' .. session_id)
  set_lines(buf, 0, 1, { ('# Claude session %s%s'):format(session_id, cwd and ('  (' .. cwd .. ')') or '') })
end

local function session_buffer(session_id, cwd)
  local buf = session_buffers[session_id]
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  buf = scratch_buffer('claude://session/' .. session_id, 'markdown')
  attach_session(buf, session_id, cwd)
  return buf
end

-- Turns --------------------------------------------------------------------------------------------------------

local function running_turns()
  local list = {}
  for _, turn in ipairs(turns) do
    if not turn.done then
      table.insert(list, turn)
    end
  end
  return list
end

--- The turn a session/message belongs to: the one of that session, else the oldest create not yet announced.
local function turn_for(server, session_id)
  for _, turn in ipairs(turns) do
    if not turn.done and turn.server == server and turn.session_id == session_id then
      return turn
    end
  end
  for _, turn in ipairs(turns) do
    if not turn.done and turn.server == server and turn.kind == 'create' and not turn.session_id then
      return turn
    end
  end
end

--- Appends text at the end of the last line (streamed chunks), starting new lines at each newline.
local function append_inline(buf, text)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local parts = split_lines(text)
  local count = vim.api.nvim_buf_line_count(buf)
  parts[1] = last_line(buf) .. parts[1]
  set_lines(buf, count - 1, count, parts)
  follow_end(buf)
end

--- Shows one stream-json message. With partial messages (stream_event), text appears chunk by chunk and the
--- complete assistant message that follows is not shown again; without them, each assistant message's text
--- appears whole. `streamed` (per turn) remembers, per stream (main or a subagent's), that chunks were shown.
local function render_message(buf, message, streamed)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local kind = nonnull(message.type)
  local stream = tostring(nonnull(message.parent_tool_use_id) or 'main')
  if kind == 'stream_event' then
    local event = nonnull(message.event) or {}
    if event.type == 'content_block_start' and type(event.content_block) == 'table' and event.content_block.type == 'text' then
      if last_line(buf) ~= '' then
        append(buf, { '' })
      end
    elseif event.type == 'content_block_delta' and type(event.delta) == 'table' and event.delta.type == 'text_delta'
        and type(event.delta.text) == 'string' then
      streamed[stream] = true
      append_inline(buf, event.delta.text)
    end
  elseif kind == 'assistant' then
    local body = nonnull(message.message) or {}
    local already = streamed[stream]
    streamed[stream] = nil
    for _, block in ipairs(nonnull(body.content) or {}) do
      if block.type == 'text' and type(block.text) == 'string' then
        if not already then
          append(buf, split_lines(block.text))
        end
      elseif block.type == 'tool_use' then
        local input = nonnull(block.input)
        local summary = input and vim.json.encode(input) or ''
        if #summary > 120 then
          summary = summary:sub(1, 117) .. '...'
        end
        append(buf, { ('[tool: %s %s]'):format(tostring(block.name), summary) })
      end
    end
  end
end

local function on_session_message(server, params)
  local session_id = nonnull(params.sessionId)
  local message = nonnull(params.message)
  if not session_id or type(message) ~= 'table' then
    return
  end
  local turn = turn_for(server, session_id)
  if turn and not turn.session_id then
    turn.session_id = session_id
    attach_session(turn.buf, session_id, turn.cwd)
  end
  -- The CLI's init names the session's folder: proposed edits are shown relative to it.
  if turn and not turn.cwd and message.type == 'system' and message.subtype == 'init' and type(message.cwd) == 'string' then
    turn.cwd = message.cwd
  end
  local buf = (turn and turn.buf) or session_buffers[session_id]
  if buf then
    render_message(buf, message, turn and turn.streamed or {})
  end
  if turn and M.on_message then
    M.on_message(turn, message)
  end
end

local function format_seconds(ms)
  ms = nonnull(ms)
  return ms and ('%.1fs'):format(ms / 1000) or '?'
end

local function close_prompts(session_id)
  for _, deny in pairs(open_prompts[session_id or ''] or {}) do
    deny()
  end
end

local function finish_turn(turn, err, result)
  turn.done = true
  turn.error, turn.result = err, result
  -- A question left open when its turn ends (cancelled, failed, server gone) can no longer be answered usefully.
  close_prompts(turn.session_id)
  for index, item in ipairs(turns) do
    if item == turn then
      table.remove(turns, index)
      break
    end
  end
  local buf = turn.buf
  if err then
    local data = nonnull(err.data) or {}
    local reason = nonnull(data.reason)
    append(buf, { '', ('-- error %s: %s%s'):format(tostring(err.code), tostring(err.message), reason and (' (' .. reason .. ')') or ''), '' })
    notify(('%s failed: %s'):format(turn.kind, tostring(err.message)), vim.log.levels.ERROR)
    return
  end
  local session_id = nonnull(result.sessionId)
  if session_id and not turn.session_id then
    turn.session_id = session_id
    attach_session(buf, session_id, turn.cwd)
  end
  local turn_result = nonnull(result.result) or {}
  if nonnull(turn_result.cancelled) then
    turn.cancelled = true
    append(buf, { '', '-- cancelled', '' })
  elseif nonnull(turn_result.isError) then
    append(buf, { '', ('-- failed (%s): %s'):format(tostring(nonnull(turn_result.subtype)), tostring(nonnull(turn_result.text))), '' })
  else
    append(buf, { '', ('-- done in %s'):format(format_seconds(turn_result.durationMs)), '' })
  end
end

local function start_turn(server, kind, method, params, buf, session_id, cwd)
  local turn = { server = server, kind = kind, session_id = session_id, buf = buf, cwd = cwd, done = false, streamed = {} }
  table.insert(turns, turn)
  turn.request_id = server.rpc:request(method, params, function(err, result)
    finish_turn(turn, err, result)
  end)
  return turn
end

local function prompt_lines(buf, prompt)
  local lines = { '## You', '' }
  if last_line(buf) ~= '' then
    table.insert(lines, 1, '')
  end
  vim.list_extend(lines, split_lines(prompt))
  vim.list_extend(lines, { '', '## Claude', '' })
  return lines
end

-- Server-to-client requests ------------------------------------------------------------------------------------

local EDIT_TOOLS = { Write = true, Edit = true, MultiEdit = true, NotebookEdit = true }

-- Why the server names an edit's file without showing the change (proposedEdit.unshown).
local UNSHOWN = {
  outside_workspace = "the file is outside the session's working directory",
  symlink = 'the file is a symbolic link',
  too_large = 'the file is over 1 MiB',
  binary = 'the file is not text (binary, or not UTF-8)',
  unreadable = 'the file could not be read',
  does_not_apply = 'the edit does not apply to the file as it is now',
}

local function key_help()
  local keys = config.options.permission_keys
  return ('%s: allow  %s: deny'):format(table.concat(config.key_list(keys.allow), '/'),
    table.concat(config.key_list(keys.deny), '/'))
end

--- The lines of the permission float for a tool's proposedEdit: a heading with the keys, then a unified diff
--- (`--- a/<path>`, `+++ b/<path>`, `@@ -a,b +c,d @@` and the hunks' lines; a new file is `--- /dev/null`, all `+`),
--- or, for an `unshown` edit, the path and the reason only. Paths are relative to `cwd` when below it.
function M.proposed_edit_lines(tool, edit, cwd)
  local path = tostring(nonnull(edit.path) or '?')
  local cell = nonnull(edit.notebookCell)
  local lines = { ('Claude wants to run %s%s.  %s'):format(tool, cell and (' on cell ' .. tostring(cell)) or '', key_help()) }
  local unshown = nonnull(edit.unshown)
  if unshown then
    vim.list_extend(lines, { path, ('The change is not shown: %s.'):format(UNSHOWN[unshown] or tostring(unshown)) })
    return lines
  end
  local shown = path
  local root = cwd and (cwd:gsub('/+$', '')) .. '/'
  if root and root ~= '/' and path:sub(1, #root) == root then
    shown = path:sub(#root + 1)
  end
  shown = shown:gsub('^/', '')
  table.insert(lines, nonnull(edit.oldText) == nil and '--- /dev/null' or ('--- a/' .. shown))
  table.insert(lines, '+++ b/' .. shown)
  local hunks = nonnull(edit.hunks) or {}
  for _, hunk in ipairs(hunks) do
    table.insert(lines, ('@@ -%d,%d +%d,%d @@'):format(tonumber(hunk.oldStart) or 0, tonumber(hunk.oldLines) or 0,
      tonumber(hunk.newStart) or 0, tonumber(hunk.newLines) or 0))
    for _, line in ipairs(nonnull(hunk.lines) or {}) do
      vim.list_extend(lines, split_lines(line))
    end
  end
  if #hunks == 0 then
    table.insert(lines, '(no change to the file)')
  end
  return lines
end

--- Shows a proposed edit in a floating diff window with the permission keys, and calls answer(allow, message)
--- exactly once: on a key, when the window or its buffer goes some other way, or when the turn ends. Returns false
--- when no float could be opened (e.g. from the command-line window), having answered nothing.
local function ask_with_diff(session_id, lines, answer)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
  set_lines(buf, 0, -1, lines)
  vim.api.nvim_buf_set_option(buf, 'filetype', 'diff')
  local width = 20
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  width = math.min(width + 1, math.max(20, vim.o.columns - 4))
  local height = math.max(1, math.min(#lines, vim.o.lines - 6))
  local from = vim.api.nvim_get_current_win()
  local ok, win = pcall(vim.api.nvim_open_win, buf, true, {
    relative = 'editor', style = 'minimal', border = 'rounded', width = width, height = height,
    row = math.max(0, math.floor((vim.o.lines - height) / 2) - 1), col = math.max(0, math.floor((vim.o.columns - width) / 2)),
  })
  if not ok then
    pcall(vim.api.nvim_buf_delete, buf, { force = true })
    return false
  end
  vim.api.nvim_win_set_option(win, 'wrap', false)
  vim.api.nvim_win_set_option(win, 'cursorline', true)
  prompt_count = prompt_count + 1
  local number, key = prompt_count, session_id or ''
  local group = vim.api.nvim_create_augroup('claude_sessions_permission_' .. number, { clear = true })
  local answered = false
  local function finish(allow, message)
    if answered then
      return
    end
    answered = true
    pcall(vim.api.nvim_del_augroup_by_id, group)
    if open_prompts[key] then
      open_prompts[key][number] = nil
    end
    local was_current = vim.api.nvim_get_current_win() == win
    pcall(vim.api.nvim_win_close, win, true)
    pcall(vim.api.nvim_buf_delete, buf, { force = true })
    if was_current and vim.api.nvim_win_is_valid(from) then
      pcall(vim.api.nvim_set_current_win, from)
    end
    answer(allow, message)
  end
  open_prompts[key] = open_prompts[key] or {}
  open_prompts[key][number] = function()
    finish(false, 'Denied: the turn ended before the Neovim user answered')
  end
  local function map(keys, fn)
    for _, lhs in ipairs(config.key_list(keys)) do
      vim.api.nvim_buf_set_keymap(buf, 'n', lhs, '', { noremap = true, nowait = true, silent = true, callback = fn })
    end
  end
  map(config.options.permission_keys.allow, function()
    finish(true, nil)
  end)
  map(config.options.permission_keys.deny, function()
    finish(false, 'Denied by the user in Neovim')
  end)
  -- Any other way the window or its buffer goes (:q, <C-w>o elsewhere, :edit in it) denies, so the turn never hangs.
  local function gone()
    finish(false, 'Denied: the Neovim window was closed without an answer')
  end
  vim.api.nvim_create_autocmd('WinClosed', { group = group, pattern = tostring(win), callback = gone })
  vim.api.nvim_create_autocmd({ 'BufWipeout', 'BufHidden' }, { group = group, buffer = buf, callback = gone })
  return true
end

local function on_permission(server, params, respond)
  local handler = config.options.on_permission
  local tool = tostring(nonnull(params.toolName))
  local input = nonnull(params.input)
  local session_id = nonnull(params.sessionId)
  local buf = session_id and session_buffers[session_id]
  local function answer(allow, message)
    if buf then
      append(buf, { ('[permission for %s: %s]'):format(tool, allow and 'allowed' or 'denied') })
    end
    respond({ allow = allow, message = message })
  end
  if type(handler) == 'function' then
    local ok, err = pcall(handler, params, respond)
    if not ok then
      notify('on_permission failed: ' .. tostring(err), vim.log.levels.ERROR)
      answer(false, 'The Neovim permission handler failed')
    end
    return
  end
  if handler ~= 'ask' then
    answer(false, 'Denied by the Neovim plugin settings')
    return
  end
  local edit = nonnull(params.proposedEdit)
  if EDIT_TOOLS[tool] and type(edit) == 'table' then
    local turn = turn_for(server, session_id)
    if ask_with_diff(session_id, M.proposed_edit_lines(tool, edit, turn and turn.cwd), answer) then
      return
    end
  end
  local summary = input and vim.json.encode(input) or ''
  if #summary > 200 then
    summary = summary:sub(1, 197) .. '...'
  end
  local description = nonnull(params.description)
  vim.ui.select({ 'Deny', 'Allow' }, {
    prompt = ('Claude wants to use %s%s %s'):format(tool, description and (' (' .. tostring(description) .. ')') or '', summary),
  }, function(choice)
    if choice == 'Allow' then
      answer(true, nil)
    else
      answer(false, 'Denied by the user in Neovim')
    end
  end)
end

server_mod.handlers = {
  on_notification = function(server, method, params)
    if method == 'session/message' and type(params) == 'table' then
      on_session_message(server, params)
    end
  end,
  on_request = function(server, method, params, respond)
    if method == 'session/requestPermission' and type(params) == 'table' then
      on_permission(server, params, respond)
    else
      respond(nil, { code = rpc.codes.METHOD_NOT_FOUND, message = 'Method not found: ' .. tostring(method) })
    end
  end,
}

-- Public API ---------------------------------------------------------------------------------------------------

--- Asks the server for a spare CLI process in a folder (session/prepare), so that the next new session there
--- skips the CLI's start. opts: {cwd?, on_done?(prepared: bool)}. Quiet: a server without the method, or an error,
--- only means no spare.
function M.prepare(opts)
  opts = opts or {}
  local cwd = opts.cwd or config.cwd()
  server_mod.with_server(function(server)
    if not server or not server_mod.supports(server, 'session/prepare') then
      if opts.on_done then
        opts.on_done(false)
      end
      return
    end
    local params = {
      workingDirectory = cwd,
      model = config.options.model,
      permissionMode = config.options.permission_mode,
      includePartialMessages = config.options.partial_messages or nil,
    }
    server.rpc:request('session/prepare', params, function(err, result)
      if opts.on_done then
        opts.on_done(err == nil and type(result) == 'table' and result.prepared == true)
      end
    end)
  end)
end

--- Configures the plugin; see :help claude_sessions-setup. Errors on a bad option.
function M.setup(opts)
  config.setup(opts)
  if config.options.prepare then
    vim.schedule(function()
      M.prepare()
    end)
  end
  return M
end

--- Starts a session. opts: {prompt?, cwd?, title?, model?, permission_mode?}. Returns nothing; the turn is
--- tracked and its text appended to a new buffer (opts.on_start(turn) is called once it is sent).
function M.new(opts)
  opts = opts or {}
  local cwd = opts.cwd or config.cwd()
  server_mod.with_server(function(server)
    if not server then
      return
    end
    new_buffer_count = new_buffer_count + 1
    local buf = scratch_buffer(('claude://new/%d'):format(new_buffer_count), 'markdown')
    local prompt = opts.prompt
    if prompt == '' then
      prompt = nil
    end
    set_lines(buf, 0, -1, { '# New Claude session  (' .. cwd .. ')' })
    append(buf, prompt_lines(buf, prompt or '(no prompt: the server starts the session with its default)'))
    show(buf)
    local params = {
      workingDirectory = cwd,
      prompt = prompt,
      title = opts.title,
      model = opts.model or config.options.model,
      permissionMode = opts.permission_mode or config.options.permission_mode,
      includePartialMessages = config.options.partial_messages or nil,
    }
    local turn = start_turn(server, 'create', 'session/create', params, buf, nil, cwd)
    if opts.on_start then
      opts.on_start(turn)
    end
  end)
end

--- One more turn of a session. opts: {session_id, prompt, model?, permission_mode?, on_start?}.
function M.resume(opts)
  vim.validate({
    session_id = { opts.session_id, 'string' },
    prompt = { opts.prompt, 'string' },
  })
  if opts.prompt == '' then
    notify('an empty prompt: nothing sent', vim.log.levels.WARN)
    return
  end
  server_mod.with_server(function(server)
    if not server then
      return
    end
    local buf = session_buffer(opts.session_id, opts.cwd)
    append(buf, prompt_lines(buf, opts.prompt))
    show(buf)
    local params = {
      sessionId = opts.session_id,
      prompt = opts.prompt,
      model = opts.model or config.options.model,
      permissionMode = opts.permission_mode or config.options.permission_mode,
      includePartialMessages = config.options.partial_messages or nil,
    }
    local turn = start_turn(server, 'resume', 'session/resume', params, buf, opts.session_id, opts.cwd)
    if opts.on_start then
      opts.on_start(turn)
    end
  end)
end

--- Fetches sessions: callback(err, sessions, full) where full is true when they come from session/list
--- (every session, with status and reasons) and false when from session/listResumable (resumable ones only).
--- opts: {all = bool (every folder, not only cwd), resumable_only = bool}.
function M.fetch_sessions(opts, callback)
  opts = opts or {}
  server_mod.with_server(function(server, start_err)
    if not server then
      callback({ message = start_err }, nil, false)
      return
    end
    local params = { includeExternal = config.options.include_external, limit = config.options.list_limit }
    if not opts.all then
      params.workingDirectory = config.cwd()
    end
    local full = not opts.resumable_only and server_mod.supports(server, 'session/list')
    server.rpc:request(full and 'session/list' or 'session/listResumable', params, function(err, result)
      if err then
        callback(err, nil, full)
        return
      end
      callback(nil, nonnull(result and result.sessions) or {}, full)
    end)
  end)
end

local function entry_line(entry, full)
  local status = 'resumable'
  if full then
    local s = nonnull(entry.status) or {}
    if not nonnull(s.resumable) then
      status = 'NOT resumable: ' .. tostring(nonnull(s.reason) or 'unknown')
    end
  end
  local when = tostring(nonnull(entry.lastActiveAt) or ''):sub(1, 19):gsub('T', ' ')
  local title = nonnull(entry.title) or nonnull(entry.firstPrompt) or ''
  title = tostring(title):gsub('\n', ' ')
  local external = nonnull(entry.source) == 'external' and ' [external]' or ''
  return ('%s  %s  %s  %s%s'):format(tostring(entry.sessionId), when, status, title, external)
end

--- options: {model?, permission_mode?} for the turn.
local function ask_prompt_and_resume(entry, options)
  options = options or {}
  vim.ui.input({ prompt = 'Prompt for ' .. tostring(nonnull(entry.title) or entry.sessionId) .. ': ' }, function(text)
    if text and text ~= '' then
      M.resume({ session_id = entry.sessionId, prompt = text, cwd = nonnull(entry.workingDirectory),
        model = options.model, permission_mode = options.permission_mode })
    end
  end)
end

--- Fills a session-list buffer (created on first use) and shows it: <CR> resumes the session of the line under the
--- cursor, r runs refresh again, q closes. rows: {{line = string, entry = session or nil}, ...} after the header.
local function show_session_list(name, header, rows, refresh)
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = scratch_buffer(name, 'claude_sessions')
    local function map(lhs, rhs)
      vim.api.nvim_buf_set_keymap(buf, 'n', lhs, '', { noremap = true, silent = true, callback = rhs })
    end
    map('<CR>', function()
      local entry = (list_entries[buf] or {})[vim.api.nvim_win_get_cursor(0)[1]]
      if entry then
        ask_prompt_and_resume(entry)
      end
    end)
    map('r', function()
      local again = list_entries[buf] and list_entries[buf].refresh
      if again then
        again()
      end
    end)
    map('q', '<cmd>close<CR>')
  end
  local lines, by_line = { header }, { refresh = refresh }
  for _, row in ipairs(rows) do
    table.insert(lines, row.line)
    by_line[#lines] = row.entry
  end
  if #rows == 0 then
    table.insert(lines, '(none)')
  end
  list_entries[buf] = by_line
  set_lines(buf, 0, -1, lines)
  show(buf)
  return buf
end

--- Shows the sessions in the claude://sessions buffer (<CR> resumes the one under the cursor, r refreshes, q closes).
--- opts: {all = bool}.
function M.list(opts)
  opts = opts or {}
  M.fetch_sessions(opts, function(err, sessions, full)
    if err then
      notify('listing sessions failed: ' .. tostring(err.message), vim.log.levels.ERROR)
      return
    end
    local rows = {}
    for _, entry in ipairs(sessions) do
      table.insert(rows, { line = entry_line(entry, full), entry = entry })
    end
    show_session_list('claude://sessions', ('Claude sessions %s — %s  (<CR> resume, r refresh, q close)'):format(
      opts.all and 'in every folder' or ('in ' .. config.cwd()),
      full and 'all, with why not resumable' or 'resumable only (this server has no session/list)'), rows, function()
      M.list(opts)
    end)
  end)
end

--- Searches the conversations (session/search) and shows the hits in the claude://search buffer: each session's line
--- as in :ClaudeSessionList, then a line per matching message with its snippet (<CR> on either resumes it).
--- opts: {query = string, all = bool (every folder, not only cwd)}.
function M.search(opts)
  opts = opts or {}
  if type(opts.query) ~= 'string' or vim.trim(opts.query) == '' then
    notify('search: give the words to look for, e.g. :ClaudeSessionSearch zebrafish module', vim.log.levels.WARN)
    return
  end
  server_mod.with_server(function(server, start_err)
    if not server then
      notify('search failed: ' .. tostring(start_err), vim.log.levels.ERROR)
      return
    end
    if not server_mod.supports(server, 'session/search') then
      notify('this server has no session/search: update claude-session-sidecar', vim.log.levels.ERROR)
      return
    end
    local params = { query = opts.query, includeExternal = config.options.include_external, limit = config.options.list_limit }
    if not opts.all then
      params.workingDirectory = config.cwd()
    end
    server.rpc:request('session/search', params, function(err, result)
      if err then
        notify('search failed: ' .. tostring(err.message), vim.log.levels.ERROR)
        return
      end
      local rows = {}
      for _, entry in ipairs(nonnull(result and result.sessions) or {}) do
        table.insert(rows, { line = entry_line(entry, true), entry = entry })
        for _, match in ipairs(nonnull(entry.matches) or {}) do
          local who = nonnull(match.type) == 'assistant' and 'claude' or 'you'
          table.insert(rows, { line = ('    %s: %s'):format(who, tostring(nonnull(match.snippet) or '')), entry = entry })
        end
      end
      show_session_list('claude://search', ('Claude sessions %s holding %q  (<CR> resume, r refresh, q close)'):format(
        opts.all and 'in every folder' or ('in ' .. config.cwd()), opts.query), rows, function()
        M.search(opts)
      end)
    end)
  end)
end

--- Picks a resumable session with vim.ui.select, then asks for a prompt with vim.ui.input.
--- opts: {all = bool, model?, permission_mode?}.
function M.resume_pick(opts)
  opts = opts or {}
  M.fetch_sessions({ all = opts.all, resumable_only = true }, function(err, sessions)
    if err then
      notify('listing sessions failed: ' .. tostring(err.message), vim.log.levels.ERROR)
      return
    end
    if #sessions == 0 then
      notify('no resumable session' .. (opts.all and '' or (' in ' .. config.cwd())), vim.log.levels.WARN)
      return
    end
    vim.ui.select(sessions, {
      prompt = 'Resume which Claude session?',
      format_item = function(entry)
        return entry_line(entry, false)
      end,
    }, function(entry)
      if entry then
        ask_prompt_and_resume(entry, opts)
      end
    end)
  end)
end

local function cancel_turn(turn)
  local server = turn.server
  if not server.rpc:is_running() then
    return
  end
  if turn.session_id and server_mod.supports(server, 'session/cancel') then
    server.rpc:request('session/cancel', { sessionId = turn.session_id }, function(err, result)
      if err then
        notify('cancel failed: ' .. tostring(err.message), vim.log.levels.ERROR)
      elseif result and nonnull(result.cancelled) == false then
        notify('nothing to cancel in session ' .. turn.session_id, vim.log.levels.WARN)
      end
    end)
  elseif server_mod.supports(server, '$/cancelRequest') and turn.request_id then
    server.rpc:notify('$/cancelRequest', { id = turn.request_id })
  else
    notify('this server cannot cancel a turn (it offers neither session/cancel nor $/cancelRequest)', vim.log.levels.WARN)
    return
  end
  append(turn.buf, { '-- cancelling...' })
end

--- Cancels a running turn: of opts.session_id, else of the current buffer's session, else the only one
--- running, else asks which.
function M.cancel(opts)
  opts = opts or {}
  local running = running_turns()
  local session_id = opts.session_id
  if not session_id or session_id == '' then
    session_id = vim.b.claude_session_id
  end
  local candidates = {}
  for _, turn in ipairs(running) do
    if turn.session_id == session_id or (not opts.session_id and turn.buf == vim.api.nvim_get_current_buf()) then
      table.insert(candidates, turn)
    end
  end
  if #candidates == 0 and not opts.session_id then
    candidates = running
  end
  if #candidates == 0 then
    notify('no turn is running', vim.log.levels.WARN)
  elseif #candidates == 1 then
    cancel_turn(candidates[1])
  else
    vim.ui.select(candidates, {
      prompt = 'Cancel which turn?',
      format_item = function(turn)
        return ('%s %s'):format(turn.kind, turn.session_id or '(new session)')
      end,
    }, function(turn)
      if turn then
        cancel_turn(turn)
      end
    end)
  end
end

--- The JSON-RPC error codes a turn's or request's error may carry (see :help claude_sessions-api).
M.error_codes = rpc.codes

--- The turns in flight (read only).
function M.running()
  return running_turns()
end

--- The running server ({pid, info, methods, ...}) or nil.
function M.server()
  return server_mod.current
end

--- Stops the server (shutdown, exit, then signals). opts: {wait = bool}.
function M.stop(opts)
  server_mod.stop(nil, opts)
end

--- The buffer showing a session, or nil.
function M.session_buffer(session_id)
  return session_buffers[session_id]
end

-- :ClaudeSession* --------------------------------------------------------------------------------------------

-- The commands' leading name=value arguments: name -> the option of cs.new/cs.resume it sets.
local COMMAND_OPTIONS = { model = 'model', mode = 'permission_mode' }

local function command_error(message)
  notify(message, vim.log.levels.ERROR)
end

--- Splits the leading `model=M` and `mode=P` arguments off a command's arguments; `--` ends them (for a prompt
--- that starts with name=). Returns the options {model?, permission_mode?} and the rest as typed, or nil and a
--- message for a bad one. A mode is matched ignoring case; a model is passed on as it is.
function M.parse_command_options(args)
  local options, rest = {}, args
  while true do
    local token, after = rest:match('^%s*(%S+)%s*(.-)$')
    if not token then
      return options, ''
    elseif token == '--' then
      return options, after
    end
    local name, value = token:match('^([%a_][%w_]*)=(.*)$')
    if not name then
      return options, (rest:gsub('^%s+', ''))
    end
    local option = COMMAND_OPTIONS[name]
    if not option then
      return nil, ('unknown argument %q: the options are model= and mode= (put -- before a prompt that starts with name=)')
        :format(token)
    elseif options[option] then
      return nil, ('%s= is given twice'):format(name)
    elseif value == '' then
      return nil, ('%s= needs a value, e.g. %s'):format(name, name == 'model' and 'model=sonnet' or 'mode=plan')
    end
    if option == 'permission_mode' then
      local canonical
      for _, mode in ipairs(config.permission_modes) do
        if mode:lower() == value:lower() then
          canonical = mode
        end
      end
      if not canonical then
        return nil, ('unknown permission mode %q: one of %s'):format(value, table.concat(config.permission_modes, ', '))
      end
      value = canonical
    end
    options[option] = value
    rest = after
  end
end

--- Completion of :ClaudeSessionNew and :ClaudeSessionResume: `model=` and `mode=` while only options are typed,
--- and their values (the CLI's model aliases, the permission modes) after the `=`.
function M.complete_command_options(arglead, cmdline, cursorpos)
  -- The arguments before the one being completed (the command's name, with any !, is the first word).
  local before = vim.split(vim.trim(cmdline:sub(1, cursorpos or #cmdline):sub(1, -#arglead - 1)), '%s+')
  local given = {}
  for index = 2, #before do
    local name = before[index]:match('^([%a_][%w_]*)=')
    if not name or not COMMAND_OPTIONS[name] then
      return {} -- past the options: a session id or the prompt
    end
    given[name] = true
  end
  local candidates = {}
  local name = arglead:match('^([%a_][%w_]*)=')
  if name == 'model' or name == 'mode' then
    for _, value in ipairs(name == 'model' and config.models or config.permission_modes) do
      table.insert(candidates, name .. '=' .. value)
    end
  else
    for _, option in ipairs({ 'model', 'mode' }) do
      if not given[option] then
        table.insert(candidates, option .. '=')
      end
    end
  end
  return vim.tbl_filter(function(candidate)
    return candidate:lower():sub(1, #arglead) == arglead:lower()
  end, candidates)
end

--- :ClaudeSessionNew [model=M] [mode=P] [prompt]
function M.command_new(args)
  local options, prompt = M.parse_command_options(args)
  if not options then
    command_error(prompt)
    return
  end
  local function start(text)
    M.new({ prompt = text, model = options.model, permission_mode = options.permission_mode })
  end
  if prompt ~= '' then
    start(prompt)
    return
  end
  vim.ui.input({ prompt = 'Prompt for the new session: ' }, function(text)
    if text ~= nil then
      start(text)
    end
  end)
end

--- :ClaudeSessionResume[!] [model=M] [mode=P] [session-id [prompt]]
function M.command_resume(args, bang)
  local options, rest = M.parse_command_options(args)
  if not options then
    command_error(rest)
    return
  end
  local session_id, prompt = rest:match('^(%x+%-%x+%-%x+%-%x+%-%x+)%s*(.*)$')
  if session_id then
    if prompt ~= '' then
      M.resume({ session_id = session_id, prompt = prompt, model = options.model, permission_mode = options.permission_mode })
    else
      ask_prompt_and_resume({ sessionId = session_id }, options)
    end
    return
  end
  if rest ~= '' then
    command_error(('not a session id: %q (:ClaudeSessionResume [model=M] [mode=P] [session-id [prompt]])'):format(rest))
    return
  end
  M.resume_pick({ all = bang, model = options.model, permission_mode = options.permission_mode })
end

-- A new folder (:cd) gets its spare too, once a server runs.
vim.api.nvim_create_autocmd('DirChanged', {
  group = vim.api.nvim_create_augroup('claude_sessions_prepare', { clear = true }),
  callback = function()
    local server = server_mod.current
    if config.options.prepare and server and server.ready and server.rpc:is_running() then
      M.prepare()
    end
  end,
})

vim.api.nvim_create_autocmd('VimLeavePre', {
  group = vim.api.nvim_create_augroup('claude_sessions_exit', { clear = true }),
  callback = function()
    server_mod.stop(nil, { wait = true, grace = 1500 })
  end,
})

return M
