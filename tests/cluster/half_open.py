"""Loopback TCP peers that stop answering: the half-open connections request timeouts exist for.

``SilentServer`` accepts connections and never sends a byte (an API server
behind a load balancer that lost its backend). ``HoldingProxy`` forwards to a
real address until ``hold()``, then keeps every connection open but moves no
more bytes either way, so a process that was talking to the API server
through it finds its next request hanging.
"""

from __future__ import annotations

import socket
import threading

from tests.cluster.ports import LOOPBACK

CHUNK = 65536


class SilentServer:
    """Accepts on 127.0.0.1 and never answers; ``url`` is its http:// address."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self._accepted: list[socket.socket] = []
        self.url = f"http://{LOOPBACK}:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._accepted.append(connection)  # kept open, never read nor written

    def close(self) -> None:
        """Close the listener and every accepted connection."""
        self._listener.close()
        for connection in self._accepted:
            connection.close()


class HoldingProxy:
    """A TCP relay to ``target`` (host, port) on a free loopback port, until ``hold()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = int(self._listener.getsockname()[1])
        self._released = threading.Event()
        self._released.set()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        """From now on no byte moves, on open connections and on new ones."""
        self._released.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                self._released.wait()  # held: the bytes are swallowed, the peer waits forever
                sink.sendall(data)
        except OSError:
            pass
        finally:
            if self._released.is_set():
                sink.close()

    def close(self) -> None:
        """Close everything (the held peers then see their connections drop)."""
        self._listener.close()
        for sock in self._sockets:
            sock.close()
        self._released.set()  # held pumps wake, fail on their closed sockets, and end
