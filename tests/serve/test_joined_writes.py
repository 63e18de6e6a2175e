"""An answer's head and body leave in one write; large bodies and closes are not held back."""

from __future__ import annotations

import asyncio

from postmock_core.serve.server import _JOIN_BELOW, _JoinedWrites


class _Recorder(asyncio.Transport):
    """The kernel's side of a transport: what was handed to it, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_writes_of_one_turn_are_joined_and_large_ones_go_at_once() -> None:
    async def scenario() -> list[bytes]:
        raw = _Recorder()
        joined = _JoinedWrites(raw, asyncio.get_running_loop())
        joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        joined.write(b"hi")
        assert raw.writes == []  # nothing yet: this turn of the loop may write more
        await asyncio.sleep(0)
        assert raw.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"]
        big = b"x" * _JOIN_BELOW
        joined.write(b"head")
        joined.write(big)  # the head first, then the body, at once
        assert raw.writes[1:] == [b"head", big]
        joined.write(b"bye")
        joined.close()  # flushed before closing
        assert raw.writes[-1] == b"bye" and raw.closed
        joined.write(b"late")
        await asyncio.sleep(0)
        assert raw.writes[-1] == b"bye"  # a closed connection sends nothing more
        return raw.writes

    assert len(asyncio.run(scenario())) == 4
