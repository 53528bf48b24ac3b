#!/usr/bin/env python3
"""page.py REPORT.html — qy-report's HTML page as people see it, in headless Chromium.

Drives Debian's chromium over its DevTools protocol (--remote-debugging-pipe:
JSON messages ended by NUL on file descriptors 3 and 4, so nothing beyond the
standard library is needed), and prints what it finds, one fact a line:

- no script error while the page loads or while its headers are clicked;
- every sortable header, clicked with the mouse (real input events), sorts
  the rows of its own table by its own column, ascending, then descending
  on a second click;
- a screenshot at 1024 px and one at 390 px (a phone) are not blank, and at
  390 px the chart fits the screen with its numbers at least 10 px tall;
- with JavaScript off the page still shows every table and chart.

Exits 77 (skip) when no chromium is installed, 1 when a check fails.
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless chromium and one page in it, spoken to over the pipe."""

    def __init__(self, path, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # chromium reads commands on fd 3 and writes on fd 4
        def child_fds():  # copies first: dup2 onto the same number would keep close-on-exec
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            [path, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
             "--font-render-hinting=none", "--user-data-dir=" + profile, "about:blank"],
            close_fds=False, preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=None if os.environ.get("PAGE_DEBUG") else subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.pending = b""
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def read(self):
        while b"\0" not in self.pending:
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self.pending += chunk
        msg, self.pending = self.pending.split(b"\0", 1)
        return json.loads(msg)

    def wait_event(self, method):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self.read()
            if e.get("method") == method:
                return e
            self.events.append(e)

    def open(self, url, javascript=True):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setScriptExecutionDisabled", {"value": not javascript})
        self.size(1024, 768)
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def size(self, width, height):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def eval(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("script: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def screenshot(self):
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def errors(self):
        found = [e for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
        self.events = [e for e in self.events if e.get("method") != "Runtime.exceptionThrown"]
        return [e["params"]["exceptionDetails"].get("exception", {}).get("description", "?") for e in found]

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def png_colours(png):
    """The width, height and number of distinct colours of a PNG (8-bit RGB or RGBA, as chromium writes)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0, 0
    pos, data, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(png):
        length, tag = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            width, height, _, kind = struct.unpack(">IIBB", body[:10])
        elif tag == b"IDAT":
            data += body
        pos += 12 + length
    channels = {2: 3, 6: 4}[kind]
    raw = zlib.decompress(data)
    stride = width * channels
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        filt, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = prev[i]
            ul = prev[i - channels] if i >= channels else 0
            if filt == 1:
                row[i] = (row[i] + left) & 255
            elif filt == 2:
                row[i] = (row[i] + up) & 255
            elif filt == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif filt == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
        for x in range(0, stride, channels * 7):  # a sample of the pixels is enough
            colours.add(bytes(row[x:x + 3]))
        prev = row
    return width, height, len(colours)


# Reads a table's column as the page shows it.
COLUMN_JS = """(function (t, c) {
  var body = document.querySelectorAll('table.sortable')[t].tBodies[0];
  return Array.prototype.map.call(body.rows, function (r) { return r.cells[c].textContent; });
})(%d, %d)"""

# Where a header is on the page, scrolled into view first.
HEADER_JS = """(function (t, c) {
  var th = document.querySelectorAll('table.sortable')[t].tHead.rows[0].cells[c];
  th.scrollIntoView({block: 'center'});
  var r = th.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
})(%d, %d)"""


def sort_key(text):
    """The order the page promises: numbers by value, the rest as text."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def is_sorted(values, descending):
    keys = [sort_key(v) for v in values]
    numeric = all(k[0] == 0 for k in keys)
    if not numeric:  # text order is the browser's localeCompare: only check it is a permutation in a stable order
        return True
    nums = [k[1] for k in keys]
    return nums == sorted(nums, reverse=descending)


def main():
    if len(sys.argv) != 2:
        print("usage: page.py REPORT.html", file=sys.stderr)
        return 2
    browser_path = find_browser()
    if not browser_path:
        print("no chromium installed: the page cannot be tested in a browser", file=sys.stderr)
        return 77
    page = "file://" + os.path.abspath(sys.argv[1])
    failed = 0

    def check(ok, what):
        nonlocal failed
        print(("ok " if ok else "FAIL ") + what)
        failed += not ok

    with tempfile.TemporaryDirectory() as profile:
        b = Browser(browser_path, profile)
        try:
            b.open(page)
            tables = b.eval("document.querySelectorAll('table.sortable').length")
            headers = b.eval("Array.prototype.map.call(document.querySelectorAll('table.sortable'),"
                             " function (t) { return t.tHead.rows[0].cells.length; })")
            check(tables > 1, "the page has %d sortable tables" % tables)
            clicks = wrong = 0
            for t, ncols in enumerate(headers):
                before = [b.eval(COLUMN_JS % (t, c)) for c in range(ncols)]
                rows = sorted(zip(*before))
                for c in range(ncols):
                    for descending in (False, True):
                        x, y = b.eval(HEADER_JS % (t, c))
                        b.click(x, y)
                        clicks += 1
                        now = [b.eval(COLUMN_JS % (t, k)) for k in range(ncols)]
                        if not is_sorted(now[c], descending) or sorted(zip(*now)) != rows:
                            wrong += 1
                            print("  table %d column %d %s: %s" % (t, c, "desc" if descending else "asc", now[c][:8]))
            check(wrong == 0, "%d header clicks sort their own table by their own column, both ways" % clicks)
            errors = b.errors()
            check(not errors, "no script errors" + ("" if not errors else ": " + errors[0]))

            w, h, colours = png_colours(b.screenshot())
            check(w == 1024 and colours > 8, "the screenshot at 1024 px is not blank")
            b.size(390, 844)
            w, h, colours = png_colours(b.screenshot())
            check(w == 390 and colours > 8, "the screenshot at 390 px is not blank")
            chart = b.eval("(function () { var r = document.getElementById('by-county').getBoundingClientRect();"
                           " return [r.left, r.right, document.documentElement.clientWidth]; })()")
            check(chart[0] >= 0 and chart[1] <= chart[2], "at 390 px the chart fits the screen")
            smallest = b.eval("Math.min.apply(null, Array.prototype.map.call("
                              "document.querySelectorAll('#by-county text'), function (t) {"
                              " return t.getBoundingClientRect().height; }))")
            check(smallest >= 10, "at 390 px the chart's words and numbers are at least 10 px tall")
            legend = b.eval("document.querySelectorAll('#by-county .legend rect').length")
            check(legend == 3, "the chart has a legend of the three severities")
        finally:
            b.close()

        b = Browser(browser_path, profile + "-nojs")
        try:
            b.open(page, javascript=False)
            rows = b.eval("document.querySelectorAll('table tbody tr').length")
            charts = b.eval("document.querySelectorAll('svg.chart').length")
            w, h, colours = png_colours(b.screenshot())
            check(rows > 0 and charts > 0 and colours > 8,
                  "with JavaScript off the page shows its %d table rows and %d charts" % (rows, charts))
        finally:
            b.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
