-- Options of require('claude_sessions').setup(), their defaults and their validation.
local M = {}

local function defaults()
  return {
    -- The server: a command list, a command string, or the path of ClaudeSessionSidecar.dll (run with dotnet).
    -- nil: `claude-session-sidecar` (the dotnet tool) on PATH or in ~/.dotnet/tools.
    server_cmd = nil,
    -- Extra arguments for the server (--store DIR, --turn-timeout SECONDS, --claude-config-dir DIR, ...).
    server_args = {},
    -- The Claude Code CLI (the server's --claude-path). nil: the server looks for it.
    claude_path = nil,
    -- Extra environment for the server, which passes it on to the CLI (ANTHROPIC_BASE_URL, proxies, ...).
    env = {},
    -- Where the server's stderr (its log) and this plugin's own notes go.
    log_file = vim.fn.stdpath('cache') .. '/claude_sessions.log',
    -- The server's --log-level: 'debug' | 'info' | 'warning' | 'error' | 'none'. nil: the server's default.
    log_level = nil,
    -- The working directory of new sessions and of the lists: a path or a function returning one. nil: the
    -- current directory.
    cwd = nil,
    -- Where a session's buffer opens: 'split' | 'vsplit' | 'tab' | 'current' | 'none'.
    open = 'split',
    -- How many sessions :ClaudeSessionResume and :ClaudeSessionList show.
    list_limit = 50,
    -- Also offer the sessions the CLI made without this server (found in its projects folder).
    include_external = true,
    -- Ask the server for the CLI's partial chunks (stream_event), so text appears as it is generated rather
    -- than a whole message at a time. Older servers ignore it.
    partial_messages = true,
    -- Model and permission mode of new turns (nil: the CLI's defaults).
    model = nil,
    permission_mode = nil,
    -- On setup() and on :cd, ask the server for a spare CLI process in the folder (session/prepare), so that the
    -- first reply of a new session comes sooner. It starts the server at setup; false waits for the first use.
    prepare = true,
    -- The server asking whether a tool may run (session/requestPermission): 'ask' (vim.ui.select, dismissing
    -- it denies), 'deny', or function(request, respond) where respond({allow = bool, message? = string}).
    on_permission = 'ask',
    -- The keys of the floating window that shows a file edit's proposed change as a diff (with on_permission =
    -- 'ask', for Write, Edit, MultiEdit and NotebookEdit): each a key or a list of keys. Either answers and closes
    -- the window; closing it any other way denies.
    permission_keys = { allow = { 'a' }, deny = { 'd', 'q', '<Esc>' } },
  }
end

M.options = defaults()

--- The CLI's --model aliases (any other model name is passed through as it is), for completion.
M.models = { 'opus', 'sonnet', 'haiku' }
--- The server's permissionMode values.
M.permission_modes = { 'default', 'acceptEdits', 'auto', 'bypassPermissions', 'manual', 'dontAsk', 'plan' }

local function list_of_strings(value)
  if type(value) ~= 'table' then
    return false
  end
  for _, item in ipairs(value) do
    if type(item) ~= 'string' then
      return false
    end
  end
  return true
end

--- permission_keys: only allow and deny, each a non-empty key or list of keys, and no key for both (also once
--- merged over the defaults).
local function valid_permission_keys(v)
  if v == nil then
    return true
  end
  if type(v) ~= 'table' then
    return false
  end
  local seen = {}
  for action, keys in pairs(vim.tbl_extend('force', defaults().permission_keys, v)) do
    if action ~= 'allow' and action ~= 'deny' then
      return false
    end
    keys = type(keys) == 'string' and { keys } or keys
    if not list_of_strings(keys) or #keys == 0 then
      return false
    end
    for _, key in ipairs(keys) do
      if key == '' or seen[key] then
        return false
      end
      seen[key] = true
    end
  end
  return true
end

local function one_of(...)
  local allowed = { ... }
  return function(value)
    if value == nil then
      return true
    end
    return vim.tbl_contains(allowed, value)
  end, table.concat(allowed, '|')
end

--- Checks `opts` (errors on a bad or unknown option) and merges it over the defaults.
function M.setup(opts)
  opts = opts or {}
  vim.validate({ opts = { opts, 'table' } })
  local known = {
    server_cmd = true, server_args = true, claude_path = true, env = true, log_file = true, log_level = true,
    cwd = true, open = true, list_limit = true, include_external = true, model = true, permission_mode = true,
    on_permission = true, partial_messages = true, prepare = true, permission_keys = true,
  }
  for key in pairs(opts) do
    if not known[key] then
      error(('claude_sessions.setup: unknown option %q'):format(tostring(key)), 2)
    end
  end
  local log_level_ok, log_level_names = one_of('debug', 'info', 'warning', 'error', 'none')
  local open_ok, open_names = one_of('split', 'vsplit', 'tab', 'current', 'none')
  local mode_ok, mode_names = one_of((table.unpack or unpack)(M.permission_modes))
  vim.validate({
    server_cmd = {
      opts.server_cmd,
      function(v)
        return v == nil or (type(v) == 'string' and v ~= '') or (list_of_strings(v) and #v > 0)
      end,
      'a command string, a non-empty list of strings, or the path of ClaudeSessionSidecar.dll',
    },
    server_args = { opts.server_args, function(v) return v == nil or list_of_strings(v) end, 'a list of strings' },
    claude_path = { opts.claude_path, 'string', true },
    env = {
      opts.env,
      function(v)
        if v == nil then
          return true
        end
        if type(v) ~= 'table' then
          return false
        end
        for key, value in pairs(v) do
          if type(key) ~= 'string' or (type(value) ~= 'string' and type(value) ~= 'number') then
            return false
          end
        end
        return true
      end,
      'a table of NAME = string',
    },
    log_file = { opts.log_file, 'string', true },
    log_level = { opts.log_level, log_level_ok, log_level_names },
    cwd = { opts.cwd, { 'string', 'function' }, true },
    open = { opts.open, open_ok, open_names },
    list_limit = {
      opts.list_limit,
      function(v) return v == nil or (type(v) == 'number' and v >= 1 and v <= 1000 and v == math.floor(v)) end,
      'an integer from 1 to 1000',
    },
    include_external = { opts.include_external, 'boolean', true },
    partial_messages = { opts.partial_messages, 'boolean', true },
    prepare = { opts.prepare, 'boolean', true },
    model = { opts.model, 'string', true },
    permission_mode = { opts.permission_mode, mode_ok, mode_names },
    on_permission = {
      opts.on_permission,
      function(v) return v == nil or v == 'ask' or v == 'deny' or type(v) == 'function' end,
      "'ask', 'deny' or a function",
    },
    permission_keys = { opts.permission_keys, valid_permission_keys, '{ allow = key(s), deny = key(s) }, no key in both' },
  })
  M.options = vim.tbl_extend('force', defaults(), opts)
  -- Giving one action's keys keeps the other's defaults.
  M.options.permission_keys = vim.tbl_extend('force', defaults().permission_keys, opts.permission_keys or {})
  return M.options
end

--- A key or list of keys as a list.
function M.key_list(keys)
  return type(keys) == 'string' and { keys } or keys
end

--- The working directory for new sessions and lists, made absolute.
function M.cwd()
  local cwd = M.options.cwd
  if type(cwd) == 'function' then
    cwd = cwd()
  end
  if cwd == nil or cwd == '' then
    cwd = vim.loop.cwd()
  end
  return vim.fn.fnamemodify(cwd, ':p'):gsub('(.)/$', '%1')
end

--- The server's command line as a list, or nil and why not.
function M.server_command()
  local cmd = M.options.server_cmd
  if cmd == nil then
    if vim.fn.executable('claude-session-sidecar') == 1 then
      cmd = { vim.fn.exepath('claude-session-sidecar') }
    else
      local tool = vim.fn.expand('~/.dotnet/tools/claude-session-sidecar')
      if vim.fn.executable(tool) == 1 then
        cmd = { tool }
      else
        return nil, 'claude-session-sidecar is not on PATH: install it with '
          .. '`dotnet tool install --global ClaudeSessionSidecar` (see the plugin README), or set server_cmd in setup() '
          .. '(for example the path of ClaudeSessionSidecar.dll)'
      end
    end
  elseif type(cmd) == 'string' then
    if cmd:match('%.dll$') then
      cmd = { 'dotnet', cmd }
    else
      cmd = { cmd }
    end
  else
    cmd = vim.deepcopy(cmd)
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    return nil, ('the server command %q is not executable'):format(cmd[1])
  end
  if cmd[1] == 'dotnet' and cmd[2] and cmd[2]:match('%.dll$') and vim.fn.filereadable(cmd[2]) ~= 1 then
    return nil, ('the server dll %s does not exist (build it: dotnet build src/ClaudeSessionSidecar -c Release)')
      :format(cmd[2])
  end
  return cmd
end

--- The arguments passed to the server after its command.
function M.server_args()
  local args = {}
  if M.options.claude_path then
    vim.list_extend(args, { '--claude-path', M.options.claude_path })
  end
  if M.options.log_level then
    vim.list_extend(args, { '--log-level', M.options.log_level })
  end
  vim.list_extend(args, M.options.server_args or {})
  return args
end

--- The server's whole environment ("K=V" strings): Neovim's, with the configured extras over it.
function M.server_env()
  local env = vim.fn.environ()
  for key, value in pairs(M.options.env or {}) do
    env[key] = tostring(value)
  end
  local list = {}
  for key, value in pairs(env) do
    table.insert(list, key .. '=' .. value)
  end
  return list
end

return M
