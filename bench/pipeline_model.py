"""The delivery pipeline at 100,000 recipients, on the in-memory fakes behind the pipeline's own ports, timed under a
stated latency model.

    .venv/bin/python -m bench.pipeline_model [--recipients 100000] [--baseline 2000] [--write-docs]

The real stages (services/pipeline/) run over tests/unit/pipeline_fakes.py: the same jobs, the same ledger semantics,
and every fake counts the AWS requests the real adapter would make for the same work (100 conditional puts to a
TransactWriteItems, 100 keys to a BatchGetItem, 10 messages to a SendMessageBatch, one Query per key range). Nothing
here is timed on this machine except each message's CPU; the times come from the model:

- each AWS request takes `LATENCY_MS` of its service, one after another within a message;
- a queue hop (the send, then the event source's poll and the invocation) takes `HOP_MS`;
- each queue has the concurrency the template gives its function (infra/quotas.py), and a delivery worker paces its
  provider calls to its share of the account's quota (infra/quotas.py's `CHANNELS`, the one place that names them);
- messages are taken in the order the fakes handled them, each on the first free worker of its queue once its parent
  has finished and the hop is over (a child is in fact queued before its parent ends, so this errs slow).

It prints, for the first resident: the queue hops and the AWS requests made one after another from the send to the
first provider call, and the model's time; for everyone: the time until the last recipient is handed to a provider,
against the bound the provider quotas set (recipients on a channel / the account's rate for it), and the largest
message's requests and CPU, next to the same at `--baseline` recipients, to show that no message's work grows with
the audience. Then the same target is previewed as if too big for its request: the worker's pieces, its largest
message, and whether the count finished and is exact.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import math
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.docs_section import write_section  # noqa: E402
from chalicelib.services.pipeline.preview import PREVIEW_LOCATIONS_PER_PIECE  # noqa: E402
from chalicelib.services.pipeline.shard import MAX_LOCATIONS_PER_PIECE  # noqa: E402
from infra import quotas  # noqa: E402
from tests.unit.pipeline_fakes import STAFFORD, MessageCost, World  # noqa: E402

# The latency model: one request's round trip inside an AWS region, by service (p50-ish, not a promise).
LATENCY_MS = {"dynamodb": 8.0, "sqs": 15.0, "provider": 60.0}
HOP_MS = 100.0  # SendMessage, then the event source's long poll and the Lambda invocation
SEND_CALLS = 5  # the send request itself: read the alert, check the reach, save it, audit it, queue the plan
CHANNELS = ("email", "sms")
SMS_EVERY = 10  # every resident by email, every tenth also by SMS, as bench/fanout.py


@dataclass(frozen=True)
class Figures:
    recipients: int
    deliveries: dict[str, int]
    hops_to_first: int
    calls_to_first: int
    first_ms: float
    all_handed_s: float
    bound_s: float
    largest_calls: int
    largest_cpu_ms: float
    median_piece_cpu_ms: float
    largest_kind: str
    messages: int
    items_read: int
    requests_per_thousand: float  # every AWS request of the whole alert, per 1,000 deliveries
    preview_messages: int  # a slow preview of the same target, counted by the worker in pieces
    preview_largest_calls: int
    preview_largest_cpu_ms: float
    preview_residents: int

    @property
    def ratio(self) -> float:
        return self.all_handed_s / max(self.bound_s, 1e-9)


def build(recipients: int) -> World:
    """A town of `recipients` residents on a 12 m grid around Stafford, and a supervisor's alert to all of them."""
    world = World()
    side = math.ceil(math.sqrt(recipients))
    metres_per_degree = 111_320
    for number in range(recipients):
        north, east = (number // side - side / 2) * 12, (number % side - side / 2) * 12
        lat = STAFFORD[0] + north / metres_per_degree
        lng = STAFFORD[1] + east / (metres_per_degree * math.cos(math.radians(STAFFORD[0])))
        world.resident(lat, lng, ("email", "sms") if number % SMS_EVERY == 0 else ("email",), number=number)
    radius = side * 12 * 0.75  # the circle that holds the whole grid
    world.radius_m = radius  # type: ignore[attr-defined]
    alert = world.alert(radius_m=radius, channels=CHANNELS)
    alert.sent_by_role = "supervisor"  # a costly send is covered: no hold, so the shards release as they go
    world.alerts.add(alert)
    world.send(alert)
    return world


def _duration_s(cost: MessageCost, channel: str | None) -> float:
    seconds = 0.0
    for operation, count in cost.by_operation.items():
        service = operation.split(".", 1)[0]
        seconds += count * LATENCY_MS.get(service, LATENCY_MS["dynamodb"]) / 1000
    if channel and cost.provider_recipients:
        quota = quotas.channel(channel)
        # The worker paces itself to its share of the account's rate; the pace, not the calls, is what takes time.
        seconds = max(seconds, cost.provider_recipients / quota.per_worker_per_second)
    return seconds


def simulate(costs: list[MessageCost]) -> tuple[float, float]:
    """(ms from the send to the first provider call, s until the last recipient is handed over)."""
    workers: dict[str, list[float]] = {"targeting": [0.0] * quotas.TARGETING_CONCURRENCY}
    for channel in ("email", "sms", "voice", "push"):
        workers[channel] = [0.0] * quotas.channel(channel).concurrency
    ends: dict[int, float] = {}
    first_call = math.inf
    last_handed = 0.0
    send_s = SEND_CALLS * LATENCY_MS["dynamodb"] / 1000
    for cost in costs:
        parent_end = ends.get(cost.parent, send_s)
        ready = parent_end + HOP_MS / 1000 + cost.delay_seconds
        free = workers[cost.queue]
        start = max(ready, heapq.heappop(free))
        channel = None if cost.queue == "targeting" else cost.queue
        end = start + _duration_s(cost, channel)
        heapq.heappush(free, end)
        ends[cost.number] = end
        if cost.calls_before_provider is not None:
            first_call = min(first_call, start + cost.calls_before_provider * LATENCY_MS["dynamodb"] / 1000
                             + LATENCY_MS["provider"] / 1000)
            last_handed = max(last_handed, end)
    return first_call * 1000, last_handed


def first_path(costs: list[MessageCost]) -> tuple[int, int]:
    """(queue hops, AWS requests one after another) from the send to the first provider call, along the chain of
    messages that led to it: every request of each message before it on the chain, and the delivery message's own
    before its first provider call."""
    by_number = {cost.number: cost for cost in costs}
    first = next(cost for cost in costs if cost.calls_before_provider is not None)
    calls = SEND_CALLS + (first.calls_before_provider or 0) + 1
    parent = by_number.get(first.parent)
    while parent is not None:
        calls += parent.calls
        parent = by_number.get(parent.parent)
    return first.hops, calls


def measure(recipients: int) -> Figures:
    world = build(recipients)
    # The fakes hold every resident in this process, which a worker never does: frozen out of the collector's view, so
    # that a message's CPU is its own work and not a scan of the whole town's objects.
    gc.collect()
    gc.freeze()
    try:
        world.run()
        sent = len(world.costs)
        # Then a preview of the same target, as if too big for its request: counted by the worker in pieces.
        preview_id = world.preview(radius_m=world.radius_m, channels=CHANNELS)  # type: ignore[attr-defined]
        world.run()
    finally:
        gc.unfreeze()
    previews, world.costs = world.costs[sent:], world.costs[:sent]
    counted = world.previews.result(preview_id) or {}
    deliveries = Counter({channel: 0 for channel in CHANNELS})
    for key in world.provider.received:
        deliveries[key.split("#", 1)[0]] += 1
    first_ms, handed_s = simulate(world.costs)
    bound = max(deliveries[channel] / quotas.channel(channel).account_per_second for channel in CHANNELS)
    hops, calls = first_path(world.costs)
    largest = max(world.costs, key=lambda cost: cost.calls)
    return Figures(recipients, dict(deliveries), hops, calls, first_ms, handed_s, bound, largest.calls,
                   max(cost.cpu_ms for cost in world.costs),
                   statistics.median(cost.cpu_ms for cost in world.costs if cost.kind == "shard"),
                   f"{largest.kind} ({largest.queue})", len(world.costs),
                   world.locations.items_read,
                   sum(cost.calls for cost in world.costs) * 1000 / max(1, sum(deliveries.values())),
                   len(previews), max(cost.calls for cost in previews), max(cost.cpu_ms for cost in previews),
                   int(counted.get("residents", 0)))


def table(big: Figures, small: Figures) -> str:
    rates = ", ".join(f"{c} {quotas.channel(c).account_per_second:g}/s" for c in CHANNELS)
    met_hops = "met" if big.hops_to_first <= 3 else "not met"
    met_bound = "met" if big.ratio <= 1.2 else "not met"
    exact = (big.preview_residents, small.preview_residents) == (big.recipients, small.recipients)
    met_preview = "met" if exact else "not met"
    rows = [
        f"One alert to {big.recipients:,} residents (every one by email, every tenth also by SMS) by a supervisor, on "
        f"the in-memory fakes behind the pipeline's ports; quotas {rates} (infra/quotas.py); latency model: "
        f"DynamoDB {LATENCY_MS['dynamodb']:g} ms, SQS {LATENCY_MS['sqs']:g} ms, a provider call "
        f"{LATENCY_MS['provider']:g} ms, a queue hop {HOP_MS:g} ms.",
        "",
        f"| measure | {big.recipients:,} recipients | {small.recipients:,} recipients | goal |",
        "|---|---|---|---|",
        f"| queue hops, send → first provider call | {big.hops_to_first} | {small.hops_to_first} | at most 3: "
        f"{met_hops} |",
        f"| AWS requests one after another, send → first provider call | {big.calls_to_first} | "
        f"{small.calls_to_first} | |",
        f"| model: send → first provider call | {big.first_ms:,.0f} ms | {small.first_ms:,.0f} ms | |",
        f"| model: send → everyone handed to a provider | {big.all_handed_s:,.0f} s | {small.all_handed_s:,.0f} s | |",
        f"| bound set by the provider quotas | {big.bound_s:,.0f} s | {small.bound_s:,.0f} s | |",
        f"| ratio to the bound | {big.ratio:.3f} | {small.ratio:.3f} | at most 1.2: {met_bound} |",
        f"| largest message: AWS requests (store: in-memory fakes; {big.largest_kind}) | {big.largest_calls:,} | "
        f"{small.largest_calls:,} | bounded |",
        f"| largest message: CPU (store: in-memory fakes) | {big.largest_cpu_ms:,.0f} ms | "
        f"{small.largest_cpu_ms:,.0f} ms | bounded |",
        f"| a shard piece's CPU, median (at most {MAX_LOCATIONS_PER_PIECE:,} locations each) | "
        f"{big.median_piece_cpu_ms:,.0f} ms | {small.median_piece_cpu_ms:,.0f} ms | bounded |",
        f"| AWS requests per 1,000 deliveries, the whole alert | {big.requests_per_thousand:,.0f} | "
        f"{small.requests_per_thousand:,.0f} | flat |",
        f"| messages handled | {big.messages:,} | {small.messages:,} | |",
        f"| the same target previewed by the worker: messages (pieces of at most {PREVIEW_LOCATIONS_PER_PIECE:,} "
        f"locations) | {big.preview_messages:,} | {small.preview_messages:,} | |",
        f"| the preview's largest message: AWS requests / CPU (store: in-memory fakes) | "
        f"{big.preview_largest_calls:,} / {big.preview_largest_cpu_ms:,.0f} ms | {small.preview_largest_calls:,} / "
        f"{small.preview_largest_cpu_ms:,.0f} ms | bounded |",
        f"| the preview's count of residents | {big.preview_residents:,} | {small.preview_residents:,} | "
        f"finishes, exact: {met_preview} |",
        f"| deliveries | {sum(big.deliveries.values()):,} | {sum(small.deliveries.values()):,} | |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    small = measure(args.baseline)
    big = measure(args.recipients)
    text = table(big, small)
    print(text)
    print(f"(ran in {time.perf_counter() - started:.0f} s)")
    if args.write_docs:
        text += (f"\n\nReproduce: `.venv/bin/python -m bench.pipeline_model --recipients {args.recipients} --baseline "
                 f"{args.baseline} --write-docs`. The times are the model's, not this machine's; the requests and "
                 "hops are counted, and the CPU is this machine's.")
        write_section("bench.pipeline_model", text, "## The pipeline at 100,000: hops, model time and the largest "
                      "message (`bench/pipeline_model.py`)", before="## Reach: may this officer send here?")
    return text


if __name__ == "__main__":
    main()
