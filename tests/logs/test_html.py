"""The HTML and SVG reports, opened in a real headless Chromium with the network off."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from chromium_support import Chromium
from logs_support import write
from waterfall_support import CID, write_checkout

from devkit.cli.logs.html import requests_html

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def browser():
    chrome = Chromium()
    yield chrome
    chrome.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def count(browser: Chromium, selector: str, visible_only: bool = False) -> int:
    test = "e=>!e.hidden" if visible_only else "e=>true"
    return browser.eval(f"Array.prototype.filter.call(document.querySelectorAll({json.dumps(selector)}),{test}).length")


def test_trace_report_renders_offline_with_its_events_services_and_waterfall(tmp_path, run, browser):
    write_checkout(tmp_path / "logs")
    report = tmp_path / "report.html"
    result = run("logs", "trace", CID, str(tmp_path / "logs"), "--tz", "UTC", "--html", str(report))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the file instead of the timeline
    assert f"wrote {report} (" in result.stderr and "19 events, 6 services)" in result.stderr
    html = report.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html
    assert "<link" not in html and "@import" not in html and " src=" not in html

    browser.open(report)
    assert browser.eval("document.body.getAttribute('data-ready')") == "1"  # the script ran: CSP hash is right
    assert count(browser, "#events tbody tr") == 19
    assert count(browser, "input[data-service]") == 6
    assert count(browser, "svg.wf g.hop") == 7
    assert browser.eval("document.querySelector('#shown').textContent") == "19 of 19 events shown"
    assert browser.eval("document.querySelector('tr.root td.svc').textContent") == "payments"
    assert browser.eval("document.querySelector('.cause').textContent").startswith(
        "◆ probable root cause: payments +1.440s ERROR psp_request_failed")
    assert count(browser, "details.tb") == 3 and count(browser, "details.tb[open]") == 0
    assert browser.requested_urls() == [report.resolve().as_uri()]  # nothing else, ever
    assert browser.console_errors() == []  # no CSP violation, no script error

    shot = browser.screenshot(tmp_path / "report.png")
    width, height = png_size(shot)
    assert width == 1280 and height > 900  # the whole page, beyond the first screen


def test_filter_box_service_toggles_errors_only_and_a_hop_click(tmp_path, run, browser):
    write_checkout(tmp_path / "logs")
    report = tmp_path / "report.html"
    run("logs", "trace", CID, str(tmp_path / "logs"), "--tz", "UTC", "--html", str(report))
    browser.open(report)
    browser.type_into("#filter", "inventory")
    assert count(browser, "#events tbody tr", visible_only=True) == 4
    browser.click("#errors-only")
    assert count(browser, "#events tbody tr", visible_only=True) == 0
    browser.click("#errors-only")
    browser.eval("var f=document.getElementById('filter');f.value='';f.dispatchEvent(new Event('input'))")
    browser.click("input[data-service='gateway']")  # service off
    assert count(browser, "#events tbody tr", visible_only=True) == 15
    browser.click("input[data-service='gateway']")
    browser.click("svg.wf g.hop[data-hop='4'] rect")  # the payments bar
    assert count(browser, "#events tbody tr", visible_only=True) == 2
    assert browser.eval("document.getElementById('hop-filter').textContent").startswith("only hop: payments")
    browser.click("#expand")
    assert count(browser, "details.tb[open]") == 3
    browser.open(report, fragment="#q=ConnectTimeout")  # a shared link can carry the filter
    assert count(browser, "#events tbody tr", visible_only=True) == 1


def test_hostile_log_text_stays_text(tmp_path, run, browser):
    log = write(tmp_path / "svc.log",
                "2026-11-20 09:00:00,000 ERROR abc123 <script>document.title='pwned'</script>"
                " \"><img src=http://192.0.2.1/x.png> \x1b]0;title\x07 \u202eevil\u202c\n"
                "2026-11-20 09:00:01,000 INFO abc123 </td></tr></table><iframe src=https://192.0.2.1/></iframe>\n")
    report = tmp_path / "r.html"
    assert run("logs", "trace", "abc123", str(log), "--html", str(report)).exit_code == 0
    browser.open(report)
    assert browser.eval("document.title").startswith("Request abc123")
    assert count(browser, "script") == 1 and count(browser, "img") == 0 and count(browser, "iframe") == 0
    assert count(browser, "#events tbody tr") == 2
    text = browser.eval("document.querySelector('#events tbody tr td.msg').textContent")
    assert "<script>document.title='pwned'</script>" in text and "<img src=http://192.0.2.1/x.png>" in text
    assert "␛]0;title␇" in text and "<U+202E>evil<U+202C>" in text
    assert browser.requested_urls() == [report.resolve().as_uri()]


def test_100_event_trace_stays_under_1_mb(tmp_path, run, browser):
    tb = "\n".join(["Traceback (most recent call last):"]
                   + [f'  File "/srv/app/module_{i}.py", line {i * 7}, in handler_{i}\n    result = call_{i}(arg)'
                      for i in range(15)] + ["RuntimeError: upstream failed"])
    lines = []
    for i in range(100):
        level = "ERROR" if i % 5 == 0 else "INFO"
        lines.append(f"2026-11-20 09:00:{i // 10:02d},{i * 7 % 1000:03d} {level} req-42 step {i} of the batch job")
        if level == "ERROR":
            lines.append(tb)
    log = write(tmp_path / "worker" / "worker.log", "\n".join(lines) + "\n")
    report = tmp_path / "r.html"
    assert run("logs", "trace", "req-42", str(log), "--html", str(report)).exit_code == 0
    size = report.stat().st_size
    assert size < 1_000_000, size
    browser.open(report)
    assert count(browser, "#events tbody tr") == 100 and count(browser, "details.tb") == 20


def test_svg_alone_opens_as_an_image(tmp_path, run, browser):
    write_checkout(tmp_path / "logs")
    svg = tmp_path / "waterfall.svg"
    result = run("logs", "trace", CID, str(tmp_path / "logs"), "--tz", "UTC", "--svg", str(svg))
    assert result.exit_code == 0 and result.stdout == ""
    assert svg.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns=')
    browser.open(svg)
    assert count(browser, "g.hop") == 7
    assert browser.eval("document.querySelector('g.hop[data-hop=\"6\"] title').textContent").startswith(
        "notifier: +1.870s, 80ms (own 80ms), 3 events, 1 error, asynchronous")
    piped = run("logs", "trace", CID, str(tmp_path / "logs"), "--tz", "UTC", "--svg", "-")
    assert piped.stdout.startswith("<?xml") and piped.stdout.rstrip().endswith("</svg>")


@dataclass
class Row:
    """Shaped like devkit.logs.requests.RequestRow."""

    correlation_id: str
    first: float | None
    last: float | None
    duration: float | None
    services: list[str] = field(default_factory=list)
    status: int | None = None
    events: int = 0
    errors: int = 0
    first_error: str | None = None


def test_requests_table_links_to_traces_filters_and_sorts(tmp_path, browser):
    rows = [
        Row("e5f011c3c08395f59280cb8e102d796b", 1795166193.411, 1795166206.522, 3.054,
            ["nginx", "gateway", "orders", "payments", "notifier"], 502, 22, 4, "psp_request_failed: ConnectTimeout"),
        Row("d98408630cf6eafc2017375de212e880", 1795166100.0, 1795166100.4, 0.348, ["nginx", "gateway"], 201, 12, 0),
        Row("a/b <x>", None, None, None, ["gateway"], None, 1, 1, "<b>boom</b>"),
    ]
    page = tmp_path / "requests.html"
    page.write_text(requests_html(rows, sources=["examples/logs"]))
    browser.open(page)
    assert browser.eval("document.body.getAttribute('data-ready')") == "1"
    assert count(browser, "#requests tbody tr") == 3
    hrefs = browser.eval("Array.prototype.map.call(document.querySelectorAll('#requests tbody a'),"
                         "function(a){return a.getAttribute('href');})")
    assert hrefs == ["trace-e5f011c3c08395f59280cb8e102d796b.html", "trace-d98408630cf6eafc2017375de212e880.html",
                     "trace-a%2Fb%20%3Cx%3E.html"]
    assert browser.eval("document.querySelectorAll('#requests tbody tr')[2].textContent").endswith("<b>boom</b>")
    browser.click("#failed-only")
    assert count(browser, "#requests tbody tr", visible_only=True) == 2
    browser.click("#failed-only")
    browser.click("th[data-key='duration']")
    order = browser.eval("Array.prototype.map.call(document.querySelectorAll('#requests tbody tr'),"
                         "function(r){return r.getAttribute('data-id');})")
    assert order[:2] == ["d98408630cf6eafc2017375de212e880", "e5f011c3c08395f59280cb8e102d796b"]
    assert browser.requested_urls() == [page.resolve().as_uri()] and browser.console_errors() == []
