"""Screenshots of the built book, as a reader sees it, for looking at by eye.

Takes PNGs of each named page at a desktop width (1280 px) and a phone width
(390 px) in Debian's headless Chromium, after the diagrams have rendered: one
per screenful, top to bottom (at most MAX_SCREENS), readable at full size, in
target/screenshots/<page>-<width>-<n>.png.

Usage: target/venv/bin/python tests/browser/screenshots.py PAGE... 
       (PAGE as in the site: ch02/06_mutual_exclusion.html; `all` for every page)
Build the site first: mdbook build.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from test_site import CHROMIUM, CHROMIUM_ARGS, ROOT, Reader, pages_in_summary, serve

WIDTHS = (1280, 390)
HEIGHT = 900
MAX_SCREENS = 12


def main():
    names = sys.argv[1:] or sys.exit(__doc__)
    book = ROOT / "target" / "book"
    out = ROOT / "target" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    pages = pages_in_summary() if names == ["all"] else names
    server = serve(book)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            reader = Reader(browser, width)
            for path in pages:
                page = reader.open(base + path)
                height = page.evaluate("document.documentElement.scrollHeight")
                stem = path.replace("/", "_").removesuffix(".html")
                for screen in range(min(MAX_SCREENS, -(-height // HEIGHT))):
                    page.evaluate(f"window.scrollTo(0, {screen * HEIGHT})")
                    file = out / f"{stem}-{width}-{screen + 1}.png"
                    page.screenshot(path=str(file))
                print(f"{stem}-{width}: {height} px", "; ".join(reader.errors))
            reader.context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
