"""`coopwatch alerts`: list, test, run, status, history and retry of watch rules (a shell over search.alerts)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coopwatch.terminal import block, inline

HELP = """\
Watch rules tell staff about new cooperation events, once per event, by email, chat or webhook.
Rules live in alerts.yaml beside the sources file (COOPWATCH_ALERTS to change it) and in the alerts
database (saved from the web page). A rule names channels; each channel's URL comes from the environment
(or COOPWATCH_ALERTS_ENV_FILE), never from the rules file:

  COOPWATCH_CHANNEL_STAFF_EMAIL='mailtos://user:password@smtp.example.org?to=staff@example.org'
  COOPWATCH_CHANNEL_TEAM_CHAT='slack://TokenA/TokenB/TokenC/#cooperation'
  COOPWATCH_CHANNEL_HOOK='json://hooks.example.org/coopwatch'

Any apprise URL works (email, Slack, Teams, Telegram, DingTalk, WeCom, Lark, Matrix, JSON webhooks, ...);
the built-in channel `console` prints to standard output.

examples:
  coopwatch alerts list                       rules, channels (secrets masked), last run
  coopwatch alerts test shanghai-hong-kong    what would be sent now, rendered; nothing is sent
  coopwatch alerts run                        queue what is new and deliver (what the scheduler calls)
  coopwatch alerts status                     per rule: sent, pending, failed, dead-lettered
  coopwatch alerts history --limit 20         the latest messages and their deliveries
  coopwatch alerts retry                      give dead-lettered deliveries another set of attempts
