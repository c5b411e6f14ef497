"""Helpers the load tests share (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations

import json
import subprocess
import time

from services import require_binary


def run_json(result) -> dict:
    """The --json document a CLI run printed (stdout only)."""
    return json.loads(result.stdout.strip().splitlines()[-1])


def close_broker_connections(marks: list[str], expected: int, timeout: float = 20.0) -> int:
    """Close, from the server side, only the connections whose client name holds one of *marks*
    (devkit names them after the run ID and their role), once *expected* of them are up."""
    ctl = require_binary("rabbitmqctl", "apt-get install rabbitmq-server")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = subprocess.run([ctl, "list_connections", "pid", "client_properties", "-q"],
                                 capture_output=True, text=True, timeout=30, check=True).stdout
        ours = [line for line in listing.splitlines() if any(mark in line for mark in marks)]
        ours.sort(key=lambda line: " consumer " not in line)  # consumers first: deterministic
        pids = [line.split("\t", 1)[0] for line in ours]
        if len(pids) >= expected:
            for pid in pids:
                subprocess.run([ctl, "close_connection", pid, "devkit test: broker goes away"],
                               capture_output=True, text=True, timeout=30, check=False)
            return len(pids)
        time.sleep(0.2)
    raise AssertionError(f"{expected} connection(s) named {marks} did not show up within {timeout}s")


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is *pid* (from /proc)."""
    import os

    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                for line in handle:
                    if line.startswith("PPid:"):
                        if int(line.split()[1]) == pid:
                            out.append(int(entry))
                        break
        except OSError:
            continue
    return out


def alive(pid: int) -> bool:
    """True while *pid* exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class _LoopbackProxy:
    """A listener on a free 127.0.0.1 port; each accepted connection is handed to ``_serve``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        import socket

        self.upstream = upstream
        self.sockets: list = []
        self.closed = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._thread(self._accept)

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self, client) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            self._serve(client)

    def _connect(self):
        """A new connection to the broker, closed with the proxy."""
        import socket

        server = socket.create_connection(self.upstream)
        self.sockets.append(server)
        return server

    @staticmethod
    def _thread(target, *args) -> None:
        import threading

        threading.Thread(target=target, args=args, daemon=True).start()

    def close(self) -> None:
        self.closed = True
        for sock in [self.listener, *self.sockets]:
            _shutdown(sock)
            sock.close()


