"""Fixtures: real fake providers on loopback, clients pointed at them, and a webhook receiver."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from provider_test_values import API_KEY, APPLICATION, NETELIP_TOKEN, SESSION, WEBHOOK_SECRET

from xappiens_whatsapp.clients.inbox_hub import InboxHubClient
from xappiens_whatsapp.clients.netelip import NetelipClient
from xappiens_whatsapp.testing.fake_http import FakeServer, Request, Response
from xappiens_whatsapp.testing.fake_inbox_hub import FakeInboxHub
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip


class RecordingSleep:
	"""Stands in for time.sleep: remembers each wait and returns at once."""

	def __init__(self) -> None:
		self.calls: list[float] = []

	def __call__(self, seconds: float) -> None:
		self.calls.append(seconds)


class Receiver(FakeServer):
	"""Plays our app's webhook endpoints: keeps every request, answers `answer`."""

	name = "receiver"

	def __init__(self) -> None:
		super().__init__()
		self.received: list[Request] = []
		self.answer = Response(200, {"ok": True})

	def route(self, request: Request) -> Response:
		self.received.append(request)
		return self.answer

	def of(self, event: str) -> list[Request]:
		return [r for r in self.received if r.header("X-Webhook-Event") == event]


@pytest.fixture
def sleeps() -> RecordingSleep:
	return RecordingSleep()


@pytest.fixture
def hub() -> Iterator[FakeInboxHub]:
	with FakeInboxHub(api_key=API_KEY) as fake:
		yield fake


@pytest.fixture
def make_client(hub: FakeInboxHub, sleeps: RecordingSleep) -> Iterator[Callable[..., InboxHubClient]]:
	made: list[InboxHubClient] = []

	def make(**overrides: object) -> InboxHubClient:
		options: dict = {"timeout": 2.0, "connect_timeout": 1.0, "sleep": sleeps}
		options.update(overrides)
		client = InboxHubClient(options.pop("base_url", hub.url), options.pop("api_key", API_KEY), **options)
		made.append(client)
		return client

	yield make
	for client in made:
		client.close()


@pytest.fixture
def client(make_client: Callable[..., InboxHubClient]) -> InboxHubClient:
	return make_client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
	with Receiver() as server:
		yield server


@pytest.fixture
def connected(hub: FakeInboxHub, receiver: Receiver) -> str:
	"""A linked session whose webhooks go to `receiver`."""
	hub.add_session(SESSION, webhook_url=f"{receiver.url}/hook", webhook_secret=WEBHOOK_SECRET)
	return SESSION


@pytest.fixture
def netelip() -> Iterator[FakeNetelip]:
	with FakeNetelip(token=NETELIP_TOKEN, application=APPLICATION) as fake:
		yield fake


@pytest.fixture
def make_netelip(netelip: FakeNetelip, sleeps: RecordingSleep) -> Callable[..., NetelipClient]:
	def make(**overrides: object) -> NetelipClient:
		options: dict = {
			"token": NETELIP_TOKEN,
			"application": APPLICATION,
			"base_url": f"{netelip.url}/v1",
			"timeout": 2.0,
			"connect_timeout": 1.0,
			"sleep": sleeps,
		}
		options.update(overrides)
		return NetelipClient(**options)

	return make


@pytest.fixture
def closed_port() -> int:
	"""A loopback port nothing listens on (connection refused)."""
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]
