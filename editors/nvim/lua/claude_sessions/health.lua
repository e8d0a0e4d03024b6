-- :checkhealth claude_sessions — the server command, its version, the Claude Code CLI it finds and its
-- version, the log file.
local config = require('claude_sessions.config')
local rpc = require('claude_sessions.rpc')

local M = {}

-- vim.health.start/ok/... from 0.10 on; report_start/report_ok/... (in `health` on 0.7) before.
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error_ = health.error or health.report_error
local info = health.info or health.report_info

--- Runs a command with a timeout; returns its output (stdout and stderr) and exit code (-1 on timeout).
local function run(cmd, timeout)
  local output = {}
  local function collect(_, data)
    for _, line in ipairs(data or {}) do
      if line ~= '' then
        table.insert(output, line)
      end
    end
  end
  local ok_start, job = pcall(vim.fn.jobstart, cmd, {
    on_stdout = collect,
    on_stderr = collect,
    env = next(config.options.env or {}) and config.options.env or nil,
  })
  if not ok_start or job <= 0 then
    return 'cannot start ' .. cmd[1], -1
  end
  local code = vim.fn.jobwait({ job }, timeout)[1]
  if code == -1 then
    vim.fn.jobstop(job)
  end
  return table.concat(output, '\n'), code
end

function M.check()
  start('claude_sessions')
  local v = vim.version()
  info(('Neovim %d.%d.%d'):format(v.major, v.minor, v.patch))

  local cmd, err = config.server_command()
  if not cmd then
    error_(err)
    return
  end
  ok('server command: ' .. table.concat(cmd, ' '))
  local version_cmd = vim.deepcopy(cmd)
  table.insert(version_cmd, '--version')
  local version, code = run(version_cmd, 30000)
  if code == 0 then
    ok('server version: ' .. version)
  else
    error_(('`%s` failed (exit code %d): %s'):format(table.concat(version_cmd, ' '), code, version))
    return
  end

  -- The CLI as the server finds it: start a short-lived server and ask it (initialize).
  local server_mod = require('claude_sessions.server')
  local server, spawn_err = server_mod.spawn({ silent = true })
  if not server then
    error_('cannot start the server: ' .. tostring(spawn_err))
    return
  end
  local done = vim.wait(30000, function()
    return server.ready or not server.rpc:is_running()
  end, 20)
  local result = server.info
  server_mod.stop(server, { wait = true, grace = 1000 })
  if not done or not server.ready or type(result) ~= 'table' or not rpc.nonnull(result.claude) then
    error_('the server did not answer initialize; see the log ' .. config.options.log_file)
    return
  end
  local server_info = rpc.nonnull(result.serverInfo) or {}
  info(('server says: %s %s'):format(tostring(rpc.nonnull(server_info.name)), tostring(rpc.nonnull(server_info.version))))
  local claude = rpc.nonnull(result.claude)
  local path, claude_version = rpc.nonnull(claude.path), rpc.nonnull(claude.version)
  if path then
    ok(('Claude Code CLI: %s, version %s'):format(path, tostring(claude_version or 'unknown')))
  else
    error_('the server finds no Claude Code CLI: install it (npm install -g @anthropic-ai/claude-code) or set claude_path')
  end
  info('CLI config folder: ' .. tostring(rpc.nonnull(claude.configDirectory)))
  local methods = {}
  for name in pairs(server.methods) do
    table.insert(methods, name)
  end
  table.sort(methods)
  info('server capabilities: ' .. table.concat(methods, ', '))
  for _, optional in ipairs({ 'session/list', 'session/cancel' }) do
    if not server.methods[optional] then
      warn(('the server has no %s (an older server): the plugin falls back'):format(optional))
    end
  end
  local log_dir = vim.fn.fnamemodify(config.options.log_file, ':h')
  if vim.fn.isdirectory(log_dir) == 1 and vim.fn.filewritable(log_dir) == 2 then
    ok('log file: ' .. config.options.log_file)
  else
    warn('the log folder is not writable: ' .. log_dir)
  end
end

return M
