"""Browser test of the built book: headless Chromium (Debian's) opens the site.

Checks that every page listed in SUMMARY.md loads without console errors, that
search returns results, that a quiz renders and accepts an answer, that mermaid
diagrams render as SVG, and that listings show their play button.

Usage: target/venv/bin/python tests/browser/test_site.py [BOOK_DIR]
(BOOK_DIR defaults to target/book; build it first with `mdbook build`.)
"""

import functools
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

passed, failed = [], []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    print(f"{'ok  ' if condition else 'FAIL'} {name}" + (f": {detail}" if detail and not condition else ""))


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


# mdBook's page script asks the Rust Playground which crates it has, to decide
# which play buttons to show. The test machine has no Internet, so the test
# answers for the playground with the crates the book's listings use; any other
# request that leaves the machine is an error: the site must be self-contained.
PLAYGROUND_CRATES_URL = "https://play.rust-lang.org/meta/crates"
PLAYGROUND_CRATES = {"crates": [{"id": c, "name": c, "version": "1"} for c in ("crossbeam", "rayon", "tokio")]}


def route_requests(route, errors):
    url = route.request.url
    if url.startswith("http://127.0.0.1:"):
        route.continue_()
    elif url == PLAYGROUND_CRATES_URL:
        route.fulfill(status=200, json=PLAYGROUND_CRATES, headers={"Access-Control-Allow-Origin": "*"})
    else:
        errors.append(f"request leaves the site: {url}")
        route.abort()


def open_page(browser, url):
    """Loads url in a fresh page; returns the page and the errors it logged."""
    page = browser.new_page()
    errors = []
    page.route("**/*", lambda route: route_requests(route, errors))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    return page, errors


def main():
    book = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "book"
    if not (book / "index.html").exists():
        sys.exit(f"error: {book}/index.html not found: run `mdbook build` first")
    server = serve(book)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            run_checks(browser, base)
        finally:
            browser.close()
    server.shutdown()
    print(f"browser: {len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_checks(browser, base):
    """One visit per page: every check that applies to a page runs on that visit."""
    pages = pages_in_summary()
    check("SUMMARY.md lists pages", len(pages) > 0)
    seen = {"mermaid": 0, "listings": 0, "play": 0, "quiz": 0}
    for path in pages:
        try:
            page, errors = open_page(browser, base + path)
        except PlaywrightError as error:
            check(f"page loads: {path}", False, str(error).splitlines()[0])
            continue
        if page.locator("pre.mermaid").count():
            seen["mermaid"] += 1
            check_mermaid(page, path)
        if page.locator("code.language-rust").count():
            seen["listings"] += 1
            seen["play"] += page.locator("pre .play-button").count() > 0
        if page.locator(".quiz-placeholder").count():
            seen["quiz"] += 1
            check_quiz(page, path)
        # Last, so that errors raised by the diagrams and the quiz count too.
        check(f"page loads without console errors: {path}", not errors and page.title(),
              "; ".join(errors) or "no title")
        if path == FIRST_LISTING_PAGE:
            check("the first listing has a play button", page.locator("pre .play-button").count() > 0)
        page.close()
    check("some page has a mermaid diagram", seen["mermaid"] > 0)
    check("some page has a quiz", seen["quiz"] > 0)
    # Pages whose Rust blocks are all fragments (compile_fail, no_run) have no
    # play button; every other page with listings has one.
    check("listings show their play button", seen["play"] > 0, f"{seen['play']} of {seen['listings']} pages")
    check_search(browser, base)


FIRST_LISTING_PAGE = "ch01/01_what_is_parallel_computing.html"


def check_search(browser, base):
    page, _ = open_page(browser, base + "index.html")
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
    page.close()


def check_mermaid(page, path):
    diagrams = page.locator("pre.mermaid").count()
    try:
        page.locator("pre.mermaid svg").nth(diagrams - 1).wait_for(timeout=TIMEOUT_MS)
    except PlaywrightError:
        pass
    rendered = page.locator("pre.mermaid svg").count()
    check(f"mermaid diagrams render as SVG: {path}", rendered == diagrams, f"{rendered} of {diagrams} rendered")


def check_quiz(page, path):
    try:
        page.locator(".mdbook-quiz").first.wait_for(timeout=TIMEOUT_MS)
    except PlaywrightError:
        check(f"quiz renders: {path}", False, "no .mdbook-quiz element")
        return
    check(f"quiz renders: {path}", True)
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
