"""Bob's workspace server for the attack test: it serves the attack page
from a folder and adds the response headers a hostile workspace would send
(a service worker allowed the whole origin, Clear-Site-Data, spawnhub's own
cookie names). spawnhub must neutralise every one of them.

    server.py --host 127.0.0.1 --port 8888 --dir FOLDER

FOLDER holds the page and a file "bob-session": bob's own session cookie,
which he tosses into his visitors' browsers.
"""

import argparse
import functools
import http.server
import os


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/clear":
            self.answer('"cookies"', "Clear-Site-Data")
        elif path == "/toss":
            self.toss()
        else:
            super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        if self.path.split("?", 1)[0] == "/sw.js":
            self.send_header("Service-Worker-Allowed", "/")
        super().end_headers()

    def answer(self, value, header):
        self.send_response(200)
        self.send_header(header, value)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"done\n")

    def toss(self):
        with open(os.path.join(self.directory, "bob-session")) as f:
            bob = f.read().strip()
        self.send_response(200)
        for cookie in (
            f"spawnhub_session={bob}; Path=/",
            f"spawnhub_session={bob}; Path=/api/v1",
            f"spawnhub_session={bob}; Path=/notebook",
            f"spawnhub_session={bob}; Path=/; Domain=localhost",
            f"spawnhub_workspace={bob}; Path=/",
            f"spawnhub_workspace={bob}; Path=/notebook; Domain=localhost",
        ):
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"tossed\n")

    def log_message(self, fmt, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    handler = functools.partial(Handler, directory=a.dir)
    http.server.ThreadingHTTPServer((a.host, a.port), handler).serve_forever()


if __name__ == "__main__":
    main()
