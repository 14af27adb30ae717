"""The argument parser of ``rollup`` and :func:`main`, which runs a command and maps failures to exit statuses."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rollup.cli.bench import _bench_arguments, cmd_bench
from rollup.cli.blocks import cmd_block_build, cmd_block_export, cmd_block_prove, cmd_block_show, cmd_reexecute
from rollup.cli.chain import cmd_balances, cmd_init, cmd_user_add
from rollup.cli.chain_proofs import cmd_chain_export, cmd_chain_prove
from rollup.cli.demo import cmd_demo
from rollup.cli.failures import check_worker_limit, failure
from rollup.cli.parsing import block_number, positive
from rollup.cli.proving import DEFAULT_WORKERS
from rollup.cli.run import cmd_run
from rollup.cli.transactions import cmd_claim, cmd_send
from rollup.cli.ui import CliError, Ui
from rollup.cli.vk import cmd_vk
from rollup.cli.wallet import cmd_chain_rebuild, cmd_session_submit, cmd_wallet_new, cmd_wallet_prove
from rollup.cli.wallet import cmd_wallet_balance as cmd_wallet_balance_own
from rollup.params import DEFAULT_CHAIN_DIR


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors take the one error path (one line, exit 2) of :func:`main`."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rollup",
        description="Build, prove and inspect a zk-rollup chain (a directory holding rollup.sqlite).",
        epilog="Verify block proofs as a light client with `rollup-verify`. See docs/user-guide.md.",
    )
    dir_help = f"chain directory (default: ./{DEFAULT_CHAIN_DIR})"
    debug_help = "on an error, print the traceback after its one line (for a bug report)"
    parser.add_argument("--dir", default=None, help=dir_help)
    parser.add_argument("--debug", action="store_true", help=debug_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default=argparse.SUPPRESS, help=dir_help)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    proving = argparse.ArgumentParser(add_help=False)
    proving.add_argument(
        "--workers", type=positive, default=DEFAULT_WORKERS, help=f"local prover processes (default: {DEFAULT_WORKERS})"
    )
    proving.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="prove on the Dask cluster of this scheduler (tcp://host:8786), or 'local' for a local Dask cluster",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        parent: Any, name: str, handler: Callable[[argparse.Namespace, Ui], int], text: str, *parents: Any
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=text, description=text, parents=[common, *parents])
        sub.set_defaults(handler=handler)
        return sub

    command(
        commands,
        "demo",
        cmd_demo,
        "run the seed scenario end to end: prove and verify each block "
        "(in a temporary chain unless --dir names a new one)",
        proving,
    )
    run = command(
        commands, "run", cmd_run, "run a scripted chain from a scenario file, prove and export every block", proving
    )
    run.add_argument("scenario", help="scenario JSON file (see docs/user-guide.md)")
    run.add_argument("--json", action="store_true", help="print balances and blocks as JSON on stdout")
    run.add_argument("--no-prove", action="store_true", help="build the blocks natively only (prove them later)")
    command(commands, "init", cmd_init, "create an empty chain")
    user = commands.add_parser("user", help="manage users", description="manage users")
    user_commands = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    add = command(user_commands, "add", cmd_user_add, "register a user (with its deposit) in the next block")
    add.add_argument("name")
    add.add_argument("--balance", required=True, help="starting balance (public deposit)")
    send = command(commands, "send", cmd_send, "add a send to the sender's session of the next block")
    send.add_argument("sender", metavar="FROM")
    send.add_argument("recipient", metavar="TO")
    send.add_argument("amount", metavar="AMOUNT")
    claim = command(commands, "claim", cmd_claim, "claim every finalized transfer addressed to a user")
    claim.add_argument("name")
    block = commands.add_parser("block", help="build, prove, show and export blocks", description="blocks")
    block_commands = block.add_subparsers(dest="block_command", metavar="COMMAND", required=True)
    command(block_commands, "build", cmd_block_build, "finalize the pending operations as the next block")
    prove = command(block_commands, "prove", cmd_block_prove, "prove a block (resumes from stored proofs)", proving)
    prove.add_argument("number", type=block_number, metavar="N")
    show = command(block_commands, "show", cmd_block_show, "show a block: statement, sessions, tree, proof sizes")
    show.add_argument("number", type=block_number, metavar="N")
    export = command(block_commands, "export", cmd_block_export, "write a block's proof file")
    export.add_argument("number", type=block_number, metavar="N")
    export.add_argument("--out", required=True, metavar="FILE")
    chain_proof = commands.add_parser(
        "chain", help="chain proofs, and the chain from its block files", description="chain proofs and block files"
    )
    chain_commands = chain_proof.add_subparsers(dest="chain_command", metavar="COMMAND", required=True)
    chain_prove = command(
        chain_commands, "prove", cmd_chain_prove, "prove the chain up to block N (default: the latest proven block)"
    )
    chain_prove.add_argument("number", type=block_number, metavar="N", nargs="?")
    chain_export = command(chain_commands, "export", cmd_chain_export, "write a stored chain proof's file")
    chain_export.add_argument("number", type=block_number, metavar="N", nargs="?")
    chain_export.add_argument("--out", required=True, metavar="FILE")
    reexecute = command(commands, "reexecute", cmd_reexecute, "re-execute a block without proofs (the baseline)")
    reexecute.add_argument("number", type=block_number, metavar="N")
    vk = command(commands, "vk", cmd_vk, "write the block verifier key")
    vk.add_argument("--out", required=True, metavar="FILE")
    balances = command(commands, "balances", cmd_balances, "show every user's balance")
    balances.add_argument("--json", action="store_true", help="print JSON on stdout")
    wallet_help = (
        "a user's own wallet: new; prove (against a chain directory, or --node URL: verify, prove here, submit, "
        "wait); balance --node URL"
    )
    wallet = commands.add_parser("wallet", help=wallet_help, description=wallet_help)
    wallet_commands = wallet.add_subparsers(dest="wallet_command", metavar="COMMAND", required=True)
    new = command(wallet_commands, "new", cmd_wallet_new, "create a wallet with a fresh random key (mode 0600)")
    new.add_argument("name")
    new.add_argument("--wallet-dir", metavar="DIR", help="where to create it (default: ./wallets/NAME)")
    own = command(
        wallet_commands,
        "prove",
        cmd_wallet_prove,
        "prove the wallet user's session for the next block on this machine: from a chain directory into a "
        "session-proof file, or with --node from a node it checks, then submit it and wait for its proven block",
    )
    own.add_argument("--wallet-dir", metavar="DIR", required=True)
    own.add_argument("--user-id", type=int, metavar="ID", help="the wallet's user id (needed the first time)")
    own.add_argument("--register", metavar="DEPOSIT", help="register the user with this public deposit")
    own.add_argument(
        "--send",
        action="append",
        default=[],
        metavar="ID:AMOUNT[:ADDRESS]",
        help="send (repeatable); the recipient's address is needed unless the chain knows it (delegated users)",
    )
    own.add_argument("--claim", action="store_true", help="claim every transfer addressed to the wallet")
    own.add_argument("--out", metavar="FILE", help="the session-proof file (required without --node)")
    own.add_argument(
        "--genesis-root",
        metavar="HEX",
        help="verify the exported block proofs (with --node: the node's chain proof) from this root first, "
        "and prove only against the verified root",
    )
    own.add_argument(
        "--blocks",
        metavar="DIR",
        help="take the chain from these exported block proofs and data files alone (needs --genesis-root)",
    )
    own.add_argument("--vk", metavar="FILE", help="with --blocks: the block verifier key (default: BLOCKS/block.vk)")
    own.add_argument("--node", metavar="URL", help="prove against this node, submit there and wait (http://...)")
    own.add_argument("--chain-key", metavar="FILE", help="with --node: the trusted chain key (rollup chain export)")
    own.add_argument(
        "--wait",
        choices=("included", "proven"),
        default="proven",
        help="with --node: wait until the session is in a block, or in a proven block (default)",
    )
    balance = command(
        wallet_commands,
        "balance",
        cmd_wallet_balance,
        "print the wallet's own account, synced with the published blocks (JSON); with --node and no "
        "--wallet-dir, the account as the node serves it",
    )
    balance.add_argument("--wallet-dir", metavar="DIR", help="the wallet (else --node with --user-id)")
    balance.add_argument("--user-id", type=int, metavar="ID")
    balance.add_argument("--node", metavar="URL", help="sync with this node's blocks")
    balance.add_argument("--blocks", metavar="DIR", help="sync with these exported block files (needs --genesis-root)")
    balance.add_argument("--genesis-root", metavar="HEX")
    balance.add_argument("--vk", metavar="FILE")
    balance.set_defaults(json=True)  # stdout carries only the JSON; what the sync says goes to stderr
    session = commands.add_parser("session", help="session proofs users made", description="sessions")
    session_commands = session.add_subparsers(dest="session_command", metavar="COMMAND", required=True)
    submit = command(
        session_commands, "submit", cmd_session_submit, "verify a user's session proof and add it to the next block"
    )
    submit.add_argument("file", metavar="FILE")
    submit.add_argument("--name", help="the operator's name for a user registering in this session (default user-ID)")
    rebuild = command(
        chain_commands,
        "rebuild",
        cmd_chain_rebuild,
        "rebuild the global tree and every outbox from exported block files alone, verifying each proof and its "
        "data; with --into NEW, into a chain directory an operator continues",
    )
    rebuild.add_argument("--from", dest="source", required=True, metavar="DIR", help="block-NNNN.proof and .data files")
    rebuild.add_argument("--genesis-root", required=True, metavar="HEX")
    rebuild.add_argument("--vk", metavar="FILE", help="the block verifier key (default: DIR/block.vk)")
    rebuild.add_argument(
        "--into",
        metavar="NEW",
        help="also write a new chain directory NEW (must not exist or be empty) to continue the chain from",
    )
    # `rollup node|bench ARGS` are dispatched before parsing (see main); these entries are for the help text
    commands.add_parser("node", help="run the node: sequencer, prover and data service over HTTP", add_help=False)
    bench = commands.add_parser("bench", help="run the benchmarks (options: rollup bench --help)", add_help=False)
    bench.set_defaults(handler=lambda args, ui: cmd_bench([], ui))
    return parser


def _node_main(arguments: list[str]) -> int:
    from rollup.node.command import main as node_main

    return node_main(arguments)


def cmd_wallet_balance(args: argparse.Namespace, ui: Ui) -> int:
    if args.node is None:
        if args.wallet_dir is None:
            raise CliError("wallet balance needs --wallet-dir DIR (or --node URL --user-id ID)")
        return cmd_wallet_balance_own(args, ui)
    from rollup.node.wallet_command import cmd_wallet_balance as balance

    return balance(args, ui)


_OWN_PARSERS: dict[str, Callable[[list[str]], int]] = {"node": _node_main}
"""Commands with a parser of their own (``rollup.node``), dispatched before parsing like ``bench``."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rollup``; returns the exit status.

    Every failure takes one path: one ``error:`` line on stderr and the exit
    status of :mod:`rollup.cli.failures` (0 success; 1 a block proof did not
    verify or could not be produced; 2 bad usage, input or environment; 3 a bug;
    130 interrupted). ``--debug`` adds the traceback.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    ui = Ui()
    try:
        own_parser = _OWN_PARSERS.get(arguments[0]) if arguments else None
        if own_parser is not None:
            return own_parser(arguments[1:])
        bench = _bench_arguments(arguments)
        if bench is not None:
            return cmd_bench(bench, ui)
        try:
            args = build_parser().parse_args(arguments)
        except SystemExit as exc:  # --help and --version
            return exc.code if isinstance(exc.code, int) else 0
        ui = Ui(json_mode=bool(getattr(args, "json", False)))
        if getattr(args, "workers", None) is not None and getattr(args, "scheduler", None) is None:
            check_worker_limit(args.workers)
        handler: Callable[[argparse.Namespace, Ui], int] = args.handler
        return handler(args, ui)
    except (Exception, KeyboardInterrupt) as exc:  # the one error path
        reported = failure(exc)
        ui.error(" ".join(reported.message.split()))
        if "--debug" in arguments:
            ui.err.print(traceback.format_exc(), markup=False, highlight=False)
        return reported.status
