"""`baomi audit verify|checkpoint|proof|consistency|pubkey|checkpoints`.

* ``verify``       recompute the whole log; exit 0 when intact, 1 otherwise, printing the
                   first bad sequence number (``--checkpoint FILE`` also checks checkpoints
                   kept outside, e.g. mailed or witnessed copies).
* ``checkpoint``   sign the current tree head; prints the signed note (for anchoring).
* ``proof SEQ``    inclusion proof of event SEQ (``--tree-size N``), JSON.
* ``consistency``  consistency proof between two tree sizes, JSON.
* ``pubkey``       the verifier key for checkpoints (share it with whoever anchors them).
* ``checkpoints``  every stored checkpoint as signed notes, oldest first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction
from rich.progress import Progress

from baomi.core.errors import BaomiError

from ... import checkpoints, monitoring, services, tree, verification
from ...models import Action, Checkpoint, Outcome, Severity


class Command(BaseCommand):
    help = "Tamper-evident audit log: verify, checkpoint, proof, consistency, pubkey."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="recompute the log and check every hash")
        v.add_argument("--json", action="store_true", help="print the report as JSON")
        v.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a signed checkpoint kept outside the database (repeatable)",
        )
        v.add_argument("--public-key", help="verifier key for --checkpoint (default: ours)")
        v.add_argument("--no-record", action="store_true", help="do not log the run")
        c = sub.add_parser("checkpoint", help="sign the current tree head")
        c.add_argument("--json", action="store_true")
        p = sub.add_parser("proof", help="inclusion proof of one event")
        p.add_argument("seq", type=int)
        p.add_argument("--tree-size", type=int)
        k = sub.add_parser("consistency", help="consistency proof between two tree sizes")
        k.add_argument("first", type=int)
        k.add_argument("second", type=int, nargs="?")
        sub.add_parser("pubkey", help="the checkpoint verifier key")
        sub.add_parser("checkpoints", help="every stored checkpoint as a signed note")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        try:
            if action == "verify":
                self.verify(opts)
            elif action == "checkpoint":
                cp = checkpoints.make_checkpoint()
                services.record(
                    Action.AUDIT_CHECKPOINT,
                    None,
                    object_type="checkpoint",
                    object_id=cp.pk,
                    detail={"tree_size": cp.tree_size, "root_hash": bytes(cp.root_hash).hex()},
                )
                if opts["json"]:
                    self.stdout.write(json.dumps(checkpoint_json(cp), indent=1))
                else:
                    self.stdout.write(cp.text, ending="")
            elif action == "proof":
                proof = services.inclusion_proof(opts["seq"], opts["tree_size"])
                self.stdout.write(json.dumps(proof.as_dict(), indent=1))
            elif action == "consistency":
                cons = services.consistency_proof(opts["first"], opts["second"])
                self.stdout.write(json.dumps(cons.as_dict(), indent=1))
            elif action == "pubkey":
                self.stdout.write(checkpoints.verifier_key())
            elif action == "checkpoints":
                for cp in Checkpoint.objects.order_by("id").iterator():
                    self.stdout.write(cp.text)
        except (BaomiError, tree.TreeCorrupt) as exc:
            raise CommandError(str(getattr(exc, "detail", exc))) from None

    def verify(self, opts: dict[str, Any]) -> None:
        external = []
        for name in opts["checkpoint"]:
            try:
                external.append((name, Path(name).read_text(encoding="utf-8")))
            except OSError as exc:
                raise CommandError(f"cannot read {name}: {exc.strerror}") from None
        total = services.tree_size()
        with Progress(disable=not sys.stderr.isatty(), transient=True) as progress:
            task = progress.add_task("verify", total=total or None)
            report = verification.verify_log(
                external=external,
                vkey=opts.get("public_key"),
                progress=lambda n: progress.advance(task, n),
                save=not opts["no_record"],
            )
        if not opts["no_record"]:
            _record(report)
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=1, default=str))
        elif report.ok:
            rate = f"{report.events / report.seconds:,.0f}" if report.seconds else "-"
            self.stdout.write(
                f"OK: {report.events} events, {report.checkpoints} checkpoints, "
                f"root {report.root_hash} ({report.seconds:.2f} s, {rate} events/s)"
            )
        else:
            first = report.first_bad_seq
            self.stdout.write(
                "TAMPERED: the audit log does not verify. First bad sequence number: "
                + (str(first) if first is not None else "none (see the problems below)")
            )
            for p in report.problems:
                where = f"seq {p.seq}" if p.seq is not None else "-"
                self.stdout.write(f"  [{p.kind}] {where}: {p.message}")
            if report.problem_count > len(report.problems):
                self.stdout.write(f"  … {report.problem_count - len(report.problems)} more")
        if not report.ok:
            sys.exit(1)


def _record(report: verification.Report) -> None:
    """Log the run; a failure raises the critical `audit.verify_failed` alert."""
    try:
        services.record(
            Action.AUDIT_VERIFIED if report.ok else Action.AUDIT_VERIFY_FAILED,
            None,
            object_type="audit_log",
            outcome=Outcome.OK if report.ok else Outcome.FAILED,
            detail={
                "events": report.events,
                "checkpoints": report.checkpoints,
                "first_bad_seq": report.first_bad_seq,
                "problems": report.problem_count,
                "run": report.run_id,
            },
        )
    except (BaomiError, tree.TreeCorrupt, ValueError, DatabaseError) as exc:
        sys.stderr.write(f"warning: could not log the verification run: {exc}\n")
        if not report.ok:  # the log cannot take the event: raise the alert directly
            with transaction.atomic():
                monitoring.raise_alerts(
                    [
                        monitoring.Finding(
                            "watched_action",
                            Severity.CRITICAL,
                            f"verify_failed:run:{report.run_id}",
                            f"audit log verification failed (first bad seq {report.first_bad_seq})",
                            detail={"first_bad_seq": report.first_bad_seq},
                        )
                    ]
                )


def checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    return {
        "id": cp.pk,
        "tree_size": cp.tree_size,
        "root_hash": bytes(cp.root_hash).hex(),
        "created_at": cp.created_at.isoformat(),
        "origin": cp.origin,
        "key_id": cp.key_id,
        "signature": bytes(cp.signature).hex(),
        "text": cp.text,
    }
