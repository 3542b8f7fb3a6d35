"""Full-page screenshots of Parley pages, signed in through the real login form.

    python scripts/screenshots.py --base http://127.0.0.1:8000 --login agent1@demo.test \\
        --password parley-demo --out /tmp/shots /w/demo/messages/ /w/demo/contacts/

Saves one PNG per path (/w/demo/messages/ -> w_demo_messages.png). --axe prints the axe-core
violations of each page; console errors (CSP violations included) are printed to stderr. Exits 1
when a page answered with an HTTP error or could not be loaded. Uses Debian's /usr/bin/chromium
(PARLEY_CHROMIUM overrides it) with the same flags as the e2e tests.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.chromium import (  # noqa: E402
    BrowserLog,
    SignInError,
    at_least,
    axe_violations,
    format_violations,
    launch_chromium,
    sign_in,
)


def file_name_for(path: str) -> str:
    """/w/demo/messages/?tab=mine -> w_demo_messages_tab_mine.png; / -> index.png."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.strip("/")).strip("_.")
    return f"{stem or 'index'}.png"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="paths to capture, e.g. /w/demo/messages/")
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="server base URL")
    parser.add_argument("--login", metavar="EMAIL", help="sign in as this user first (else anonymous)")
    parser.add_argument("--password", default="parley-demo", help="password for --login (demo default)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "parley-shots",
                        help="output directory (default: <tmp>/parley-shots)")
    parser.add_argument("--width", type=int, default=1280, help="viewport width (px)")
    parser.add_argument("--height", type=int, default=800, help="viewport height (px)")
    parser.add_argument("--locale", default="en-US", help="browser locale (es-ES for the Spanish UI)")
    parser.add_argument("--axe", action="store_true", help="print each page's axe violations to stdout")
    parser.add_argument("--axe-min-impact", default="minor", choices=["minor", "moderate", "serious", "critical"],
                        help="with --axe, list violations of this impact or worse")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # keep stdout and stderr lines in order
    base = args.base.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        log = BrowserLog()
        context = log.attach(browser.new_context(
            base_url=base, locale=args.locale, viewport={"width": args.width, "height": args.height},
        ))
        page = context.new_page()
        if args.login:
            try:
                sign_in(page, args.login, args.password)
            except (SignInError, PlaywrightError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                browser.close()
                return 1
        for path in args.paths:
            seen = len(log.messages)
            target = args.out / file_name_for(path)
            try:
                response = page.goto(path if path.startswith(("http://", "https://")) else "/" + path.lstrip("/"))
                page.wait_for_load_state("networkidle")
            except PlaywrightError as exc:
                print(f"{path}: could not load ({exc.message.splitlines()[0]})", file=sys.stderr)
                failures += 1
                continue
            status = response.status if response else 0
            page.screenshot(path=str(target), full_page=True)
            print(f"{path} -> {target} (HTTP {status}, {page.url})")
            if status >= 400:
                failures += 1
            for kind, text, url in log.messages[seen:]:
                if kind in ("error", "warning"):
                    print(f"  console {kind}: {text} [{url}]", file=sys.stderr)
            if args.axe:
                violations = at_least(axe_violations(page), args.axe_min_impact)
                if violations:
                    print(f"  axe: {len(violations)} rule(s) violated\n" + format_violations(violations))
                else:
                    print("  axe: no violations")
        for error in log.page_errors:
            print(f"  page error: {error}", file=sys.stderr)
        browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