class BlackHoleProxy(_LoopbackProxy):
    """A loopback TCP proxy to the broker that can stop forwarding while keeping every socket open,
    as a dead NAT entry or a hung load balancer does; or that never forwards (``forward=False``)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5672), forward: bool = True) -> None:
        import threading

        self.forwarding = threading.Event()
        if forward:
            self.forwarding.set()
        super().__init__(upstream)

    def black_hole(self) -> None:
        self.forwarding.clear()

    def _serve(self, client) -> None:
        if not self.forwarding.is_set():
            self._thread(self._swallow, client)
            return
        server = self._connect()
        for a, b in ((client, server), (server, client)):
            self._thread(self._pump, a, b)

    def _swallow(self, sock) -> None:
        while not self.closed and _recv(sock):
            pass

    def _pump(self, src, dst) -> None:
        while not self.closed:
            data = _recv(src)
            if not data:
                return
            if self.forwarding.is_set() and not _send(dst, data):
                return


_BASIC_ACK = (60, 80)
_BASIC_DELIVER = (60, 60)
_FRAME_METHOD = 1


class _FrameReader:
    """Splits an AMQP 0-9-1 byte stream into whole frames (the client's protocol header first)."""

    def __init__(self, header: int) -> None:
        self.buf = b""
        self.header = header  # bytes of protocol header still to pass through as one piece

    def feed(self, data: bytes):
        """Yield (frame bytes, (class_id, method_id) for a method frame on a channel, else None)."""
        import struct

        self.buf += data
        if self.header:
            if len(self.buf) < self.header:
                return
            chunk, self.buf, self.header = self.buf[: self.header], self.buf[self.header:], 0
            yield chunk, None
        while len(self.buf) >= 7:
            kind, channel, size = struct.unpack(">BHI", self.buf[:7])
            if len(self.buf) < size + 8:
                return
            frame, self.buf = self.buf[: size + 8], self.buf[size + 8:]
            method = struct.unpack(">HH", frame[7:11]) if kind == _FRAME_METHOD and channel and size >= 4 else None
            yield frame, method


class AckCutProxy(_LoopbackProxy):
    """A loopback proxy to the broker that reads the AMQP frames it carries and cuts the first
    connection that sends its *after_acks*-th consumer ack (client ``basic.ack``), at that exact frame:

    - ``lose="ack"``: that ack never reaches the broker. It and everything the client sends after
      it are dropped, as bytes not yet read are when the broker closes a connection (the test then
      closes it from the broker, ``rabbitmqctl close_connection``); the broker's frames still pass.
    - ``lose="reply"``: the ack and what follows reach the broker, but nothing the broker sends
      after it reaches the client. When the broker has answered a synchronous method the client
      sent after the ack (any method but ``basic.deliver`` on a channel), or after *reply_timeout*
      if none comes, both sockets are closed: the broker applied the ack, the client never learns it.

    ``cut`` is set once the ack was dropped (``"ack"``) or the connection closed (``"reply"``);
    other connections (producers never send ``basic.ack``) pass untouched.
    """

    def __init__(self, after_acks: int, lose: str, upstream: tuple[str, int] = ("127.0.0.1", 5672),
                 reply_timeout: float = 5.0) -> None:
        import threading

        assert lose in {"ack", "reply"}
        self.after_acks, self.lose, self.reply_timeout = after_acks, lose, reply_timeout
        self.cut = threading.Event()
        self.reply_seen = False  # "reply": the broker answered after the ack (rather than the timeout)
        self.lock = threading.Lock()
        self.victim: tuple | None = None  # (client socket, server socket) of the cut connection
        super().__init__(upstream)

    def _serve(self, client) -> None:
        pair = (client, self._connect())
        state = {"acks": 0}
        self._thread(self._upstream, pair, state)
        self._thread(self._downstream, pair, state)

    def _upstream(self, pair, state) -> None:
        """Client to broker: count the client's acks, drop from the cut one on (``"ack"``)."""
        client, server = pair
        reader = _FrameReader(header=8)
        dropping = False
        while not self.closed:
            data = _recv(client)
            if not data:
                break
            out = []
            for frame, method in reader.feed(data):
                if method == _BASIC_ACK and not dropping:
                    state["acks"] += 1
                    if state["acks"] == self.after_acks and self._claim(pair):
                        if self.lose == "ack":
                            dropping = True
                            self.cut.set()
                        else:
                            state["deaf"] = True
                            self._close_later(pair)
                if not dropping:
                    out.append(frame)
            if out and not _send(server, b"".join(out)):
                break
        _shutdown(server)  # the client went away: so does its broker connection

    def _downstream(self, pair, state) -> None:
        """Broker to client: once deaf (``"reply"``), drop it all and close on the broker's answer."""
        client, server = pair
        reader = _FrameReader(header=0)
        while not self.closed:
            data = _recv(server)
            if not data:
                break
            out = []
            for frame, method in reader.feed(data):
                if state.get("deaf"):
                    if method is not None and method != _BASIC_DELIVER:
                        self.reply_seen = True
                        self._close_pair(pair)
                        return
                    continue
                out.append(frame)
            if out and not _send(client, b"".join(out)):
                break
        _shutdown(client)

    def _claim(self, pair) -> bool:
        with self.lock:
            if self.victim is None:
                self.victim = pair
                return True
            return False

    def _close_later(self, pair) -> None:
        import threading

        timer = threading.Timer(self.reply_timeout, self._close_pair, args=(pair,))
        timer.daemon = True
        timer.start()

    def _close_pair(self, pair) -> None:
        for sock in pair:
            _shutdown(sock)
        self.cut.set()


def _recv(sock) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _shutdown(sock) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in recv() on it
    except OSError:
        pass
