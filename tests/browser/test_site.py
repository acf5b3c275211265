"""Browser test of the built book: headless Chromium (Debian's) reads the site.

Every page listed in SUMMARY.md is opened at a desktop width (1280 px) and a
phone width (390 px). On each it checks what a reader would notice:

- the page loads without console errors, and nothing it asks for leaves the site;
- nothing is wider than the text column (a table, a listing or a diagram that is
  wider scrolls inside its own box, with the edge shadow that shows there is more);
- every mermaid diagram rendered, as a diagram (not mermaid's "Syntax error"
  picture), at three quarters of its natural size or more (its labels 12 px or
  more), and, on the desktop, within the text column;
- the sidebar entry of the page carries the page's own number, once;
- each Rust block has a Run button exactly when it should: mdBook's rules, and
  the Rust Playground's real crate list (tests/browser/playground-crates.txt),
  with which the test answers the page's request for that list;
- a quiz renders, takes an answer and moves on; search finds a phrase.

Usage: target/venv/bin/python tests/browser/test_site.py [BOOK_DIR]
(BOOK_DIR defaults to target/book; build it first with `mdbook build`.)
"""

import functools
import json
import http.server
import re
import sys
import threading
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Flags for a closed network: no background connections to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
DESKTOP, PHONE = 1280, 390

passed, failed = [], []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    if not condition:
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def pages_in_summary():
    """The HTML page of every chapter SUMMARY.md links to."""
    summary = (ROOT / "book" / "SUMMARY.md").read_text()
    chapters = re.findall(r"\]\(([^)\s]+\.md)\)", summary)
    return [re.sub(r"(^|/)README\.md$", r"\1index.md", c)[:-3] + ".html" for c in chapters]


def serve(directory):
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        # The pages share their scripts, styles and fonts: let the browser
        # keep them for the run instead of asking again on every page.
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()

    def handle(self):
        # The browser drops a connection when it navigates away mid-transfer.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


# mdBook's page script asks the Rust Playground which crates it has, to decide
# which Run buttons to show. The machine has no Internet: the test answers with
# the playground's real list (the crates the book names that are on it). Any
# other request that leaves the machine is an error: the site is self-contained.
PLAYGROUND_CRATES_URL = "https://play.rust-lang.org/meta/crates"
PLAYGROUND_RUN_URL = "https://play.rust-lang.org/evaluate.json"
# What the test's playground answers to a Run, and the requests it was sent.
RUN_ANSWER = "the test's playground ran it"
runs_sent = []
PLAYGROUND_CRATES = [
    line.split("#")[0].strip()
    for line in (ROOT / "tests" / "browser" / "playground-crates.txt").read_text().splitlines()
    if line.split("#")[0].strip()
]


def route_requests(route, errors):
    """Answers every request that would leave the machine (the site's own go
    straight to the local server, unintercepted, so the browser caches them)."""
    url = route.request.url
    if url == PLAYGROUND_CRATES_URL:
        crates = [{"id": c, "name": c.replace("_", "-"), "version": "*"} for c in PLAYGROUND_CRATES]
        route.fulfill(status=200, json={"crates": crates}, headers={"Access-Control-Allow-Origin": "*"})
    elif url == PLAYGROUND_RUN_URL and route.request.method == "POST":
        runs_sent.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=200, json={"result": RUN_ANSWER}, headers={"Access-Control-Allow-Origin": "*"})
    elif url == PLAYGROUND_RUN_URL:  # the CORS preflight of the POST
        route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*",
                                           "Access-Control-Allow-Headers": "Content-Type",
                                           "Access-Control-Allow-Methods": "POST"})
    else:
        errors.append(f"request leaves the site: {url}")
        route.abort()


class Reader:
    """One browser tab at one width, reused from page to page."""

    def __init__(self, browser, width):
        self.width = width
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.errors = []
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1:)"),
                           lambda route: route_requests(route, self.errors))
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def open(self, url):
        """Loads url and waits for what renders after load (diagrams, quizzes)."""
        self.errors.clear()
        self.page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        self.page.wait_for_function(RENDERED, timeout=TIMEOUT_MS)
        return self.page


