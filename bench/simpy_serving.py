#!/usr/bin/python3
"""The fig5 FIFO setup in SimPy 3, as a reference point for servesim's speed.

What it models: one GPU that runs one request at a time, in the order they arrive (batch 1).
MODELS models each have CLIENTS closed-loop clients; a client sends a request, waits for the
answer and sends the next one at once. An execution takes EXEC_MS, varied uniformly within +-1%
(the spread of resnet50_v2's batch-1 time in hw-profiles/v100-clockwork.json). A request is ok
when it is answered within the 100 ms SLO of being sent. Nothing else: no network, no PCIe copies,
no weights, no metrics beyond two counters. servesim's fifo scheduler on bench/fifo-fig5.json
simulates the same setup with all of those; bench/bench.mjs runs both and compares requests per
CPU second (docs/performance.md, "servesim and SimPy").

usage: /usr/bin/python3 bench/simpy_serving.py [models=15] [clients=16] [exec_ms=2.73] [sim_s=60] [--json]

SimPy 3 is the Debian package python3-simpy3 (apt-get install python3-simpy3), hence the
system python3.
"""
import json
import random
import resource
import sys
import time

import simpy

SLO_S = 0.100


def main(argv):
    as_json = '--json' in argv
    args = [a for a in argv if a != '--json']
    models = int(args[0]) if len(args) > 0 else 15
    clients = int(args[1]) if len(args) > 1 else 16
    exec_s = (float(args[2]) if len(args) > 2 else 2.73) / 1000.0
    sim_s = float(args[3]) if len(args) > 3 else 60.0

    env = simpy.Environment()
    gpu = simpy.Resource(env, capacity=1)  # one execution at a time; waiting requests in FIFO order
    draw = random.Random(1)
    counts = {'requests': 0, 'ok': 0}

    def client():
        while True:
            sent = env.now
            with gpu.request() as turn:
                yield turn
                yield env.timeout(exec_s * draw.uniform(0.99, 1.01))
            counts['requests'] += 1
            if env.now - sent <= SLO_S:
                counts['ok'] += 1

    for _ in range(models * clients):
        env.process(client())

    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    env.run(until=sim_s)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        'models': models,
        'clients': clients,
        'execMs': exec_s * 1000.0,
        'simulatedSeconds': sim_s,
        'requests': counts['requests'],
        'ok': counts['ok'],
        'runWallSeconds': round(wall, 4),
        'runCpuSeconds': round(cpu, 4),
        'processCpuSeconds': round(usage.ru_utime + usage.ru_stime, 4),
        'peakRssMiB': round(usage.ru_maxrss / 1024.0, 1),
        'simpy': simpy.__version__,
        'python': sys.version.split()[0],
    }
    if as_json:
        print(json.dumps(result))
    else:
        print(f"simpy: {sim_s:g} s simulated, {result['requests']:,} requests ({result['ok']:,} ok) in "
              f"{cpu:.2f} CPU s ({wall:.2f} s wall): {result['requests'] / cpu:,.0f} requests per CPU second, "
              f"{sim_s / wall:,.1f}x real time")


if __name__ == '__main__':
    main(sys.argv[1:])
