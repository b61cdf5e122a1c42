"""One send rate for every worker on every machine, kept in Redis.

A generic cell-rate algorithm (GCRA) in one Lua script: each send reserves its recipients'
share of time; a reservation that would run ahead of the rate waits. Redis's clock is the only
clock, so machines whose clocks disagree still share one rate.
"""

from __future__ import annotations

import time

from redis import Redis

# KEYS[1]: the rate's key. ARGV: microseconds per recipient, burst in microseconds, recipients.
# Returns 0 when the recipients may go now (their time is reserved), else microseconds to wait.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local per, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + per * n
local allowed_at = new_tat - burst
if allowed_at > now then return allowed_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
"""


class SendRate:
    """At most ``per_second`` recipients a second, shared through ``redis``."""

    KEY = "gateway:send-rate"

    def __init__(self, redis: Redis, per_second: float) -> None:
        self.redis = redis
        self.per_second = per_second
        self._script = redis.register_script(_GCRA)

    def batch_size(self, wanted: int) -> int:
        """The most recipients one request may carry and keep every one-second window within
        5% of the rate (a request's recipients all arrive at once)."""
        if self.per_second <= 0:
            return wanted
        return max(1, min(wanted, int(self.per_second * 0.05)))

    def wait_for(self, recipients: int, give_up_s: float = 600.0) -> None:
        """Block until ``recipients`` may be sent without exceeding the rate."""
        if self.per_second <= 0:
            return
        per_us = 1_000_000 / self.per_second
        burst_us = per_us * recipients
        deadline = time.monotonic() + give_up_s
        while True:
            wait_us = int(self._script(keys=[self.KEY], args=[per_us, burst_us, recipients]))
            if wait_us <= 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the send rate stayed saturated")
            time.sleep(min(wait_us / 1_000_000, 1.0))
