"""A local stand-in for SendGrid's `POST /v3/mail/send`, for the end-to-end benchmarks.

asyncio, one line per accepted message in the log file: `<unix time> <lead reference>`. Answers
202 with an X-Message-Id, as SendGrid does. Usage: python bench/sendgrid_standin.py PORT LOGFILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid


def _reference(body: dict) -> str:
    args = dict(body.get("custom_args") or {})
    for personalization in body.get("personalizations") or []:
        args.update(personalization.get("custom_args") or {})
    return str(args.get("lead_reference") or args.get("notification_id") or "-")


async def main(port: int, log_path: str) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - one line per message, kept open

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                raw = await reader.readexactly(length) if length else b""
                try:
                    reference = _reference(json.loads(raw))
                except ValueError:
                    reference = "-"
                log.write(f"{time.time():.6f} {reference}\n")
                writer.write(
                    b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nX-Message-Id: "
                    + uuid.uuid4().hex[:22].encode()
                    + b"\r\n\r\n"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
