"""``appdeploy console``: the web console, as you (local mode) or as each visitor (client mode)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from appdeploy.cli.connection_flags import add_connection_flags
from appdeploy.cli.exit_codes import OK, HelpFormatter, exit_codes_help

SUMMARY = "Serve the web console: see releases, approve gates as yourself (docs/console.md)"


def add_console_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``console``."""
    parser = commands.add_parser(
        "console",
        help=SUMMARY,
        description=SUMMARY + ". Local mode (the default) acts with your kubeconfig's "
        "credentials, like kubectl proxy, and --as/--as-group pass through as impersonation. "
        "Client mode (--auth client, in a cluster) acts with each visitor's own bearer token "
        "and holds no rights of its own. -n opens the list on a namespace (default: every "
        "namespace you may list).",
        epilog=exit_codes_help({OK: "stopped", 2: "usage error"}),
        formatter_class=HelpFormatter,
    )
    add_connection_flags(parser)
    parser.add_argument(
        "--address",
        default="127.0.0.1:8765",
        metavar="HOST:PORT",
        help="where to listen (default 127.0.0.1:8765; local mode refuses a non-loopback host)",
    )
    parser.add_argument("--open", action="store_true", help="print the URL to open, then serve")
    parser.add_argument(
        "--auth",
        choices=["local", "client"],
        default="local",
        help="local: your kubeconfig (default); client: each visitor's bearer token",
    )
    parser.add_argument(
        "--api-server",
        default="",
        metavar="URL",
        help="client mode: the API server (default: from KUBERNETES_SERVICE_HOST/PORT)",
    )
    parser.add_argument(
        "--api-ca",
        default="",
        metavar="FILE",
        help="client mode: the API server's CA (default: the pod's service-account ca.crt)",
    )
    parser.add_argument(
        "--public-url",
        default="",
        metavar="URL",
        help="the URL people reach the console at (links; the same-origin check)",
    )
    parser.add_argument(
        "--csrf-secret-file",
        default="",
        metavar="FILE",
        help="the secret CSRF tokens are signed with, shared by every replica (default: a "
        "random one per process, so open forms go stale on restart)",
    )
    parser.set_defaults(handler=run_console)


def run_console(args: argparse.Namespace) -> int:
    from appdeploy.console.serve import (  # noqa: PLC0415 (aiohttp loads on demand)
        IN_CLUSTER_CA,
        ConsoleOptions,
        is_loopback,
        parse_address,
        read_secret,
        serve,
    )

    try:
        host, port = parse_address(args.address)
        client_auth = args.auth == "client"
        if not client_auth and not is_loopback(host):
            raise ValueError(
                f"--address {args.address}: local mode acts with your own credentials, so it "
                "listens on loopback only; use --auth client to serve others"
            )
        if client_auth and (args.as_user or args.as_groups):
            raise ValueError("--as/--as-group are local mode's; client mode acts as each visitor")
        options = ConsoleOptions(
            host=host,
            port=port,
            client_auth=client_auth,
            kubeconfig=args.kubeconfig,
            context=args.context,
            namespace=args.namespace or "",
            as_user=args.as_user,
            as_groups=list(args.as_groups),
            api_server=args.api_server,
            api_ca=args.api_ca or IN_CLUSTER_CA,
            public_url=args.public_url,
            csrf_secret=read_secret(args.csrf_secret_file),
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ready = asyncio.Event()

    async def main() -> None:
        task = asyncio.create_task(serve(options, ready))
        await ready.wait()
        if args.open:
            print(f"open {options.url}", flush=True)
        print(f"appdeploy console serving on http://{host}:{port}/", file=sys.stderr, flush=True)
        await task

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return OK
