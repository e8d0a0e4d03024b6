-- JSON-RPC 2.0 over a child process's stdio with Content-Length framing (as LSP), on vim.loop pipes.
-- Used instead of vim.lsp.rpc because its signature differs between Neovim 0.7 and 0.10+, and because the
-- plugin needs the process id, the exit code and server-to-client requests on every version.
--
-- Every callback given to start() runs on the main loop (vim.schedule_wrap), never in a fast (luv) context.
local uv = vim.loop

local M = {}

--- JSON-RPC error codes (stdio-protocol.md, "Errors"): the standard ones and the server's own (-31001 and on,
--- outside JSON-RPC's reserved -32768..-32000). SERVER_EXITED is this client's own: a request the server never
--- answered because it exited. `data.reason` tells more.
M.codes = {
  PARSE_ERROR = -32700,
  INVALID_REQUEST = -32600,
  METHOD_NOT_FOUND = -32601,
  INVALID_PARAMS = -32602,
  INTERNAL_ERROR = -32603,
  REQUEST_CANCELLED = -32800,
  NOT_RESUMABLE = -31001,
  CLI_FAILED = -31002,
  CLI_NOT_FOUND = -31003,
  SESSION_BUSY = -31004,
  SESSION_NOT_FOUND = -31005,
  SERVER_EXITED = -31099,
}

local Client = {}
Client.__index = Client

--- vim.json.decode turns JSON null into vim.NIL; this turns it back into nil.
function M.nonnull(value)
  if value == vim.NIL then
    return nil
  end
  return value
end

local function encode(message)
  local body = vim.json.encode(message)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

local function close_handle(handle)
  if handle and not handle:is_closing() then
    handle:close()
  end
end

--- Starts `cmd` with `args` and speaks JSON-RPC with it.
--- opts: {env?: string[] ("K=V", the whole environment), cwd?: string,
---        on_notification?: fun(method, params), on_request?: fun(method, params, respond(result, err)),
---        on_stderr?: fun(data) (called in a fast context: only do fast things, like writing a file),
---        on_exit?: fun(code, signal)}
--- Returns a client, or nil and an error message.
function M.start(cmd, args, opts)
  opts = opts or {}
  local self = setmetatable({
    next_id = 0,
    pending = {}, -- id -> callback(err, result)
    buffer = '',
    exited = false,
    stdout_closed = false,
    opts = opts,
  }, Client)

  self.stdin = uv.new_pipe(false)
  self.stdout = uv.new_pipe(false)
  self.stderr = uv.new_pipe(false)

  local on_exit = vim.schedule_wrap(function(code, signal)
    self.exit_code, self.exit_signal = code, signal
    self.exited = true
    close_handle(self.handle)
    close_handle(self.stdin)
    -- An answer written just before the exit may still be in the pipe: wait for the end of stdout, briefly.
    if self.stdout_closed then
      self:_finish()
    else
      local timer = uv.new_timer()
      timer:start(1000, 0, vim.schedule_wrap(function()
        close_handle(timer)
        self:_finish()
      end))
    end
  end)

  local handle, pid_or_err = uv.spawn(cmd, {
    args = args or {},
    stdio = { self.stdin, self.stdout, self.stderr },
    env = opts.env,
    cwd = opts.cwd,
    detached = false,
  }, on_exit)
  if not handle then
    close_handle(self.stdin)
    close_handle(self.stdout)
    close_handle(self.stderr)
    return nil, ('cannot start %s: %s'):format(cmd, tostring(pid_or_err))
  end
  self.handle, self.pid = handle, pid_or_err

  self.stdout:read_start(vim.schedule_wrap(function(err, data)
    if err or not data then
      self.stdout_closed = true
      close_handle(self.stdout)
      if self.exited then
        self:_finish()
      end
      return
    end
    self:_receive(data)
  end))
  self.stderr:read_start(function(err, data)
    if err or not data then
      close_handle(self.stderr)
      return
    end
    if opts.on_stderr then
      pcall(opts.on_stderr, data)
    end
  end)
  return self
end

