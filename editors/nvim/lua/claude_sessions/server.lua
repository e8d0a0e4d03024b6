-- The server process: started on first use, initialized, restarted on the next command after it dies,
-- stopped with shutdown + exit, then stdin closed, then SIGTERM, then SIGKILL.
local rpc = require('claude_sessions.rpc')
local config = require('claude_sessions.config')
local uv = vim.loop

local M = {
  --- The running server, or nil: {rpc, pid, info (initialize's result), methods (set), ready, waiting, stopping}.
  current = nil,
  --- Set by init.lua: on_notification(server, method, params), on_request(server, method, params, respond).
  handlers = {},
}

local log_fd, log_path

local function open_log()
  local path = config.options.log_file
  if log_fd and log_path == path then
    return log_fd
  end
  if log_fd then
    uv.fs_close(log_fd)
    log_fd = nil
  end
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  log_fd = uv.fs_open(path, 'a', tonumber('600', 8))
  log_path = path
  return log_fd
end

--- Appends raw bytes to the log file; safe in a fast (luv) context.
local function log_raw(data)
  if log_fd then
    uv.fs_write(log_fd, data, -1)
  end
end

--- Appends one line of this plugin's own to the log file.
function M.log(message)
  open_log()
  log_raw(('%s [nvim] %s\n'):format(os.date('!%Y-%m-%dT%H:%M:%SZ'), message))
end

local function notify(message, level)
  vim.notify('claude_sessions: ' .. message, level or vim.log.levels.INFO)
end

local function method_set(info)
  local set = {}
  local capabilities = type(info) == 'table' and rpc.nonnull(info.capabilities) or nil
  for _, list in ipairs({ capabilities and rpc.nonnull(capabilities.methods), capabilities and rpc.nonnull(capabilities.notifications) }) do
    if type(list) == 'table' then
      for _, name in ipairs(list) do
        set[name] = true
      end
    end
  end
  -- $/cancelRequest is a notification the server honours, said by capabilities.cancelRequest rather than listed.
  if capabilities and rpc.nonnull(capabilities.cancelRequest) == true then
    set['$/cancelRequest'] = true
  end
  return set
end

--- Starts a server process and sends `initialize`. Returns the server, or nil and why not.
--- opts.on_exit(server): called after the process ended. opts.silent: no notification when it dies.
function M.spawn(opts)
  opts = opts or {}
  local cmd, err = config.server_command()
  if not cmd then
    return nil, err
  end
  open_log()
  local args = vim.list_slice(cmd, 2)
  vim.list_extend(args, config.server_args())
  local server = { ready = false, waiting = {}, methods = {}, stopping = false }
  local client
  client, err = rpc.start(cmd[1], args, {
    env = config.server_env(),
    on_stderr = log_raw,
    on_notification = function(method, params)
      if M.handlers.on_notification then
        M.handlers.on_notification(server, method, params)
      end
    end,
    on_request = function(method, params, respond)
      if M.handlers.on_request then
        M.handlers.on_request(server, method, params, respond)
      else
        respond(nil, { code = rpc.codes.METHOD_NOT_FOUND, message = 'Method not found: ' .. method })
      end
    end,
    on_exit = function(code, signal)
      server.exit_code, server.exit_signal = code, signal
      M.log(('server pid %s exited, code %s, signal %s'):format(server.pid, code, signal))
      if M.current == server then
        M.current = nil
      end
      if not server.stopping and not opts.silent then
        notify(('the server exited unexpectedly (code %s%s); it will start again on the next command. Log: %s')
          :format(code, (signal and signal ~= 0) and (', signal ' .. signal) or '', config.options.log_file),
          vim.log.levels.ERROR)
      end
      -- Whoever waits for initialize learns the server is gone.
      local waiting = server.waiting
      server.waiting = {}
      for _, callback in ipairs(waiting) do
        pcall(callback, nil, 'the server exited before it was ready')
      end
      if opts.on_exit then
        opts.on_exit(server)
      end
    end,
  })
  if not client then
    return nil, err
  end
  server.rpc, server.pid = client, client.pid
  M.log(('server pid %d started: %s'):format(server.pid, table.concat(vim.list_extend(vim.deepcopy(cmd), config.server_args()), ' ')))
  client:request('initialize', { clientInfo = { name = 'claude_sessions.nvim', version = tostring(vim.version and vim.version() and (vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch) or '') } },
    function(init_err, result)
      if init_err then
        M.log('initialize failed: ' .. tostring(init_err.message))
      end
      server.info = result or {}
      server.methods = method_set(result)
      server.ready = true
      local waiting = server.waiting
      server.waiting = {}
      for _, callback in ipairs(waiting) do
        callback(server)
      end
    end)
  return server
end

--- Runs callback(server) once a running, initialized server exists, starting one if needed; on failure
--- reports the error and runs callback(nil, err).
function M.with_server(callback)
  local server = M.current
  if not server or not server.rpc:is_running() or server.stopping then
    local err
    server, err = M.spawn()
    if not server then
      notify(err, vim.log.levels.ERROR)
      callback(nil, err)
      return
    end
    M.current = server
  end
  if server.ready then
    callback(server)
  else
    table.insert(server.waiting, callback)
  end
end

--- Whether the server answers `method` (from initialize's capabilities).
function M.supports(server, method)
  return server ~= nil and server.methods[method] == true
end

--- Stops a server (the current one by default): shutdown, then exit and stdin closed, then SIGTERM, then
--- SIGKILL. opts.wait = true blocks until it ended (at most about opts.grace * 3 ms).
function M.stop(server, opts)
  opts = opts or {}
  server = server or M.current
  if not server or not server.rpc:is_running() then
    return
  end
  local grace = opts.grace or 3000
  server.stopping = true
  if M.current == server then
    M.current = nil
  end
  local client = server.rpc
  local exit_sent = false
  local function send_exit()
    if exit_sent then
      return
    end
    exit_sent = true
    client:notify('exit')
    client:close_stdin()
  end
  client:request('shutdown', nil, send_exit)
  vim.defer_fn(send_exit, grace)
  vim.defer_fn(function()
    if client:is_running() then
      M.log(('server pid %d still running after exit: SIGTERM'):format(server.pid))
      client:kill('sigterm')
    end
  end, grace * 2)
  vim.defer_fn(function()
    if client:is_running() then
      M.log(('server pid %d still running after SIGTERM: SIGKILL'):format(server.pid))
      client:kill('sigkill')
    end
  end, grace * 3)
  if opts.wait then
    vim.wait(grace * 3 + 500, function()
      return not client:is_running()
    end, 20)
  end
end

return M
