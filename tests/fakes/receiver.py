"""A fake API-channel receiver: records every POST, drops repeats by X-Parley-Delivery, can hold the first."""

from __future__ import annotations

import threading

from .server import FakeServer, Recorded, Reply

HOLD_SECONDS = 30  # a held request never outlives the test that holds it


class DeliveryReceiver(FakeServer):
    """What a receiver is told to do with Parley's at-least-once delivery: process each X-Parley-Delivery id once.

    With hold_first, the first request signals `first_arrived` and then hangs until `release` is set (or
    HOLD_SECONDS pass), like a receiver that stops answering mid-request.
    """

    def __init__(self, *, hold_first: bool = False) -> None:
        super().__init__()
        self.hold_first = hold_first
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.processed: list[str] = []  # delivery ids, each once: what the receiver's users see
        self._seen: set[str] = set()
        self._gate = threading.Lock()

    @property
    def delivery_ids(self) -> list[str]:
        """The X-Parley-Delivery header of every request received, repeats included."""
        return [r.headers.get("X-Parley-Delivery", "") for r in self.requests]

    def handle(self, request: Recorded) -> Reply:
        with self._gate:
            hold = self.hold_first and not self.first_arrived.is_set()
            self.first_arrived.set()
        if hold:
            self.release.wait(HOLD_SECONDS)
        delivery = request.headers.get("X-Parley-Delivery", "")
        with self._gate:
            if delivery not in self._seen:  # a repeat is acknowledged and dropped
                self._seen.add(delivery)
                self.processed.append(delivery)
        return Reply(200, {"ok": True})
