"""``tmscal feeds --config FILE list|create|rotate|revoke``: manage feed and display tokens.

``create`` and ``rotate`` print the new token's URLs (https, webcal and display) once: only a
hash is stored, so ``list`` can show ids, scopes and levels but never the URLs again.
"""

from __future__ import annotations

import argparse
import sys

from tmscal.feeds.tokens import FeedToken, IssuedToken, open_token_store
from tmscal.mirror import open_store
from tmscal.settings import Settings, load_settings


def base_url(settings: Settings) -> str:
    """``[feeds] public_url``, else the bridge's own ``http://host:port/``."""
    public = settings.feeds.public_url
    if public:
        return public.rstrip("/") + "/"
    return f"http://{settings.server.host}:{settings.server.port}/"


def feed_urls(base: str, secret: str) -> dict[str, str]:
    """The https (as configured), webcal and display URLs of a token."""
    feed = f"{base}feeds/{secret}.ics"
    webcal = "webcal://" + feed.split("://", 1)[1]
    return {"https": feed, "webcal": webcal, "display": f"{base}display/{secret}"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="bridge configuration file (the mirror database holds the tokens)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list tokens (never their URLs)")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    create = sub.add_parser("create", help="create a token and print its URLs")
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--room", type=int, metavar="SYSTEM_ID", help="one room")
    scope.add_argument("--site", metavar="NAME", help="every room of a site")
    scope.add_argument("--all-rooms", action="store_true", help="every room")
    create.add_argument("--privacy", choices=("busy", "title", "full"), default="title",
                        help="what the feed shows (default: title)")
    create.add_argument("--label", default="", help="a note for the list (e.g. where it is used)")
    rotate = sub.add_parser("rotate", help="replace a token by a new one (old URL stops working)")
    rotate.add_argument("token_id")
    revoke = sub.add_parser("revoke", help="revoke a token (its URLs answer 404)")
    revoke.add_argument("token_id")


def _describe(token: FeedToken) -> str:
    state = "live" if token.live else f"revoked {token.revoked:%Y-%m-%d %H:%M}Z"
    replaced = f" → {token.replaced_by}" if token.replaced_by else ""
    label = f"  {token.label}" if token.label else ""
    return (f"{token.token_id}  {token.describe_scope():<22} {token.privacy.value:<5}  "
            f"created {token.created:%Y-%m-%d %H:%M}Z  {state}{replaced}{label}")


def _print_issued(issued: IssuedToken, base: str) -> None:
    record = issued.record
    print(f"token {record.token_id}: {record.describe_scope()}, privacy {record.privacy.value}")
    urls = feed_urls(base, issued.secret)
    print(f"  https:   {urls['https']}")
    print(f"  webcal:  {urls['webcal']}")
    if record.scope == "room":
        print(f"  display: {urls['display']}")
    if not base.startswith("https://"):
        print("  note: set [feeds] public_url to the bridge's https address; cloud calendars "
              "need https", file=sys.stderr)
    print("  (shown once: only a hash is stored)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = open_store(settings.mirror)
    tokens = open_token_store(store)
    if args.action == "list":
        for token in tokens.list(include_revoked=args.all):
            print(_describe(token))
        return 0
    base = base_url(settings)
    if args.action == "create":
        if args.room is not None:
            if store.get_room(args.room) is None:
                print(f"warning: room {args.room} is not in the mirror (yet)",
                      file=sys.stderr)
            issued = tokens.create("room", str(args.room), args.privacy, args.label)
        elif args.site:
            issued = tokens.create("site", args.site, args.privacy, args.label)
        else:
            issued = tokens.create("all", "", args.privacy, args.label)
        _print_issued(issued, base)
        return 0
    if args.action == "rotate":
        try:
            issued = tokens.rotate(args.token_id)
        except KeyError:
            print(f"no live token {args.token_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.token_id}")
        _print_issued(issued, base)
        return 0
    if not tokens.revoke(args.token_id):
        print(f"no live token {args.token_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.token_id}")
    return 0
