"""How many writes an alert makes to the delivery ledger, and how fast each partition key takes them.

    .venv/bin/python -m bench.ledger_keys [--recipients 1000000] [--write-docs]

Arithmetic, not a measurement: every figure comes from the code's own constants, so that the table follows them when
they change: the ledger's (LEDGER_BUCKETS entry partition keys, TALLY_SLOTS, POINTER_CHANNELS, adapters/ledger.py),
the fan-out's recipients per provider call (one record transaction, so one tally update, each), and the delivery
workers' concurrency and provider rates (infra/quotas.py). DynamoDB takes about 1,000 write units a second per
partition key; every ledger write is a transaction item, which costs two write units (items under 1 KB).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.docs_section import write_section  # noqa: E402
from chalicelib.adapters.ledger import POINTER_CHANNELS, TALLY_SLOTS  # noqa: E402
from chalicelib.domain.audience import LEDGER_BUCKETS  # noqa: E402
from chalicelib.services.pipeline.deliver import PROVIDER_CALL_SIZE  # noqa: E402
from infra import quotas  # noqa: E402

SECTION = "## Ledger: writes per partition key"
KEY_WRITE_UNITS_PER_SECOND = 1_000  # DynamoDB's limit per partition (so per partition key)
UNITS_PER_TRANSACTION_ITEM = 2
ENTRY_WRITES = ("put", "claim", "record")  # per recipient: targeting writes it, a worker claims it, then records it


@dataclass(frozen=True)
class ChannelWrites:
    channel: str
    recipients: int

    @property
    def entry_writes(self) -> int:
        return len(ENTRY_WRITES) * self.recipients

    @property
    def tally_updates(self) -> int:
        return -(-self.recipients // PROVIDER_CALL_SIZE[self.channel])  # one per record transaction

    @property
    def pointer_puts(self) -> int:
        return self.recipients if self.channel in POINTER_CHANNELS else 0

    @property
    def write_units(self) -> int:
        return UNITS_PER_TRANSACTION_ITEM * (self.entry_writes + self.tally_updates + self.pointer_puts)


@dataclass(frozen=True)
class DeliveryRates:
    """Write units a second while the channel's workers all send at their quota."""

    channel: str
    workers: int
    per_worker: float
    per_second: float  # recipients a second, all workers

    @property
    def entry_units(self) -> float:  # claim and record, spread over every entry partition key
        return self.per_second * 2 * UNITS_PER_TRANSACTION_ITEM

    @property
    def per_entry_key(self) -> float:
        return self.entry_units / LEDGER_BUCKETS

    @property
    def alert_key_units(self) -> float:  # the tally updates, on the alert's own partition key
        return self.per_second / PROVIDER_CALL_SIZE[self.channel] * UNITS_PER_TRANSACTION_ITEM


def delivery_rates() -> list[DeliveryRates]:
    return [DeliveryRates(name, quota.concurrency, quota.per_worker_per_second, quota.account_per_second)
            for name, quota in quotas.CHANNELS.items()]


def share(units: float) -> str:
    return f"{units:,.0f} ({units / KEY_WRITE_UNITS_PER_SECOND:.0%})"


def report(recipients: int) -> str:
    lines = [f"Per alert, {recipients:,} recipients on one channel (every ledger write is a transaction item: "
             f"{UNITS_PER_TRANSACTION_ITEM} write units):", "",
             "| channel | put + claim + record | tally updates (one per provider call) | pointer puts | write units |",
             "|---|---|---|---|---|"]
    for channel in quotas.CHANNELS:
        writes = ChannelWrites(channel, recipients)
        size = PROVIDER_CALL_SIZE[channel]
        lines.append(f"| {channel} | {writes.entry_writes:,} | {writes.tally_updates:,} "
                     f"({size} recipient{'s' if size > 1 else ''} a call) | {writes.pointer_puts:,} | "
                     f"{writes.write_units:,} |")
    per_key = recipients / LEDGER_BUCKETS
    lines += ["", f"Partition keys: {LEDGER_BUCKETS} for the recipients (`<alert>#<bucket>`, about {per_key:,.0f} "
                  f"entries and {len(ENTRY_WRITES) * per_key:,.0f} writes each), one for the plan and the "
                  f"{TALLY_SLOTS} tally items (`<alert>`), and one per SMS or call sent (its pointer, written once).",
              "", "While every delivery worker sends at its quota (infra/quotas.py), claim and record per recipient, "
                  f"in write units a second (and the share of one key's {KEY_WRITE_UNITS_PER_SECOND:,}):", "",
              "| channel | workers | per worker /s | channel /s | per entry key | all on one key (before) "
              "| tally, on the alert's key |",
              "|---|---|---|---|---|---|---|"]
    rates = delivery_rates()
    for rate in rates:
        lines.append(f"| {rate.channel} | {rate.workers} | {rate.per_worker:g} | {rate.per_second:g} | "
                     f"{share(rate.per_entry_key)} | {share(rate.entry_units)} | {share(rate.alert_key_units)} |")
    total = sum(r.per_second for r in rates)
    entry_units = sum(r.entry_units for r in rates)
    lines.append(f"| every channel at once | {sum(r.workers for r in rates)} | | {total:g} | "
                 f"{share(entry_units / LEDGER_BUCKETS)} | {share(entry_units)} | "
                 f"{share(sum(r.alert_key_units for r in rates))} |")
    ceiling = KEY_WRITE_UNITS_PER_SECOND * LEDGER_BUCKETS / (2 * UNITS_PER_TRANSACTION_ITEM)
    put_ceiling = KEY_WRITE_UNITS_PER_SECOND * LEDGER_BUCKETS / UNITS_PER_TRANSACTION_ITEM
    lines += ["", f"- Delivery: the entry keys would reach their limit at {ceiling:,.0f} recipients a second over "
                  f"every channel, {ceiling / total:.1f} times the quotas' {total:g}.",
              f"- Targeting ({quotas.TARGETING_CONCURRENCY} shard workers) has no provider to pace it: the "
              f"{LEDGER_BUCKETS} keys take at most {put_ceiling:,.0f} puts a second "
              f"({put_ceiling / quotas.TARGETING_CONCURRENCY:,.0f} per shard worker), so {recipients:,} recipients "
              f"take at least {recipients / put_ceiling:,.0f} s to write (on one key: "
              f"{recipients * UNITS_PER_TRANSACTION_ITEM / KEY_WRITE_UNITS_PER_SECOND:,.0f} s). Faster shards are "
              "throttled: put_entries backs off and retries, and nothing is lost."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/performance.md")
    args = parser.parse_args()
    text = report(args.recipients)
    print(text)
    if args.write_docs:
        text += f"\n\nReproduce: `.venv/bin/python -m bench.ledger_keys --recipients {args.recipients} --write-docs`."
        write_section("bench.ledger_keys", text, SECTION)


if __name__ == "__main__":
    main()
