from __future__ import annotations

import json

from analyzer.serve.events import CLOSED, QUEUE_SIZE, Hub, encode


def test_a_frame_is_one_data_line_of_ascii_json() -> None:
    frame = encode("report", {"path": "/a\nb</script>\u202e"})
    kind, data, end = frame.split(b"\n", 2)
    assert kind == b"event: report"
    assert json.loads(data.removeprefix(b"data: ")) == {"path": "/a\nb</script>\u202e"}
    assert end == b"\n"
    assert frame.isascii()


def test_the_number_of_clients_is_bounded() -> None:
    hub = Hub(max_clients=2)
    first, second = hub.join(), hub.join()
    assert first and second
    assert hub.join() is None
    hub.leave(first)
    assert hub.join() is not None


def test_publish_never_waits_and_drops_a_client_that_stopped_reading() -> None:
    hub = Hub()
    slow, quick = hub.join(), hub.join()
    assert slow and quick
    for number in range(QUEUE_SIZE + 5):
        hub.publish("status", number)
        assert quick.next(0) is not None  # this one reads as it goes
    assert slow.dropped and len(hub) == 1


def test_close_ends_every_stream() -> None:
    hub = Hub()
    client = hub.join()
    assert client
    hub.publish("status", 1)
    hub.close()
    assert client.next(0) == encode("status", 1)
    assert client.next(0) == CLOSED
    assert client.next(0) is None and len(hub) == 0
