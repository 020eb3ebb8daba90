"""A webhook endpoint on 127.0.0.1 for tests: it records every request and answers from
a queue of (status, seconds to wait, headers), then 200."""

import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.server import free_port

# The test endpoints' Standard Webhooks signing secret.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """A webhook endpoint: records every request; answers from a queue of
    (status, seconds to wait, headers), then 200."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.requests: list[dict] = []
        self.responses: deque = deque()
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                status, wait, headers = receiver.responses.popleft() if receiver.responses else (200, 0, {})
                time.sleep(wait)
                receiver.requests.append({"headers": dict(self.headers), "body": body.decode(), "status": status})
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def delivered_ids(self) -> Counter:
        return Counter(r["headers"]["webhook-id"] for r in self.requests if r["status"] < 300)
