# linked_cycles_orc.nim: cyclab's linked-cycles workload on its defaults,
# written in Nim for its ORC memory manager (reference counting plus a
# trial-deletion cycle collector), the other baseline the issue's
# throughput target names. Build: nim c --gc:orc -d:danger.
#
# The same operation and choices as workloads/linked_cycles.c and
# linked_cycles_boehm.c: a ring of two nodes, each pointing at the other,
# kept with probability 1/20 in a random slot of a 1000-slot live set
# (displacing the ring there), otherwise dropped; splitmix64 seeded as
# cyclab seeds its first thread, the top 53 bits against the keep
# threshold, Lemire's multiply-shift for the slot (run-baselines checks
# that the kept counts agree exactly with cyclab's).
#
# Usage:
#   linked_cycles_orc SECONDS [WARMUP_SECONDS [SEED]]
#     prints one JSON object on a line: baseline, version, workload, ops,
#     seconds, ops_per_s, cpu_s (the process's CPU time over the measured
#     part) and ops_per_cpu_s.
#   linked_cycles_orc --ops N [SEED]
#     exactly N operations; prints baseline, ops and kept.

import std/[monotimes, os, strutils, times]

const
  liveSize = 1000'u64
  batch = 1024
  defaultSeed = 20261124'u64            # cyclab run's default --seed
  thread0SeedMix = 0x632be59bd9b4e019'u64 # workloads/linked_cycles.c, thread 0

type Node = ref object
  next: Node

proc splitmix64(state: var uint64): uint64 =
  state += 0x9e3779b97f4a7c15'u64
  var z = state
  z = (z xor (z shr 30)) * 0xbf58476d1ce4e5b9'u64
  z = (z xor (z shr 27)) * 0x94d049bb133111eb'u64
  z xor (z shr 31)

# The high 64 bits of a * b (Lemire's multiply-shift without 128-bit integers).
proc mulHigh(a, b: uint64): uint64 =
  let (aLo, aHi) = (a and 0xffffffff'u64, a shr 32)
  let (bLo, bHi) = (b and 0xffffffff'u64, b shr 32)
  let lo = aLo * bLo
  let mid1 = aHi * bLo + (lo shr 32)
  let mid2 = aLo * bHi + (mid1 and 0xffffffff'u64)
  aHi * bHi + (mid1 shr 32) + (mid2 shr 32)

type RunState = object
  live: seq[Node]
  rng, keepBelow: uint64
  kept: int

proc makeRing(s: var RunState) {.inline.} =
  let a = Node()
  let b = Node()
  a.next = b
  b.next = a
  if (splitmix64(s.rng) shr 11) < s.keepBelow:
    s.live[int(mulHigh(splitmix64(s.rng), liveSize))] = a
    inc s.kept

proc runFor(s: var RunState, seconds: float, elapsed: var float): int =
  let start = getMonoTime()
  var t = start
  while true:
    for i in 0 ..< batch:
      makeRing(s)
    result += batch
    t = getMonoTime()
    if float((t - start).inNanoseconds) / 1e9 >= seconds:
      break
  elapsed = float((t - start).inNanoseconds) / 1e9

proc parseSeconds(text, what: string): float =
  try:
    result = parseFloat(text)
  except ValueError:
    result = -1
  if not (result >= 0 and result <= 3600):
    stderr.writeLine("linked_cycles_orc: " & what & " must be a number of seconds in [0, 3600], not '" & text & "'")
    quit(2)

proc parseCount(text, what: string): uint64 =
  try:
    result = uint64(parseBiggestUInt(text))
  except ValueError:
    stderr.writeLine("linked_cycles_orc: " & what & " must be a non-negative integer, not '" & text & "'")
    quit(2)

proc usage() =
  stderr.writeLine("usage: linked_cycles_orc SECONDS [WARMUP_SECONDS [SEED]]")
  stderr.writeLine("       linked_cycles_orc --ops N [SEED]")
  quit(2)

proc main() =
  let exact = paramCount() >= 1 and paramStr(1) == "--ops"
  if (exact and (paramCount() < 2 or paramCount() > 3)) or
     (not exact and (paramCount() < 1 or paramCount() > 3)):
    usage()
  var seed = defaultSeed
  var s = RunState(live: newSeq[Node](int(liveSize)), keepBelow: uint64(0.05 * float(1'u64 shl 53)))
  if exact:
    let ops = parseCount(paramStr(2), "N")
    if paramCount() > 2:
      seed = parseCount(paramStr(3), "SEED")
    s.rng = seed xor thread0SeedMix
    for i in 0'u64 ..< ops:
      makeRing(s)
    echo "{\"baseline\": \"nim-orc\", \"ops\": ", ops, ", \"kept\": ", s.kept, "}"
    return
  let seconds = parseSeconds(paramStr(1), "SECONDS")
  let warmup = if paramCount() > 1: parseSeconds(paramStr(2), "WARMUP_SECONDS") else: 0.0
  if paramCount() > 2:
    seed = parseCount(paramStr(3), "SEED")
  s.rng = seed xor thread0SeedMix
  var elapsed = 0.0
  if warmup > 0:
    discard runFor(s, warmup, elapsed)
  let cpuBefore = cpuTime()
  let ops = runFor(s, seconds, elapsed)
  let cpu = cpuTime() - cpuBefore
  let perCpu = if cpu > 0: float(ops) / cpu else: 0.0
  echo "{\"baseline\": \"nim-orc\", \"version\": \"", NimVersion, "\", \"workload\": \"linked-cycles\", ",
    "\"ops\": ", ops, ", \"seconds\": ", formatFloat(elapsed, ffDecimal, 6),
    ", \"ops_per_s\": ", formatFloat(float(ops) / elapsed, ffDecimal, 1),
    ", \"cpu_s\": ", formatFloat(cpu, ffDecimal, 6),
    ", \"ops_per_cpu_s\": ", formatFloat(perCpu, ffDecimal, 1), "}"

main()