--- Called once, after the process exited and its stdout ended (or a second after the exit).
function Client:_finish()
  if self.finished then
    return
  end
  self.finished = true
  close_handle(self.stdout)
  local pending = self.pending
  self.pending = {}
  local message = ('server exited (code %s%s)'):format(
    tostring(self.exit_code),
    (self.exit_signal and self.exit_signal ~= 0) and (', signal ' .. self.exit_signal) or ''
  )
  for _, callback in pairs(pending) do
    pcall(callback, { code = M.codes.SERVER_EXITED, message = message, data = { reason = 'server_exited' } }, nil)
  end
  if self.opts.on_exit then
    self.opts.on_exit(self.exit_code, self.exit_signal)
  end
end

function Client:_receive(data)
  self.buffer = self.buffer .. data
  while true do
    local header_end = self.buffer:find('\r\n\r\n', 1, true)
    if not header_end then
      return
    end
    local header = self.buffer:sub(1, header_end - 1)
    local length = tonumber(header:lower():match('content%-length:%s*(%d+)'))
    if not length then
      -- Not a header we understand: drop it and resynchronise on the next header.
      self.buffer = self.buffer:sub(header_end + 4)
    else
      local body_start = header_end + 4
      if #self.buffer < body_start + length - 1 then
        return
      end
      local body = self.buffer:sub(body_start, body_start + length - 1)
      self.buffer = self.buffer:sub(body_start + length)
      local ok, message = pcall(vim.json.decode, body)
      if ok and type(message) == 'table' then
        local dispatched, err = pcall(self._dispatch, self, message)
        if not dispatched then
          vim.notify('claude_sessions: ' .. tostring(err), vim.log.levels.ERROR)
        end
      end
    end
  end
end

function Client:_dispatch(message)
  local method = M.nonnull(message.method)
  local id = M.nonnull(message.id)
  if method and id ~= nil then
    local responded = false
    local function respond(result, err)
      if responded then
        return
      end
      responded = true
      if err then
        self:_write({ jsonrpc = '2.0', id = id, error = err })
      else
        self:_write({ jsonrpc = '2.0', id = id, result = result == nil and vim.NIL or result })
      end
    end
    if self.opts.on_request then
      self.opts.on_request(method, M.nonnull(message.params), respond)
    else
      respond(nil, { code = M.codes.METHOD_NOT_FOUND, message = 'Method not found: ' .. method })
    end
  elseif method then
    if self.opts.on_notification then
      self.opts.on_notification(method, M.nonnull(message.params))
    end
  elseif id ~= nil then
    local callback = self.pending[id]
    self.pending[id] = nil
    if callback then
      local err = M.nonnull(message.error)
      if err then
        callback(err, nil)
      else
        callback(nil, M.nonnull(message.result))
      end
    end
  end
end

function Client:_write(message)
  if self.exited or not self.stdin or self.stdin:is_closing() then
    return false
  end
  self.stdin:write(encode(message))
  return true
end

function Client:is_running()
  return not self.exited
end

--- Sends a request; callback(err, result) runs on the main loop. Returns the request id, or nil when the
--- server is gone (the callback then runs with an error).
function Client:request(method, params, callback)
  callback = callback or function() end
  self.next_id = self.next_id + 1
  local id = self.next_id
  self.pending[id] = callback
  local message = { jsonrpc = '2.0', id = id, method = method }
  if params ~= nil then
    message.params = params
  end
  if not self:_write(message) then
    self.pending[id] = nil
    vim.schedule(function()
      callback({ code = M.codes.SERVER_EXITED, message = 'server is not running', data = { reason = 'server_exited' } }, nil)
    end)
    return nil
  end
  return id
end

function Client:notify(method, params)
  local message = { jsonrpc = '2.0', method = method }
  if params ~= nil then
    message.params = params
  end
  return self:_write(message)
end

--- Closes the server's stdin (the server then finishes what it has read and exits).
function Client:close_stdin()
  if self.stdin and not self.stdin:is_closing() then
    self.stdin:shutdown(function()
      close_handle(self.stdin)
    end)
  end
end

function Client:kill(signal)
  if not self.exited and self.handle and not self.handle:is_closing() then
    self.handle:kill(signal)
  end
end

return M
