"""A Python HTTP service that continues the callers' Eliot tasks.

Usage: python http_service.py LOG_FILE

Serves GET /users/<name> on 127.0.0.1 (an ephemeral port, printed on stdout
as "listening 127.0.0.1:PORT"). Each request continues the task named by its
x-eliot-task-id header (Eliot's convention) as a "py:request" action, or
starts a new task without one; inside, a "py:db:query" action and a
"py:db:row" message. Answers 200 "<name> (<role>)" or 404. Runs until its
stdin closes. Appends its Eliot log to LOG_FILE.
"""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eliot import Action, FileDestination, add_destinations, log_message, start_action

ROLES = {"alice": "admin", "bob": "ops", "carol": "dev"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        task_id = self.headers.get("x-eliot-task-id")
        fields = dict(method="GET", path=self.path)
        if task_id is not None:
            action = Action.continue_task(task_id=task_id, action_type="py:request", **fields)
        else:
            action = start_action(action_type="py:request", **fields)
        with action.context():
            name = self.path.rpartition("/")[2]
            with start_action(action_type="py:db:query", table="users", name=name):
                role = ROLES.get(name)
                if role is not None:
                    log_message(message_type="py:db:row", name=name, role=role)
            if role is None:
                status, body = 404, f"no user named {name!r}"
                action.finish(LookupError(body))
            else:
                status, body = 200, f"{name} ({role})"
                action.addSuccessFields(status=status)
                action.finish()
        payload = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        # http.server's access log would go to stderr; Eliot has it all.
        pass


def main(log_path):
    with open(log_path, "ab") as log:
        add_destinations(FileDestination(file=log))
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = server.server_address[:2]
        print(f"listening {host}:{port}", flush=True)

        def stop_when_stdin_closes():
            sys.stdin.read()
            server.shutdown()

        threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
        server.serve_forever()
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1])
