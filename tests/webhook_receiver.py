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
    (status, seconds to wait, headers[, body]), then 200 with `ok_body`. With `check`,
    a request it finds a problem in is answered 400 with the problem as the body."""

    def __init__(self, port: int | None = None, path: str = "/hooks", check=None, ok_body: str = ""):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.requests: list[dict] = []
        self.responses: deque = deque()
        self.server = None
        self.check, self.ok_body = check, ok_body

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                queued = receiver.responses.popleft() if receiver.responses else (200, 0, {})
                status, wait, headers = queued[:3]
                answer = queued[3] if len(queued) > 3 else receiver.ok_body if status < 300 else ""
                problem = receiver.check(body.decode()) if receiver.check else None
                if problem and status < 300:
                    status, answer = 400, problem
                time.sleep(wait)
                receiver.requests.append({"headers": dict(self.headers), "body": body.decode(), "status": status,
                                          "answer": answer})
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.encode())))
                    self.end_headers()
                    self.wfile.write(answer.encode())
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