"""


def add_alerts_parser(sub) -> None:
    """Add `alerts` and its subcommands to the CLI."""
    p = sub.add_parser("alerts", help="watch rules: tell staff about new events by email, chat or webhook",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    s = p.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND")
    s.add_parser("list", help="rules, their channels (secrets masked) and last run")
    t = s.add_parser("test", help="show what a rule would send now (rendered); sends nothing unless --send")
    t.add_argument("rule", help="rule name")
    t.add_argument("--send", action="store_true", help="send it for real and record it (like `alerts run` for this rule)")
    t.add_argument("--format", choices=["text", "markdown", "html"], default="text", help="which rendering to show")
    r = s.add_parser("run", help="queue what is new for every rule and deliver due messages")
    r.add_argument("--rule", action="append", dest="rules", metavar="NAME", help="only this rule (repeatable)")
    r.add_argument("--no-send", action="store_true", help="queue and record only; deliver on a later run")
    r.add_argument("--json", action="store_true", help="print the cycle's report as JSON")
    s.add_parser("status", help="per rule: last run, sent, pending, failed, dead-lettered")
    h = s.add_parser("history", help="the latest messages and their deliveries")
    h.add_argument("--limit", type=int, default=20, help="how many messages (default 20)")
    h.add_argument("--rule", help="only this rule")
    y = s.add_parser("retry", help="give dead-lettered deliveries a fresh set of attempts")
    y.add_argument("--rule", help="only this rule")


def cmd_alerts(args: argparse.Namespace, settings, out: Console) -> int:
    """Run one `alerts` subcommand."""
    commands = {"list": alerts_list, "test": alerts_test, "run": alerts_run, "status": alerts_status,
                "history": alerts_history, "retry": alerts_retry}
    if args.alerts_command not in commands:
        out.print(HELP, markup=False, highlight=False)
        return 2
    from coopwatch.alerting import open_runner

    with open_runner(settings) as runner:
        return commands[args.alerts_command](args, runner, out)


def alerts_list(args, runner, out: Console) -> int:
    rules = runner.rules()
    states = runner.store.states()
    table = Table(title=f"watch rules ({inline(runner.settings.rules_path)} + alerts database)")
    for col in ("rule", "mode", "search", "channels", "last run", "defined in"):
        table.add_column(col)
    problems: dict[str, str] = {}
    for rule in rules:
        state = states.get(rule.name)
        problems.update({c: p for c in rule.channels if (p := runner.channels.problem(c))})
        mode = rule.mode if rule.mode == "immediate" else f"digest ({rule.period})"
        table.add_row(inline(rule.name) + ("" if rule.enabled else " (disabled)"), mode, inline(rule.describe()),
                      inline(", ".join(runner.channels.describe(c) for c in rule.channels)),
                      inline((state.last_run if state else None) or "never"), inline(Path(rule.origin).name))
    out.print(table)
    for problem in problems.values():
        out.print(f"[yellow]problem:[/yellow] {inline(problem)}", highlight=False)
    if not rules:
        out.print(f"no rules: write {inline(runner.settings.rules_path)} (see `coopwatch alerts --help`)", highlight=False)
    return 0


def alerts_test(args, runner, out: Console) -> int:
    rule = runner.select([args.rule])[0]
    if args.send:
        report = runner.run([rule.name])
        print_cycle(report, out)
        return 0 if report.ok else 1
    messages = runner.preview(rule)
    if not messages:
        out.print(block(f"{rule.name}: nothing new to send now ({rule.describe()})"), highlight=False, markup=False)
        return 0
    for message in messages:
        body = {"text": message.text, "markdown": message.markdown, "html": message.html}[args.format]
        out.print(block(f"--- would send to {', '.join(rule.channels)}: {message.subject}\n"
                        f"    idempotency key {message.id}\n{body}"), highlight=False, markup=False)
    out.print(f"{len(messages)} message(s) would be sent; nothing was sent (use --send)", highlight=False)
    return 0


def alerts_run(args, runner, out: Console) -> int:
    report = runner.run(args.rules, send=not args.no_send)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    else:
        print_cycle(report, out)
    return 0 if report.ok else 1


def print_cycle(report, out: Console) -> None:
    """Print what an alert cycle found, queued and delivered."""
    table = Table(title="alert cycle")
    for col in ("rule", "new events", "updated", "messages queued", "digest waiting", "problem"):
        table.add_column(col, justify="left" if col in ("rule", "problem") else "right")
    for r in report.rules:
        table.add_row(inline(r.rule), str(r.new), str(r.updated), str(r.messages), str(r.digest_waiting),
                      inline(r.problem or ""))
    out.print(table)
    out.print(f"delivered {report.sent}, retrying {report.retrying}, dead-lettered {report.dead}", highlight=False)
    for failure in report.failures:
        out.print(f"  {block(failure)}", highlight=False, markup=False)


def alerts_status(args, runner, out: Console) -> int:
    states = runner.store.states()
    counts = runner.store.delivery_counts()
    table = Table(title="alerts status")
    for col in ("rule", "last run", "last success", "sent", "pending", "failed", "dead-lettered", "last error"):
        table.add_column(col, justify="right" if col in ("sent", "pending", "failed", "dead-lettered") else "left")
    for name in sorted(set(states) | set(counts)):
        state, c = states.get(name), counts.get(name, {})
        table.add_row(inline(name), (state.last_run if state else None) or "-", (state.last_success if state else None) or "-",
                      *(str(c.get(k, 0)) for k in ("sent", "pending", "failed", "dead")),
                      inline((state.last_error if state else None) or ""))
    out.print(table)
    return 0


def alerts_history(args, runner, out: Console) -> int:
    table = Table(title="alert history (newest first)")
    for col in ("queued", "rule", "kind", "subject", "deliveries"):
        table.add_column(col)
    for m in runner.store.history(args.limit, args.rule):
        deliveries = "; ".join(f"{d['channel']}: {d['status']}" + (f" ({d['last_error']})" if d["last_error"] else "")
                               for d in m["deliveries"])
        table.add_row(inline(m["created_at"]), inline(m["rule"]), inline(m["kind"]), inline(m["subject"]),
                      inline(deliveries))
    out.print(table)
    return 0


def alerts_retry(args, runner, out: Console) -> int:
    from ingest.models import store_stamp

    count = runner.store.requeue_dead(store_stamp(), args.rule)
    out.print(f"{count} dead-lettered deliver{'y' if count == 1 else 'ies'} queued again; `coopwatch alerts run` "
              "sends them", highlight=False)
    return 0
