"""arq's own ceiling: an empty deferred job run by a plain arq worker (the same max_jobs and poll delay as
the product's worker). Run by bench/reminders.py as a child process:

    python -m bench.arq_ceiling QUEUE_NAME OUT_FILE [MAX_JOBS POLL_DELAY]

Without MAX_JOBS and POLL_DELAY it runs with arq's defaults, as the product's worker does (10 and 0.5 s).
"""

import json
import sys
import time

from arq.worker import Worker

from .common import REDIS_URL

LAGS: list[float] = []


async def empty(ctx: dict, due: float) -> None:
    LAGS.append(time.time() - due)


def main() -> None:
    from marketplace.queue import redis_settings

    queue, out = sys.argv[1], sys.argv[2]
    tuning = {"max_jobs": int(sys.argv[3]), "poll_delay": float(sys.argv[4])} if len(sys.argv) > 4 else {}
    # burst=True: the worker stops once the queue (deferred jobs included) is empty.
    worker = Worker(
        functions=[empty],
        queue_name=queue,
        redis_settings=redis_settings(REDIS_URL),
        burst=True,
        keep_result=0,
        **tuning,
    )
    try:
        worker.run()
    finally:
        with open(out, "w") as f:
            json.dump(LAGS, f)


if __name__ == "__main__":
    main()
