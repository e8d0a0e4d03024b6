-- Specs for claude_sessions, run in real headless Neovim against the real server, the real Claude Code CLI and
-- the fake Messages API (test/run.sh sets that up and passes it in the environment). A tiny runner: each spec is
-- pcall'ed, one line per spec, then exactly `N passed, N failed`; `cquit 1` when anything failed.
local uv = vim.loop
local env = vim.env

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local specs = {}
local function spec(name, fn)
  table.insert(specs, { name = name, fn = fn })
end

local function wait_for(ms, what, condition)
  if not vim.wait(ms, condition, 20) then
    error('timed out after ' .. ms .. ' ms waiting for ' .. what, 2)
  end
end

local function text_of(buf)
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return ''
  end
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

local function count(haystack, needle)
  local n, from = 0, 1
  while true do
    local at = haystack:find(needle, from, true)
    if not at then
      return n
    end
    n, from = n + 1, at + #needle
  end
end

local function expect(condition, message)
  if not condition then
    error(message, 2)
  end
end

local function reply_to(prompt)
  return ('reply to: %s (%d chars)'):format(prompt:sub(1, 60), #prompt)
end

-- Notifications are recorded (and echoed) so specs can check what the user was told.
local notifications = {}
vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level })
  out('    notify: ' .. tostring(message))
end

local TURN_MS = 60000

--- Makes the next cs.new/cs.resume (also when called by a command) hand its turn to the returned getter.
local function capture_next_turn(cs_module)
  local captured
  for _, name in ipairs({ 'new', 'resume' }) do
    local original = cs_module[name]
    cs_module[name] = function(opts)
      cs_module.new, cs_module.resume = cs_module._original_new, cs_module._original_resume
      opts = vim.tbl_extend('force', opts or {}, { on_start = function(turn)
        captured = turn
      end })
      return original(opts)
    end
  end
  return function()
    return captured
  end
end

--- Waits for a captured turn to end, and fails at once if it ended with an error.
--- The plugin's server, started if need be, once it has answered initialize.
local function running_server()
  local server
  require('claude_sessions.server').with_server(function(s)
    server = s
  end)
  wait_for(30000, 'the server', function()
    return server ~= nil
  end)
  return server
end

local function wait_turn(get_turn, ms)
  wait_for(ms or TURN_MS, 'the turn to end', function()
    return get_turn() ~= nil and get_turn().done
  end)
  local turn = get_turn()
  if turn.error then
    error('the turn failed: ' .. vim.inspect(turn.error), 2)
  end
  return turn
end

local UUID = '^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$'
local state = {}
local cs

spec('the plugin loads, defines its commands, and setup() validates its options', function()
  vim.cmd('runtime plugin/claude_sessions.lua')
  for _, name in ipairs({ 'ClaudeSessionNew', 'ClaudeSessionResume', 'ClaudeSessionList', 'ClaudeSessionSearch', 'ClaudeSessionCancel' }) do
    expect(vim.fn.exists(':' .. name) == 2, name .. ' is not defined')
  end
  expect(package.loaded['claude_sessions'] == nil, 'the plugin file should not require the module eagerly')
  cs = require('claude_sessions')
  cs._original_new, cs._original_resume = cs.new, cs.resume
  expect(not pcall(cs.setup, { list_limit = 0 }), 'list_limit = 0 was accepted')
  expect(not pcall(cs.setup, { server_cmd = 42 }), 'server_cmd = 42 was accepted')
  expect(not pcall(cs.setup, { open = 'sideways' }), "open = 'sideways' was accepted")
  expect(not pcall(cs.setup, { no_such_option = true }), 'an unknown option was accepted')
  expect(not pcall(cs.setup, { permission_keys = { allow = 'd' } }), 'a key for both allow and deny was accepted')
  expect(not pcall(cs.setup, { permission_keys = { maybe = 'm' } }), 'an unknown permission key action was accepted')
  local keys = require('claude_sessions.config').setup({ permission_keys = { allow = 'y' } }).permission_keys
  expect(vim.deep_equal(keys, { allow = 'y', deny = { 'd', 'q', '<Esc>' } }), 'deny lost its defaults: ' .. vim.inspect(keys))
  cs.setup({
    -- SIDECAR_SERVER: a native executable (the NativeAOT build test.sh runs the suite on); else the dll.
    server_cmd = env.SIDECAR_SERVER and { env.SIDECAR_SERVER } or { 'dotnet', env.SIDECAR_DLL },
    server_args = { '--store', env.SPEC_STORE, '--turn-timeout', '120' },
    claude_path = env.CLAUDE_SIDECAR_CLAUDE_PATH,
    env = { CLAUDE_CONFIG_DIR = env.SPEC_CLAUDE_CONFIG_DIR },
    log_file = env.SPEC_LOG,
    log_level = 'debug',
    cwd = env.SPEC_WORKSPACE,
    on_permission = 'deny',
  })
end)

