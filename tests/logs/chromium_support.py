"""A real headless Chromium driven over the DevTools protocol, stdlib only.

``--remote-debugging-pipe`` speaks CDP over file descriptors 3 (commands in) and 4 (replies out),
NUL-separated JSON: no websocket client and no port needed. Network is emulated offline before
the page loads, and every request the page makes is recorded, so a test can prove a report needs
nothing but itself.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from services import require_binary

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]


def chromium_binary() -> str:
    """Debian's chromium (a failure under CI=true when it is missing, a skip elsewhere)."""
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    return require_binary("chromium", "apt-get install chromium")


class Chromium:
    """One browser with one page; ``open(path)`` loads a file offline, ``eval`` runs JavaScript."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="devkit-chromium-")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Move the child's ends above 100 so placing them at 3 and 4 cannot clobber each other.
        child_in, child_out = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 100), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 100)
        os.close(to_child_r)
        os.close(from_child_w)

        def plumb() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.proc = subprocess.Popen(
            [chromium_binary(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=plumb, close_fds=False,
        )
        os.close(child_in)
        os.close(child_out)
        self._out, self._in = to_child_w, from_child_r
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []
        self._opened = 0  # events before the last open() belong to earlier pages
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                self.call(f"{domain}.enable", session=self.session)
            self.call("Network.emulateNetworkConditions", session=self.session, offline=True, latency=0,
                      downloadThroughput=-1, uploadThroughput=-1)
        except BaseException:
            self.close()
            raise

    # --- protocol --------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data):]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium exited (status {self.proc.poll()})")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._next += 1
        message: dict = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, after: int = 0) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for ev in self.events[after:]:
                if ev.get("method") == method:
                    return ev
            self.events.append(self._receive(deadline))

    # --- what tests use ----------------------------------------------------------------------------
    def open(self, path: Path, fragment: str = "", width: int = 1280, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", session=self.session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        for url in ("about:blank", path.resolve().as_uri() + fragment):  # blank first: a new fragment loads
            mark = len(self.events)
            self.call("Page.navigate", session=self.session, url=url)
            self.wait_for("Page.loadEventFired", after=mark)
        self._opened = mark

    def eval(self, expression: str):
        result = self.call("Runtime.evaluate", session=self.session, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", session=self.session, text=text)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (not a synthetic DOM event)."""
        box = self.eval(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                        "return [r.x+r.width/2,r.y+r.height/2];})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=self.session, type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", session=self.session, format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def requested_urls(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self.events[self._opened:]
                if ev.get("method") == "Network.requestWillBeSent"]

    def console_errors(self) -> list[str]:
        out = []
        for ev in self.events[self._opened:]:
            if ev.get("method") == "Log.entryAdded" and ev["params"]["entry"]["level"] == "error":
                out.append(ev["params"]["entry"]["text"])
            if ev.get("method") == "Runtime.exceptionThrown":
                out.append(str(ev["params"]["exceptionDetails"]))
        return out

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self._send({"id": 0, "method": "Browser.close", "params": {}})
                    self.proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            for fd in (self._out, self._in):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)
