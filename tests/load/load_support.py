"""Helpers the load tests share (a uniquely named module: every test folder has a conftest)."""

import json


def run_json(result) -> dict:
    """The --json document a CLI run printed (stdout only)."""
    return json.loads(result.stdout.strip().splitlines()[-1])


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


class BlackHoleProxy:
    """A loopback TCP proxy to the broker that can stop forwarding while keeping every socket open,
    as a dead NAT entry or a hung load balancer does; or that never forwards (``forward=False``)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5672), forward: bool = True) -> None:
        import socket
        import threading

        self.upstream = upstream
        self.forwarding = threading.Event()
        if forward:
            self.forwarding.set()
        self.sockets: list = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def black_hole(self) -> None:
        self.forwarding.clear()

    def _accept(self) -> None:
        import socket
        import threading

        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if not self.forwarding.is_set():
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            server = socket.create_connection(self.upstream)
            self.sockets.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _swallow(self, sock) -> None:
        while not self.closed:
            try:
                if not sock.recv(65536):
                    return
            except OSError:
                return

    def _pump(self, src, dst) -> None:
        while not self.closed:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.forwarding.is_set():
                try:
                    dst.sendall(data)
                except OSError:
                    return

    def close(self) -> None:
        self.closed = True
        import socket

        for sock in [self.listener, *self.sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked in recv()
            except OSError:
                pass
            sock.close()
