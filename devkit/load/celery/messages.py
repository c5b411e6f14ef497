"""One run's task message: protocol-2 properties, headers and body, built once; per task only
the ID (and a relative ETA or expiry) change, spliced into pre-marshaled frames."""

from __future__ import annotations

from devkit.load.celery.protocol import JSON, iso_utc, task_body, task_headers


class TaskMessage:
    """The properties, headers and body shared by every task of the run; IDs set per task."""

    def __init__(self, cfg, ids) -> None:
        import pika

        self.cfg = cfg
        self.ids = ids
        self.headers = task_headers(cfg.task, cfg.args, cfg.kwargs, cfg.origin)
        self.body = task_body(cfg.args, cfg.kwargs)
        self.properties = pika.BasicProperties(
            content_type=JSON, content_encoding="utf-8", delivery_mode=2, correlation_id="",
            reply_to="", headers=self.headers, priority=cfg.priority,
        )
        self.eta_epoch = cfg.eta.timestamp() if cfg.eta is not None else None
        if self.eta_epoch is not None:
            self.headers["eta"] = iso_utc(self.eta_epoch)
        self.expires_epoch = cfg.expires.timestamp() if hasattr(cfg.expires, "timestamp") else None
        if self.expires_epoch is not None:
            self.headers["expires"] = iso_utc(self.expires_epoch)
        elif cfg.expires is not None:  # relative: the broker drops it after that long too, as Celery asks
            self.properties.expiration = str(max(0, int(cfg.expires * 1000)))

    def reply_to(self, queue: str) -> None:
        self.properties.reply_to = queue

    def frames_template(self, channel_number: int, body_max: int):
        """Method, header and body frames of one task, marshaled once, with fixed-length
        placeholders where the task ID (and a relative ETA or expiry) go; None when the
        properties vary in length per task (an absolute --expires) or a placeholder is ambiguous.

        pika spends most of a publish encoding the ~20 protocol-2 headers; splicing 36 bytes
        into ready frames instead is what lets one process keep the broker busy.
        """
        from pika import frame, spec

        if self.expires_epoch is not None:
            return None
        headers, props = self.headers, self.properties
        marks = {"id": _ID_MARK}
        if self.cfg.countdown:
            marks["eta"] = _ETA_MARK
        if self.cfg.expires is not None:
            marks["expires"] = _EXPIRES_MARK
        saved = {key: headers[key] for key in marks}
        headers.update(marks)
        headers["root_id"] = props.correlation_id = _ID_MARK
        try:
            method = frame.Method(channel_number, spec.Basic.Publish(
                exchange=self.cfg.exchange, routing_key=self.cfg.publish_routing_key, mandatory=True)).marshal()
            header = frame.Header(channel_number, len(self.body), props).marshal()
        finally:
            headers.update(saved)
        if header.count(_ID_MARK.encode()) != 3 or any(header.count(m.encode()) != 1 for m in marks.values() if m != _ID_MARK):
            return None
        body = b"".join(frame.Body(channel_number, self.body[i:i + body_max]).marshal()
                        for i in range(0, len(self.body), body_max))
        return FrameTemplate(method + header + body, bool(self.cfg.countdown), self.cfg.expires is not None)

    def prepare(self, seq: int, now: float) -> tuple[float, float]:
        """Set this task's ID (and relative ETA/expiry); returns (due, expires) epochs or 0."""
        task_id = self.ids.make(seq)
        headers = self.headers
        headers["id"] = headers["root_id"] = self.properties.correlation_id = task_id
        cfg = self.cfg
        due = self.eta_epoch or 0.0
        if cfg.countdown:
            due = now + cfg.countdown
            headers["eta"] = iso_utc(due)
        expires = self.expires_epoch or 0.0
        if self.expires_epoch is not None:
            self.properties.expiration = str(max(0, int((self.expires_epoch - now) * 1000)))
        elif cfg.expires is not None:
            expires = now + cfg.expires
            headers["expires"] = iso_utc(expires)
        return due, expires


_ID_MARK = "\x01" * 36  # placeholders of the lengths their values always have
_ETA_MARK = "\x02" * 32  # iso_utc(): 2026-11-20T09:13:21.734000+00:00
_EXPIRES_MARK = "\x03" * 32


class FrameTemplate:
    def __init__(self, data: bytes, eta: bool, expires: bool) -> None:
        self.data, self.eta, self.expires = data, eta, expires
        self.id_mark, self.eta_mark, self.expires_mark = (m.encode() for m in (_ID_MARK, _ETA_MARK, _EXPIRES_MARK))

    def render(self, message: TaskMessage) -> bytes | None:
        """The frames of the task *message* was just prepared for (None: a value's length changed)."""
        headers = message.headers
        data = self.data.replace(self.id_mark, headers["id"].encode())
        if self.eta:
            eta = headers["eta"].encode()
            if len(eta) != 32:
                return None
            data = data.replace(self.eta_mark, eta)
        if self.expires:
            expires = headers["expires"].encode()
            if len(expires) != 32:
                return None
            data = data.replace(self.expires_mark, expires)
        return data
