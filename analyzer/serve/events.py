"""Server-Sent Events: the monitor publishes, each connected page has a bounded queue.

`publish` is called on the monitor's thread and must return at once: it only puts the encoded
event on each client's queue, never waiting. A client whose queue is full (a browser that
stopped reading) is dropped; its EventSource reconnects and re-fetches the state, which is
better than a monitor that waits for it or a queue that grows without end.
"""

from __future__ import annotations

import json
import queue
import threading

RETRY_MS = 2000  # how soon a page reconnects after the stream ends (a monitor restart)
QUEUE_SIZE = 256  # events one client may lag behind before it is dropped
MAX_CLIENTS = 100


def encode(kind: str, data: object) -> bytes:
    """One SSE frame. JSON never holds a raw line break, so `data:` is one line; the payload is
    ASCII-only JSON (`ensure_ascii`), so nothing in a log can end the frame or the field."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return f"event: {kind}\ndata: {text}\n\n".encode("ascii")


CLOSED = b""  # put on a client's queue: end its stream


class Client:
    def __init__(self) -> None:
        self.events: queue.Queue[bytes] = queue.Queue(QUEUE_SIZE)
        self.dropped = False

    def offer(self, frame: bytes) -> bool:
        try:
            self.events.put_nowait(frame)
        except queue.Full:
            self.dropped = True
            return False
        return True

    def next(self, timeout: float) -> bytes | None:
        """The next frame, or None after `timeout` seconds (the server sends a keep-alive)."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None


class Hub:
    """The connected pages, bounded in number."""

    def __init__(self, max_clients: int = MAX_CLIENTS) -> None:
        self.max_clients = max_clients
        self.clients: set[Client] = set()
        self.lock = threading.Lock()

    def join(self) -> Client | None:
        """A new client, or None when there are already `max_clients` (the server answers 503)."""
        with self.lock:
            if len(self.clients) >= self.max_clients:
                return None
            client = Client()
            self.clients.add(client)
            return client

    def leave(self, client: Client) -> None:
        with self.lock:
            self.clients.discard(client)

    def publish(self, kind: str, data: object) -> None:
        frame = encode(kind, data)
        with self.lock:
            clients = list(self.clients)
        for client in clients:
            if not client.offer(frame):
                self.leave(client)  # too far behind: its stream ends, the page reconnects

    def close(self) -> None:
        with self.lock:
            clients, self.clients = list(self.clients), set()
        for client in clients:
            try:
                client.events.put_nowait(CLOSED)
            except queue.Full:
                client.dropped = True

    def __len__(self) -> int:
        with self.lock:
            return len(self.clients)
