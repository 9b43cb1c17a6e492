"""An SMTP server for the tests: takes every message on loopback and writes it, decoded, as
JSON ({to, subject, text, html}) into a directory, one file per message.

Usage: smtp_sink.py DIR [--port N] [--refuse N]
Prints the port it listens on, then serves until killed. --refuse N answers the first N
messages with a temporary failure (451), as a busy server does.
"""

import argparse
import email
import email.policy
import json
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Busy: try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": message["From"],
            "to": envelope.rcpt_tos,
            "subject": message["Subject"],
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
        }
        self.count += 1
        path = os.path.join(self.directory, f"{time.time_ns()}-{self.count}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--refuse", type=int, default=0)
    args = parser.parse_args()
    port = args.port or free_port()
    controller = Controller(Sink(args.directory, args.refuse), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