spec(':checkhealth claude_sessions reports the server and the CLI with their versions', function()
  vim.cmd('silent checkhealth claude_sessions')
  local report = text_of(vim.api.nvim_get_current_buf())
  vim.cmd('bwipeout!')
  expect(report:find('server version: ClaudeSessionSidecar %d'), 'no server version in:\n' .. report)
  expect(report:find('Claude Code CLI: ' .. vim.pesc(env.CLAUDE_SIDECAR_CLAUDE_PATH) .. ', version %d+%.%d+'),
    'no CLI version in:\n' .. report)
  expect(not report:find('ERROR'), 'an error in:\n' .. report)
end)

spec('setup() asks the server for a spare CLI in the folder (session/prepare), and $/cancelRequest is known', function()
  local server = running_server()
  expect(server.methods['session/prepare'], 'the server does not advertise session/prepare')
  expect(server.methods['$/cancelRequest'], 'capabilities.cancelRequest was not read')
  local prepared
  cs.prepare({ on_done = function(ok) prepared = ok end })
  wait_for(30000, 'the answer to session/prepare', function()
    return prepared ~= nil
  end)
  expect(prepared == true, 'session/prepare did not prepare a spare')
end)

spec(':ClaudeSessionNew starts a session; its reply streams into a buffer; its id is known', function()
  local prompt = 'hello from the nvim spec'
  local get_turn = capture_next_turn(cs)
  vim.cmd('ClaudeSessionNew ' .. prompt)
  local buf = wait_turn(get_turn).buf
  expect(text_of(buf):find(reply_to(prompt), 1, true), 'no reply in:\n' .. text_of(buf))
  expect(text_of(buf):find('-- done', 1, true), 'not shown done:\n' .. text_of(buf))
  expect(count(text_of(buf), reply_to(prompt)) == 1, 'the reply is not shown exactly once:\n' .. text_of(buf))
  local session_id = vim.b[buf].claude_session_id
  expect(type(session_id) == 'string' and session_id:match(UUID), 'no session id on the buffer: ' .. tostring(session_id))
  expect(vim.api.nvim_buf_get_name(buf):find(session_id, 1, true), 'the buffer is not named after the session')
  expect(cs.session_buffer(session_id) == buf, 'session_buffer() does not know it')
  expect(#vim.fn.win_findbuf(buf) > 0, 'the buffer is not shown in a window')
  state.session_id, state.buf, state.prompt = session_id, buf, prompt
  state.pid = cs.server().pid
end)

spec(':ClaudeSessionList shows the session', function()
  expect(state.session_id, 'needs the session of the create spec')
  vim.cmd('ClaudeSessionList')
  local buf
  wait_for(30000, 'the list buffer with the session', function()
    buf = vim.fn.bufnr('claude://sessions')
    return buf ~= -1 and text_of(buf):find(state.session_id, 1, true) ~= nil
  end)
  local line
  for _, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find(state.session_id, 1, true) then
      line = l
    end
  end
  out('    list: ' .. line)
  expect(line:find('resumable', 1, true) and not line:find('NOT resumable', 1, true), 'not shown resumable: ' .. line)
  expect(line:find(state.prompt, 1, true), 'no title in: ' .. line)
end)

spec(':ClaudeSessionResume picks the session and continues it (the second reply appears, history kept)', function()
  expect(state.session_id, 'needs the session of the create spec')
  local offered
  local original_select, original_input = vim.ui.select, vim.ui.input
  local prompt = 'second prompt please'
  vim.ui.select = function(items, opts, on_choice)
    offered = items
    for _, item in ipairs(items) do
      if item.sessionId == state.session_id then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.ui.input = function(opts, on_confirm)
    on_confirm(prompt)
  end
  local get_turn = capture_next_turn(cs)
  local ok, err = pcall(function()
    vim.cmd('ClaudeSessionResume')
    wait_for(30000, 'vim.ui.select', function()
      return offered ~= nil
    end)
  end)
  vim.ui.select, vim.ui.input = original_select, original_input
  assert(ok, err)
  local turn = wait_turn(get_turn)
  expect(turn.buf == state.buf, 'the resumed turn went to another buffer')
  expect(turn.result.sessionId == state.session_id, 'another session id: ' .. tostring(turn.result.sessionId))
  local text = text_of(state.buf)
  out('    buffer:\n      ' .. text:gsub('\n', '\n      '))
  expect(count(text, reply_to(prompt)) == 1, 'the second reply is not shown exactly once:\n' .. text)
  expect(text:find(reply_to(state.prompt), 1, true), 'the first reply is gone from the buffer')
  -- The transcript the CLI resumed holds both turns: the history went on, not a new conversation.
  local status
  cs.server().rpc:request('session/status', { sessionId = state.session_id }, function(e, r)
    status = r or { error = e }
  end)
  wait_for(30000, 'session/status', function()
    return status ~= nil
  end)
  expect(status.resumable == true, 'not resumable after the second turn: ' .. vim.inspect(status))
  local file = io.open(status.filePath, 'r')
  local transcript = file:read('*a')
  file:close()
  expect(transcript:find(state.prompt, 1, true) and transcript:find(reply_to(prompt), 1, true),
    'the transcript does not hold both turns')
end)

spec(':ClaudeSessionList says why a session cannot be resumed', function()
  expect(state.session_id, 'needs the session of the create spec')
  expect(running_server().methods['session/list'], 'the server does not advertise session/list')
  local gone
  cs.new({ prompt = 'a session whose transcript goes away', on_start = function(turn)
    gone = turn
  end })
  wait_for(TURN_MS, 'the session to end', function()
    return gone ~= nil and gone.done
  end)
  expect(gone.result and gone.result.status.filePath, 'no transcript path: ' .. vim.inspect(gone.result))
  assert(os.remove(gone.result.status.filePath))
  local full
  cs.fetch_sessions({}, function(_, _, f)
    full = f
  end)
  wait_for(30000, 'the sessions', function()
    return full ~= nil
  end)
  vim.cmd('ClaudeSessionList')
  local buf = vim.fn.bufnr('claude://sessions')
  expect(full, 'the sessions did not come from session/list')
  wait_for(30000, 'the refreshed list', function()
    return text_of(buf):find(state.session_id, 1, true) ~= nil and text_of(buf):find(gone.session_id, 1, true) ~= nil
  end)
  local text = text_of(buf)
  expect(text:find(vim.pesc(gone.session_id) .. '.-NOT resumable: session_file_missing'), 'no reason in:\n' .. text)
end)

spec(':ClaudeSessionSearch lists the sessions that hold the words, with the matching messages; <CR> resumes', function()
  expect(state.session_id, 'needs the session of the create spec')
  expect(running_server().methods['session/search'], 'the server does not advertise session/search')
  vim.cmd('ClaudeSessionSearch NVIM "from the"')
  local buf
  wait_for(30000, 'the search buffer with the session', function()
    buf = vim.fn.bufnr('claude://search')
    return buf ~= -1 and text_of(buf):find(state.session_id, 1, true) ~= nil
  end)
  local text = text_of(buf)
  out('    search:\n' .. text)
  expect(text:find('you: ' .. state.prompt, 1, true), 'no snippet of the prompt in:\n' .. text)
  expect(text:find(vim.pesc(state.session_id) .. '.-resumable'), 'no status in:\n' .. text)
  local snippet_line
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find('you: ', 1, true) then
      snippet_line = i
    end
  end
  local asked
  local original_input = vim.ui.input
  vim.ui.input = function(opts)
    asked = opts.prompt
  end
  vim.api.nvim_set_current_win(vim.fn.win_findbuf(buf)[1])
  vim.api.nvim_win_set_cursor(0, { snippet_line, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  vim.ui.input = original_input
  expect(asked and asked:find('Prompt for', 1, true), '<CR> on a match did not ask for a prompt: ' .. tostring(asked))

  -- Words are whole, and a search that finds nothing says so.
  vim.cmd('ClaudeSessionSearch nvi')
  wait_for(30000, 'the empty search', function()
    return text_of(buf):find('holding "nvi"', 1, true) ~= nil
  end)
  expect(text_of(buf):find('(none)', 1, true) and not text_of(buf):find(state.session_id, 1, true), 'nvi found:\n' .. text_of(buf))
end)

spec('a turn the server refuses ends with its error code (cs.error_codes) and data.reason', function()
  local function refused(session_id)
    local turn
    cs.resume({ session_id = session_id, prompt = 'hello?', on_start = function(t)
      turn = t
    end })
    wait_for(30000, 'the refusal', function()
      return turn ~= nil and turn.done
    end)
    expect(turn.error, 'no error: ' .. vim.inspect(turn.result))
    return turn
  end
  local unknown = refused('6b62f9de-7295-48dc-a429-786fb72a0f99')
  expect(cs.error_codes.NOT_RESUMABLE == -31001, 'NOT_RESUMABLE is ' .. tostring(cs.error_codes.NOT_RESUMABLE))
  expect(unknown.error.code == cs.error_codes.NOT_RESUMABLE and unknown.error.data.reason == 'metadata_not_found',
    'unexpected error: ' .. vim.inspect(unknown.error))
  expect(text_of(unknown.buf):find('-- error -31001: ', 1, true), 'not shown in its buffer:\n' .. text_of(unknown.buf))
  local invalid = refused('not-a-uuid')
  expect(invalid.error.code == cs.error_codes.INVALID_PARAMS and invalid.error.data.reason == 'invalid_params'
    and invalid.error.data.parameter == 'sessionId', 'unexpected error: ' .. vim.inspect(invalid.error))
end)

-- Permission requests for file edits: a floating diff with keys -----------------------------------------------

local EIGHT_LINES = 'line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\n'
local HEADING = 'Claude wants to run %s.  a: allow  d/q/<Esc>: deny'

local function write_file(path, text)
  local file = assert(io.open(path, 'w'))
  file:write(text)
  file:close()
end

local function read_file(path)
  local file = io.open(path, 'r')
  if not file then
    return nil
  end
  local text = file:read('*a')
  file:close()
  return text
end

--- Runs a turn with on_permission = 'ask' (the suite's setup denies without asking) and hands fn(get_turn) the
--- getter of its turn.
local function asking(prompt, fn)
  local options = require('claude_sessions.config').options
  local before = options.on_permission
  options.on_permission = 'ask'
  local turn
  local ok, err = pcall(function()
    cs.new({ prompt = prompt, on_start = function(t)
      turn = t
    end })
    fn(function()
      return turn
    end)
  end)
  options.on_permission = before
  if not ok then
    error(err, 0)
  end
end

local function floating_windows()
  return vim.tbl_filter(function(win)
    return vim.api.nvim_win_get_config(win).relative ~= ''
  end, vim.api.nvim_list_wins())
end

--- Waits for the permission float; returns its window and lines, after checking it is floating, focused, a diff.
local function permission_float()
  wait_for(TURN_MS, 'the permission float', function()
    return #floating_windows() > 0
  end)
  local wins = floating_windows()
  expect(#wins == 1, #wins .. ' floating windows')
  local win = wins[1]
  local buf = vim.api.nvim_win_get_buf(win)
  expect(vim.api.nvim_win_get_config(win).relative == 'editor', 'not a float over the editor')
  expect(vim.api.nvim_get_current_win() == win, 'the float does not have the focus')
  expect(vim.api.nvim_buf_get_option(buf, 'filetype') == 'diff', 'filetype ' .. vim.api.nvim_buf_get_option(buf, 'filetype'))
  return win, vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function expect_lines(actual, expected)
  expect(vim.deep_equal(actual, expected), ('the float shows\n  %s\nnot\n  %s'):format(
    table.concat(actual, '\n  '), table.concat(expected, '\n  ')))
end

local function press(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'x', false)
end

local function ended_without_float(get_turn, answer)
  local turn = wait_turn(get_turn)
  expect(#floating_windows() == 0, 'the float is still open')
  expect(text_of(turn.buf):find('[permission for ' .. answer, 1, true), 'no answer in the buffer:\n' .. text_of(turn.buf))
  return turn
end

spec('a Write over a file shows the floating diff; the allow key writes the file', function()
  local path = env.SPEC_WORKSPACE .. '/eight.txt'
  write_file(path, EIGHT_LINES)
  asking('[write:' .. path .. ']', function(get_turn)
    local win, lines = permission_float()
    local expected = { HEADING:format('Write'), '--- a/eight.txt', '+++ b/eight.txt', '@@ -1,8 +1,1 @@' }
    for i = 1, 8 do
      table.insert(expected, '-line' .. i)
    end
    vim.list_extend(expected, { '+written by the fake model', '\\ No newline at end of file' })
    expect_lines(lines, expected)
    press('a')
    expect(not vim.api.nvim_win_is_valid(win), 'the float did not close on allow')
    ended_without_float(get_turn, 'Write: allowed')
  end)
  expect(read_file(path) == 'written by the fake model', 'not written: ' .. tostring(read_file(path)))
end)

spec('an Edit shows its hunk in the floating diff; the deny key leaves the file as it was and the turn ends', function()
  local path = env.SPEC_WORKSPACE .. '/edit.txt'
  write_file(path, EIGHT_LINES)
  asking('[edit:' .. path .. '|line5|LINE FIVE]', function(get_turn)
    local _, lines = permission_float()
    expect_lines(lines, { HEADING:format('Edit'), '--- a/edit.txt', '+++ b/edit.txt', '@@ -2,7 +2,7 @@',
      ' line2', ' line3', ' line4', '-line5', '+LINE FIVE', ' line6', ' line7', ' line8' })
    press('d')
    local turn = ended_without_float(get_turn, 'Edit: denied')
    -- The fake model answers with the tool's result: the denial, with the plugin's message.
    local said = tostring(turn.result.result.text)
    expect(said:find('Denied by the user in Neovim', 1, true), 'the model was told: ' .. said)
  end)
  expect(read_file(path) == EIGHT_LINES, 'the file changed: ' .. tostring(read_file(path)))
end)

spec('a new file is all added lines; closing the float another way (:close) denies', function()
  local path = env.SPEC_WORKSPACE .. '/fresh.txt'
  os.remove(path)
  asking('[write:' .. path .. ']', function(get_turn)
    local _, lines = permission_float()
    expect_lines(lines, { HEADING:format('Write'), '--- /dev/null', '+++ b/fresh.txt', '@@ -0,0 +1,1 @@',
      '+written by the fake model', '\\ No newline at end of file' })
    vim.cmd('close')
    ended_without_float(get_turn, 'Write: denied')
  end)
  expect(read_file(path) == nil, 'the file was created although the window was closed')
end)

spec('a file outside the workspace shows only its path and why; <Esc> denies', function()
  local path = env.HOME .. '/outside-' .. uv.getpid() .. '.txt'
  os.remove(path)
  asking('[write:' .. path .. ']', function(get_turn)
    local _, lines = permission_float()
    expect_lines(lines, { HEADING:format('Write'), path,
      "The change is not shown: the file is outside the session's working directory." })
    press('<Esc>')
    ended_without_float(get_turn, 'Write: denied')
  end)
  expect(read_file(path) == nil, 'the file outside the workspace was written')
end)

spec('a permission float stays while another session opens; it closes (denied) when its turn is cancelled', function()
  local path = env.SPEC_WORKSPACE .. '/cancelled.txt'
  os.remove(path)
  asking('[write:' .. path .. ']', function(get_turn)
    local win = permission_float()
    local other
    cs.new({ prompt = 'while a float is open', on_start = function(t)
      other = t
    end })
    wait_turn(function()
      return other
    end)
    expect(vim.api.nvim_win_is_valid(win) and vim.api.nvim_win_get_buf(win) ~= other.buf, 'the float was replaced')
    expect(#vim.fn.win_findbuf(other.buf) == 1 and vim.api.nvim_win_get_config(vim.fn.win_findbuf(other.buf)[1]).relative == '',
      'the other session is not in a normal window')
    cs.cancel({ session_id = get_turn().session_id })
    wait_for(40000, 'the turn to end', function()
      return get_turn().done
    end)
    expect(#floating_windows() == 0, 'the float outlived its turn')
    expect(get_turn().cancelled, 'not cancelled: ' .. text_of(get_turn().buf))
  end)
  expect(read_file(path) == nil, 'the file was written')
end)

-- :ClaudeSessionNew / :ClaudeSessionResume model= mode= -------------------------------------------------------

--- The CLI's init messages of the turns run by fn (they name the model and the permission mode the CLI runs with).
local function init_messages(fn)
  local inits = {}
  cs.on_message = function(_, message)
    if message.type == 'system' and message.subtype == 'init' then
      table.insert(inits, message)
    end
  end
  local ok, err = pcall(fn)
  cs.on_message = nil
  if not ok then
    error(err, 0)
  end
  return inits
end

spec(':ClaudeSessionNew model=haiku mode=acceptEdits reaches the CLI: a Write runs without a permission request', function()
  local path = env.SPEC_WORKSPACE .. '/accepted.txt'
  os.remove(path)
  local turn
  local inits = init_messages(function()
    local get_turn = capture_next_turn(cs)
    vim.cmd('ClaudeSessionNew model=haiku mode=acceptEdits [write:' .. path .. ']')
    turn = wait_turn(get_turn)
  end)
  expect(#inits >= 1, 'no init message')
  expect(inits[1].permissionMode == 'acceptEdits', 'the CLI runs in mode ' .. tostring(inits[1].permissionMode))
  expect(tostring(inits[1].model):find('haiku', 1, true), 'the CLI runs model ' .. tostring(inits[1].model))
  -- The suite's on_permission is 'deny': the file is there only because acceptEdits asked nothing.
  expect(read_file(path) == 'written by the fake model', 'not written: ' .. tostring(read_file(path)))
  expect(not text_of(turn.buf):find('[permission for', 1, true), 'a permission was asked:\n' .. text_of(turn.buf))
  state.accepted_session = turn.session_id
end)

spec(':ClaudeSessionResume model=<any name> mode=plan <id> passes both on; the prompt after them is the prompt', function()
  expect(state.accepted_session, 'needs the session of the acceptEdits spec')
  local prompt = 'planning from nvim'
  local turn
  local inits = init_messages(function()
    local get_turn = capture_next_turn(cs)
    vim.cmd('ClaudeSessionResume model=claude-nvim-spec-model mode=PLAN ' .. state.accepted_session .. ' ' .. prompt)
    turn = wait_turn(get_turn)
  end)
  expect(#inits >= 1, 'no init message')
  expect(inits[#inits].permissionMode == 'plan', 'the CLI runs in mode ' .. tostring(inits[#inits].permissionMode))
  expect(inits[#inits].model == 'claude-nvim-spec-model', 'the CLI runs model ' .. tostring(inits[#inits].model))
  expect(text_of(turn.buf):find(reply_to(prompt), 1, true), 'no reply to the prompt:\n' .. text_of(turn.buf))
end)

spec('the model= and mode= arguments complete', function()
  local function completes(line, expected)
    local got = vim.fn.getcompletion(line, 'cmdline')
    expect(vim.deep_equal(got, expected), ('%q completes to %s'):format(line, vim.inspect(got)))
  end
  completes('ClaudeSessionNew ', { 'model=', 'mode=' })
  completes('ClaudeSessionNew model=', { 'model=opus', 'model=sonnet', 'model=haiku' })
  completes('ClaudeSessionNew model=so', { 'model=sonnet' })
  completes('ClaudeSessionResume! model=opus mode=', { 'mode=default', 'mode=acceptEdits', 'mode=auto',
    'mode=bypassPermissions', 'mode=manual', 'mode=dontAsk', 'mode=plan' })
  completes('ClaudeSessionResume mode=plan m', { 'model=' })
  completes('ClaudeSessionNew explain this mo', {})
end)

spec('a bad model= or mode= is an error message, and nothing starts', function()
  local running = #cs.running()
  for _, line in ipairs({ 'ClaudeSessionNew mode=sideways hello', 'ClaudeSessionNew mdoe=plan hello',
    'ClaudeSessionResume model= ' .. (state.session_id or ''), 'ClaudeSessionResume! mode=plan mode=auto' }) do
    notifications = {}
    local ok, err = pcall(vim.cmd, line)
    expect(ok, line .. ' raised: ' .. tostring(err))
    expect(#notifications == 1 and notifications[1].level == vim.log.levels.ERROR, line .. ': ' .. vim.inspect(notifications))
    expect(#cs.running() == running, line .. ' started a turn')
  end
  notifications = {}
  vim.cmd('ClaudeSessionNew mode=sideways hello')
  expect(notifications[1].message:find('unknown permission mode "sideways": one of default, acceptEdits', 1, true),
    notifications[1].message)
end)

spec(':ClaudeSessionCancel stops a slow turn', function()
  local server = running_server()
  expect(server.methods['session/cancel'], 'the server does not advertise session/cancel')
  expect(server.info.capabilities.cancelRequest == true, 'the server does not advertise $/cancelRequest')
  local prompt = '[slow:60000] take your time'
  local started = uv.now()
  vim.cmd('ClaudeSessionNew ' .. prompt)
  local turn
  wait_for(TURN_MS, 'the session to be announced', function()
    turn = cs.running()[1]
    return turn ~= nil and turn.session_id ~= nil
  end)
  vim.api.nvim_set_current_buf(turn.buf)
  vim.cmd('ClaudeSessionCancel')
  wait_for(40000, 'the turn to end', function()
    return turn.done
  end)
  local text = text_of(turn.buf)
  expect(text:find('-- cancelled', 1, true), 'not shown cancelled:\n' .. text)
  expect(not text:find(reply_to(prompt), 1, true), 'the slow reply arrived anyway')
  expect(uv.now() - started < 55000, 'the cancel did not shorten the turn')
end)

spec('a server that dies is reported, and the next command starts it again', function()
  local server = cs.server()
  expect(server and server.rpc:is_running(), 'no running server')
  local pid = server.pid
  notifications = {}
  uv.kill(pid, 'sigkill')
  wait_for(15000, 'the plugin to notice', function()
    return cs.server() == nil
  end)
  local told = false
  for _, n in ipairs(notifications) do
    if n.level == vim.log.levels.ERROR and n.message:find('exited unexpectedly', 1, true) then
      told = true
    end
  end
  expect(told, 'the user was not told the server died')
  local prompt = 'after the crash'
  local get_turn = capture_next_turn(cs)
  vim.cmd('ClaudeSessionNew ' .. prompt)
  local buf = wait_turn(get_turn).buf
  expect(text_of(buf):find(reply_to(prompt), 1, true), 'no reply after the restart:\n' .. text_of(buf))
  expect(cs.server() and cs.server().pid ~= pid, 'not a new server process')
end)

spec('a turn in flight when the server dies ends with an error in its buffer', function()
  local prompt = '[slow:4000] interrupted by a crash'
  vim.cmd('ClaudeSessionNew ' .. prompt)
  local turn
  wait_for(TURN_MS, 'the session to be announced', function()
    turn = cs.running()[1]
    return turn ~= nil and turn.session_id ~= nil
  end)
  uv.kill(cs.server().pid, 'sigkill')
  wait_for(15000, 'the turn to end', function()
    return turn.done
  end)
  expect(text_of(turn.buf):find('-- error', 1, true), 'no error shown:\n' .. text_of(turn.buf))
  expect(turn.error and turn.error.data.reason == 'server_exited', 'unexpected error: ' .. vim.inspect(turn.error))
end)

spec('stop() ends the server with shutdown and exit (exit code 0)', function()
  local server = running_server()
  notifications = {}
  cs.stop({ wait = true })
  expect(not server.rpc:is_running(), 'still running')
  wait_for(5000, 'the exit code', function()
    return server.exit_code ~= nil
  end)
  expect(server.exit_code == 0 and (server.exit_signal or 0) == 0,
    ('exit code %s, signal %s'):format(server.exit_code, server.exit_signal))
  expect(#notifications == 0, 'a deliberate stop was reported as a crash')
end)

local passed, failed = 0, 0
for _, s in ipairs(specs) do
  local started = uv.now()
  local ok, err = xpcall(s.fn, function(e)
    return debug.traceback(tostring(e), 2)
  end)
  local took = ('(%.1fs)'):format((uv.now() - started) / 1000)
  if ok then
    passed = passed + 1
    out(('ok   - %s %s'):format(s.name, took))
  else
    failed = failed + 1
    out(('FAIL - %s %s\n%s'):format(s.name, took, tostring(err)))
  end
end

pcall(function()
  require('claude_sessions').stop({ wait = true })
end)
out(('%d passed, %d failed'):format(passed, failed))
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qa!')
end
