#!/usr/bin/env python3
"""A Python (standard library only) client of the ClaudeSessionSidecar server over stdio, Content-Length framing.

    python3 examples/sidecar_client.py <folder> <prompt> [<second prompt>]

Starts the server, creates a session in <folder> with <prompt> (printing the reply as it streams), optionally
continues it with <second prompt>, lists the folder's resumable sessions, and shuts the server down.
Env: SIDECAR (the server command; default: the dotnet tool, else the Release build in this repository).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys


class SidecarClient:
    """JSON-RPC 2.0 over the server's stdin/stdout with LSP-style Content-Length headers."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def request(self, method, params=None, on_message=None):
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})
        while True:
            message = self._receive()
            if message.get("method") == "session/message":
                if on_message:
                    on_message(message["params"])
            elif "method" in message and "id" in message:
                # A server request (session/requestPermission): this client allows nothing.
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": {"allow": False, "message": "denied by the example client"}})
            elif message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {json.dumps(message['error'])}")
                return message["result"]

    def close(self):
        self.request("shutdown")
        self._send({"jsonrpc": "2.0", "method": "exit"})
        self.process.stdin.close()
        return self.process.wait(timeout=30)

    def _send(self, message):
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))


def server_command():
    if os.environ.get("SIDECAR"):
        return shlex.split(os.environ["SIDECAR"])
    if shutil.which("claude-session-sidecar"):
        return ["claude-session-sidecar"]
    here = os.path.dirname(os.path.abspath(__file__))
    return ["dotnet", os.path.join(here, "..", "src", "ClaudeSessionSidecar", "bin", "Release", "net10.0", "ClaudeSessionSidecar.dll")]


def print_text(notification):
    message = notification["message"]
    if message.get("type") == "assistant":
        for block in message["message"].get("content", []):
            if block.get("type") == "text":
                print(block["text"], flush=True)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder, prompts = os.path.abspath(argv[1]), argv[2:]
    client = SidecarClient(server_command())
    info = client.request("initialize", {"clientInfo": {"name": "sidecar_client.py"}})
    print(f"server {info['serverInfo']['version']}, claude {info['claude']['version']}", file=sys.stderr)

    created = client.request("session/create", {"workingDirectory": folder, "prompt": prompts[0]}, on_message=print_text)
    session_id = created["sessionId"]
    print(f"session {session_id}")
    for prompt in prompts[1:]:
        client.request("session/resume", {"sessionId": session_id, "prompt": prompt}, on_message=print_text)

    listed = client.request("session/listResumable", {"workingDirectory": folder})
    print(f"resumable sessions in {folder}: {len(listed['sessions'])}")
    return client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
