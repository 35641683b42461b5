"""`baomi audit verify|checkpoint|proof|consistency|pubkey|checkpoints`.

* ``verify``       recompute the whole log; exit 0 when intact, 1 otherwise, printing the
                   first bad sequence number (``--checkpoint FILE`` also checks checkpoints
                   kept outside, e.g. mailed or witnessed copies).
* ``checkpoint``   sign the current tree head; prints the signed note (for anchoring).
                   ``--if-changed`` (for cron): only when events came since the last one.
* ``witness``      where checkpoints are witnessed outside the database, and their state.
* ``acknowledge-restore``  accept, on the record, that a restore rolled the log back.
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

from ... import checkpoints, monitoring, services, tree, verification, witness
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
        c.add_argument(
            "--if-changed",
            action="store_true",
            help="only when events were appended since the last checkpoint (for cron)",
        )
        w = sub.add_parser("witness", help="the checkpoints kept outside the database")
        w.add_argument("--json", action="store_true")
        a = sub.add_parser(
            "acknowledge-restore",
            help="accept that a restore rolled the log back (logged, witnessed, alerted)",
        )
        a.add_argument("--by", required=True, help="the operator's name")
        a.add_argument("--reason", required=True, help="why (ticket, incident; 10-300 chars)")
        a.add_argument("--yes", action="store_true", help="confirm")
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
            elif action == "checkpoint" and opts["if_changed"]:
                maybe = checkpoints.checkpoint_if_changed("cron")
                if maybe is None:
                    self.stdout.write("No new events since the last checkpoint: none signed.")
                elif opts["json"]:
                    self.stdout.write(json.dumps(checkpoint_json(maybe), indent=1))
                else:
                    self.stdout.write(maybe.text, ending="")
            elif action == "witness":
                self.witness(opts)
            elif action == "acknowledge-restore":
                self.acknowledge(opts)
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
            if report.ok:  # every passing verify ends with a signed, witnessed checkpoint
                try:
                    report.checkpoint_id = checkpoints.make_checkpoint("verify").pk
                except (BaomiError, OSError, ValueError) as exc:
                    sys.stderr.write(f"warning: no checkpoint signed after verify: {exc}\n")
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=1, default=str))
        else:
            self._print(report)
        if report.status == "rolled_back":
            sys.exit(2)
        if not report.ok:
            sys.exit(1)

    def _print(self, report: verification.Report) -> None:
        w = self.stdout.write
        if report.ok:
            rate = f"{report.events / report.seconds:,.0f}" if report.seconds else "-"
            w(
                f"OK: {report.events} events, {report.checkpoints} checkpoints, "
                f"root {report.root_hash} ({report.seconds:.2f} s, {rate} events/s)"
            )
        elif report.status == "rolled_back":
            w(
                "ROLLED BACK: the database was restored from a backup and no longer holds "
                f"{report.problem_count} tree(s) that were witnessed outside it."
            )
        else:
            first = report.first_bad_seq
            w(
                "TAMPERED: the audit log does not verify. First bad sequence number: "
                + (str(first) if first is not None else "none (see the problems below)")
            )
        for p in report.problems:
            where = f"seq {p.seq}" if p.seq is not None else "-"
            w(f"  [{p.kind}] {where}: {p.message}")
        if report.problem_count > len(report.problems):
            w(f"  … {report.problem_count - len(report.problems)} more")
        info = report.witness
        state = info.get("state")
        if state == "disabled":
            w(
                "Witness: none configured (BAOMI_AUDIT_WITNESS_DIR is empty): a consistent "
                "rewrite after the newest checkpoint cannot be detected."
            )
        elif state == "none":
            w(f"Witness: no witnessed checkpoint yet in {info.get('path')}.")
        elif info.get("latest"):
            latest = info["latest"]
            held = "the log holds it" if state == "ok" else "see the problems above"
            w(
                f"Witness: {info['entries']} checkpoint(s) in {info['path']}; newest: "
                f"{latest['tree_size']} events, signed {latest['signed_at']} — {held}."
            )
        for sup in report.superseded:
            w(
                f"  superseded: witnessed tree of {sup['tree_size']} events (signed "
                f"{sup['signed_at']}), restore acknowledged by {sup['acknowledged_by']}: "
                f"{sup['reason']}"
            )
        if report.status == "rolled_back":
            w(
                "If this restore was intended: baomi audit acknowledge-restore --by NAME "
                "--reason TEXT --yes (logged, witnessed, and it alerts the auditors)."
            )
        if report.checkpoint_id is not None:
            w(f"Checkpoint {report.checkpoint_id} signed over the verified log.")

    def witness(self, opts: dict[str, Any]) -> None:
        info = witness.status()
        if opts["json"]:
            self.stdout.write(json.dumps(info, indent=1, default=str))
            return
        self.stdout.write(f"Directory: {info['directory'] or 'none (switched off)'}")
        self.stdout.write(f"Witnessed checkpoints: {info['entries']}")
        latest = info["latest"]
        if latest:
            self.stdout.write(
                f"Newest: {latest['tree_size']} events, signed {latest['signed_at']} "
                f"({latest['trigger']}); state: {info['state']}"
            )
        else:
            self.stdout.write(f"State: {info['state']}")
        self.stdout.write(f"HTTP witness: {info['url'] or 'none'}")
        push = info["last_push"]
        if push:
            outcome = "ok" if push.get("ok") else f"FAILED ({push.get('error')})"
            self.stdout.write(
                f"Last push: {push.get('written_at')}, tree size {push.get('tree_size')}: {outcome}"
            )

    def acknowledge(self, opts: dict[str, Any]) -> None:
        by, reason = opts["by"].strip(), opts["reason"].strip()
        if not by or len(by) > 150 or not by.isprintable():
            raise CommandError("--by: the operator's name (1-150 printable characters)")
        if not 10 <= len(reason) <= 300 or not reason.isprintable():
            raise CommandError("--reason: 10-300 printable characters (ticket, incident, why)")
        if not opts["yes"]:
            raise CommandError(
                "this records, on the audit log and in the witness, that the restore was "
                "intended; add --yes to confirm"
            )
        try:
            cp, detail = verification.acknowledge_restore(by, reason, _os_user())
        except verification.AcknowledgeRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restore acknowledged by {detail['by']}: {detail['superseded_count']} witnessed "
            f"tree(s) superseded; checkpoint {cp.pk} at tree size {cp.tree_size} witnessed."
        )


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


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


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
