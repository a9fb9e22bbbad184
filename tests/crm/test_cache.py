"""The Redis cache backend keeps one redis-py client per pool and still behaves as Django's."""

import threading

import pytest
from django.core.cache import cache, caches

from crm.cache import RedisCache

pytestmark = pytest.mark.skipif(not isinstance(caches["default"], RedisCache), reason="the tests' cache is not Redis")


def test_every_operation_uses_the_same_client():
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client("any key") is client


def test_values_round_trip_from_several_threads():
    def work(n: int) -> None:
        cache.set(f"thread:{n}", n)
        assert cache.get(f"thread:{n}") == n
        assert cache.incr(f"thread:{n}") == n + 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get_many([f"thread:{n}" for n in range(8)]) == {f"thread:{n}": n + 1 for n in range(8)}