# True once every diagram has its SVG, every quiz its widget, and the answer
# to the playground's crate list (if the page asked) has arrived.
RENDERED = """() =>
    [...document.querySelectorAll('pre.mermaid')].every(pre => pre.dataset.sized)
    && [...document.querySelectorAll('.quiz-placeholder')].every(q => q.querySelector('.mdbook-quiz'))
    && (!document.querySelector('pre.playground')
        || performance.getEntriesByType('resource').some(e => e.name.includes('/meta/crates')))"""


def main():
    book = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "book"
    if not (book / "index.html").exists():
        sys.exit(f"error: {book}/index.html not found: run `mdbook build` first")
    server = serve(book)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = pages_in_summary()
    check("SUMMARY.md lists pages", len(pages) > 0)
    # One reader per width, side by side: a browser tab renders on one core.
    # (Playwright's sync API wants a Playwright of its own in each thread.)
    seen = {width: {} for width in (DESKTOP, PHONE)}
    readers = [threading.Thread(target=read_at, args=(width, base, pages, seen[width]))
               for width in (DESKTOP, PHONE)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    server.shutdown()
    desktop = seen[DESKTOP]
    check("every page was read at both widths",
          all(seen[width].get("pages") == len(pages) for width in seen),
          str({width: counts.get("pages") for width, counts in seen.items()}))
    check("some page has a mermaid diagram", desktop.get("diagrams", 0) > 0)
    check("some page has a quiz", desktop.get("quizzes", 0) > 0)
    check("some block has a Run button", desktop.get("Run buttons", 0) > 0)
    print("browser: " + ", ".join(f"{n} {what}" for what, n in desktop.items() if what != "pages")
          + f", {len(pages)} pages at {DESKTOP} and {PHONE} px")
    print(f"browser: {len(passed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


def read_at(width, base, pages, seen):
    """Reads every page at one width, running the checks that apply there."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            read_pages(Reader(browser, width), base, pages, seen)
        finally:
            browser.close()


def read_pages(reader, base, pages, seen):
    desktop = reader.width == DESKTOP
    seen.update({"pages": 0, "diagrams": 0, "quizzes": 0, "rust blocks": 0, "Run buttons": 0})
    for path in pages:
        where = f"{path} at {reader.width} px"
        try:
            page = reader.open(base + path)
        except PlaywrightError as error:
            check(f"page loads: {where}", False, str(error).splitlines()[0])
            continue
        seen["pages"] += 1
        check_fits(page, where)
        check_diagrams(page, where, seen, desktop)
        if desktop:
            check_sidebar_label(page, path)
            check_run_buttons(page, path, seen)
            if page.locator(".mdbook-quiz").count():
                seen["quizzes"] += 1
                check_quiz(page, path)
        # Last, so that errors raised by the diagrams and the quiz count too.
        check(f"loads without console errors: {where}", not reader.errors and page.title(),
              "; ".join(reader.errors) or "no title")
    if desktop:
        check_search(reader, base)
        check_run(reader, base)
    reader.context.close()


# Elements whose right edge passes the text column's, outside any box that
# scrolls; and boxes that scroll without the edge shadow that shows it.
OVERFLOW = """() => {
    const main = document.querySelector('main');
    const limit = main.getBoundingClientRect().right + 1;
    const describe = el => {
        const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
        return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string'
            ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}> "${text}"`;
    };
    const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    const wide = [], unmarked = [];
    const walk = el => {
        for (const child of el.children) {
            const box = child.getBoundingClientRect();
            if (box.width > 0 && box.right > limit) {
                wide.push(describe(child));
                continue;
            }
            if (scrolls(child)) {
                if (child.scrollWidth > child.clientWidth + 1
                    && !getComputedStyle(child).backgroundImage.includes('gradient')) {
                    unmarked.push(describe(child));
                }
                continue;  // what is inside scrolls with it
            }
            walk(child);
        }
    };
    walk(main);
    return { wide, unmarked };
}"""


def check_fits(page, where):
    result = page.evaluate(OVERFLOW)
    check(f"nothing is wider than the text column: {where}", not result["wide"],
          f"{len(result['wide'])} element(s): " + "; ".join(result["wide"][:5]))
    check(f"every box that scrolls shows that it does: {where}", not result["unmarked"],
          "; ".join(result["unmarked"][:5]))


DIAGRAMS = """() => [...document.querySelectorAll('pre.mermaid')].map((pre, i) => {
    const svg = pre.querySelector('svg');
    const labels = svg ? [...svg.querySelectorAll('text, .nodeLabel')].map(e => e.textContent) : [];
    const text = (labels.join(' ') || pre.textContent || '').replace(/\s+/g, ' ').slice(0, 60);
    if (!svg) return { i, text, rendered: false };
    const error = svg.getAttribute('aria-roledescription') === 'error'
        || /Syntax error/.test(svg.textContent);
    const natural = svg.viewBox && svg.viewBox.baseVal ? svg.viewBox.baseVal.width : 0;
    const shown = svg.getBoundingClientRect().width;
    return { i, text, rendered: true, error, scale: natural ? shown / natural : 1,
             fits: pre.scrollWidth <= pre.clientWidth + 1, natural: Math.round(natural) };
})"""

# mermaid's labels are 16 px: at this scale they are 12 px.
SMALLEST_SCALE = 0.75


def check_diagrams(page, where, seen, desktop):
    for diagram in page.evaluate(DIAGRAMS):
        name = f"diagram {diagram['i'] + 1} of {where}"
        if desktop:
            seen["diagrams"] += 1
        check(f"{name} renders", diagram["rendered"], diagram["text"])
        if not diagram["rendered"]:
            continue
        check(f"{name} is a diagram, not mermaid's error", not diagram["error"], diagram["text"])
        check(f"{name} is readable", diagram["scale"] >= SMALLEST_SCALE - 0.01,
              f"shrunk to {diagram['scale']:.0%} of its size: {diagram['text']}")
        if desktop:
            check(f"{name} fits the column", diagram["fits"],
                  f"{diagram['natural']} px wide: {diagram['text']}")


def expected_number(path):
    """The number a page carries, from its place in the book: ch02/06_x.html is
    2.6, ch04/index.html is 4, appendix/a1_x.html is A.1; quizzes have none."""
    if m := re.fullmatch(r"ch(\d+)/(\d+)_.*\.html", path):
        return f"{int(m[1])}.{int(m[2])}"
    if m := re.fullmatch(r"ch(\d+)/index\.html", path):
        return str(int(m[1]))
    if m := re.fullmatch(r"appendix/a(\d+)_.*\.html", path):
        return f"A.{m[1]}"
    return None


def check_sidebar_label(page, path):
    label = page.evaluate("""() => {
        const active = document.querySelector('#mdbook-sidebar a.active, .sidebar a.active');
        return active ? active.textContent.trim().replace(/\\s+/g, ' ') : null;
    }""")
    heading = page.locator("main h1").first.inner_text().strip()
    number = expected_number(path)
    if label is None:
        check(f"the sidebar marks the page: {path}", False, "no active sidebar entry")
        return
    first = label.split(" ")[0]
    if number is None:
        ok = not re.match(r"[\dA]\.?\d*\.?$", first)
        check(f"sidebar label has no number: {path}", ok, label)
        return
    check(f"sidebar label is '{number} ...': {path}", first == number and label.count(number) == 1,
          f"sidebar says {label!r}")
    if re.match(r"[\dA][.\d]*\s", heading):
        check(f"heading and sidebar agree: {path}", heading.split(" ")[0] == number,
              f"heading {heading!r}, sidebar {label!r}")


RUN_BUTTONS = """crates => [...document.querySelectorAll('main pre > code.language-rust')].map(code => {
    const pre = code.parentElement, cls = code.classList;
    // What the Run button would send: every line, hidden ones included.
    const text = code.textContent;
    const named = [...text.matchAll(/extern\\s+crate\\s+([a-zA-Z_0-9]+)\\s*;/g)].map(m => m[1]);
    const expected = !cls.contains('noplayground') && !cls.contains('no_run')
        && (!cls.contains('ignore') || cls.contains('mdbook-runnable'))
        && named.every(name => crates.includes(name));
    const button = pre.querySelector('.play-button');
    const shown = !!button && !button.classList.contains('hidden') && button.offsetParent !== null;
    const first = text.split('\\n').find(line => line.trim() && !line.startsWith('#')) || '';
    return { expected, shown, first: first.trim().slice(0, 60), named };
})"""


def check_run_buttons(page, path, seen):
    blocks = page.evaluate(RUN_BUTTONS, PLAYGROUND_CRATES)
    seen["rust blocks"] += len(blocks)
    seen["Run buttons"] += sum(b["shown"] for b in blocks)
    wrong = [b for b in blocks if b["expected"] != b["shown"]]
    check(f"Run buttons exactly where the playground can run the block: {path}", not wrong,
          "; ".join(f"{'has' if b['shown'] else 'lacks'} one: {b['first']!r} (crates {b['named']})"
                    for b in wrong[:5]))


def check_search(reader, base):
    page = reader.open(base + "index.html")
    page.click("#mdbook-search-toggle")
    # The search runs on key-up: type the term as a reader would.
    page.locator("#mdbook-searchbar").press_sequentially("false sharing", delay=20)
    results = page.locator("#mdbook-searchresults li")
    try:
        results.first.wait_for(timeout=TIMEOUT_MS)
        count = results.count()
    except PlaywrightError:
        count = 0
    check("search finds 'false sharing'", count > 0, f"{count} results")


def check_run(reader, base):
    """Pressing Run sends the whole program (hidden lines included) for an
    optimised build, and shows the playground's answer under the block."""
    page = reader.open(base + FIRST_LISTING_PAGE)
    block = page.locator("pre.playground").filter(has=page.locator(".play-button:not(.hidden)")).first
    block.hover()  # mdBook shows a block's buttons while the pointer is on it
    block.locator(".play-button").click()
    try:
        block.locator(".result").filter(has_text=RUN_ANSWER).wait_for(timeout=TIMEOUT_MS)
        shown = True
    except PlaywrightError:
        shown = False
    sent = runs_sent[-1] if runs_sent else {}
    check("Run shows the playground's answer", shown)
    check("Run asks for an optimised build (the listings are sized for one)",
          sent.get("optimize") not in (None, "0"), str({k: v for k, v in sent.items() if k != "code"}))
    check("Run sends the whole program, hidden lines included",
          "fn main" in sent.get("code", "") and "fn parse_args" in sent.get("code", ""),
          sent.get("code", "")[:80])


FIRST_LISTING_PAGE = "ch01/01_what_is_parallel_computing.html"


def check_quiz(page, path):
    start = page.get_by_role("button", name="Start")
    if start.count():
        start.first.click()
    first_prompt = page.locator(".prompt").first.inner_text()
    choice = page.locator(".response input").first
    if choice.get_attribute("type") in ("radio", "checkbox"):
        choice.check()
    else:
        choice.fill("an answer")
    page.get_by_role("button", name="Submit").first.click()
    try:
        page.wait_for_function(
            "p => { const q = document.querySelector('.prompt'); return !q || q.innerText !== p; }",
            arg=first_prompt,
            timeout=TIMEOUT_MS,
        )
        moved_on = True
    except PlaywrightError:
        moved_on = False
    check(f"quiz accepts an answer and moves on: {path}", moved_on)


if __name__ == "__main__":
    sys.exit(main())
