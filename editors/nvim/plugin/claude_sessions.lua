-- claude_sessions: Claude Code sessions through ClaudeSessionSidecar. Commands only; the plugin's code is
-- required on first use. See :help claude_sessions.
if vim.g.loaded_claude_sessions then
  return
end
vim.g.loaded_claude_sessions = true

if vim.fn.has('nvim-0.7') ~= 1 then
  vim.api.nvim_err_writeln('claude_sessions needs Neovim 0.7 or later')
  return
end

local function plugin()
  return require('claude_sessions')
end

local command = vim.api.nvim_create_user_command

-- model= and mode= (and their values) for the two commands that start a turn.
local function complete_options(arglead, cmdline, cursorpos)
  return plugin().complete_command_options(arglead, cmdline, cursorpos)
end

command('ClaudeSessionNew', function(opts)
  plugin().command_new(opts.args)
end, { nargs = '*', complete = complete_options,
  desc = 'Start a Claude session in the working directory: [model=M] [mode=P] [prompt]' })

command('ClaudeSessionResume', function(opts)
  plugin().command_resume(opts.args, opts.bang)
end, { nargs = '*', bang = true, complete = complete_options,
  desc = 'Continue a Claude session: [model=M] [mode=P] [session-id [prompt]] (! = from every folder)' })

command('ClaudeSessionList', function(opts)
  plugin().list({ all = opts.bang })
end, { nargs = 0, bang = true, desc = 'List Claude sessions (! = every folder)' })

command('ClaudeSessionSearch', function(opts)
  plugin().search({ query = opts.args, all = opts.bang })
end, { nargs = '+', bang = true, desc = 'Search the Claude sessions\' conversations for {words} (! = every folder)' })

command('ClaudeSessionCancel', function(opts)
  plugin().cancel({ session_id = opts.args ~= '' and opts.args or nil })
end, { nargs = '?', desc = 'Cancel the running turn of a Claude session' })

command('ClaudeSessionStop', function()
  plugin().stop()
end, { nargs = 0, desc = 'Stop the ClaudeSessionSidecar server' })
