"""The provider simulator: deterministic scenarios, signed bodies the app accepts, expectations that agree with
the app's own merge rules, and a sender that stays within its bounds and on this machine."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import parse_qs, urlsplit

import pytest

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core import message_state as ms
from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.core.netelip_call_updates import update_from_event
from xappiens_whatsapp.core.signatures import is_fresh, signature_matches
from xappiens_whatsapp.testing import hostile_requests as hostile
from xappiens_whatsapp.testing import simulator as sim
from xappiens_whatsapp.testing.fake_http import FakeServer, Request, Response

SECRET = "simulator-secret-0123456789"
TOKEN = "simulator-netelip-token-0123"
START = 1_760_000_000.0


def scenario(**options) -> sim.Scenario:
	config = sim.Config(**{"conversations": 4, "messages": 2, "replies": 2, "calls": 6, **options})
	return sim.build(config, secrets=SECRET, netelip_token=TOKEN, netelip_application="API sim", start=START)


def rendered(s: sim.Scenario) -> list[bytes]:
	return [d.render(START) for d in s.stream]


class Receiver(FakeServer):
	name = "receiver"

	def __init__(
		self, answers: list[int] | None = None, body: dict | None = None, headers: dict | None = None
	):
		super().__init__()
		self.received: list[Request] = []
		self.answers = list(answers or [])
		self.body = body or {"success": True}
		self.headers = headers or {}

	def route(self, request: Request) -> Response:
		with self._lock:
			self.received.append(request)
			status = self.answers.pop(0) if self.answers else 200
		return Response(status, self.body, dict(self.headers))

	def default_error_body(self, fault):
		return {}

	def reset_state(self):
		self.received.clear()

	def state(self):
		return {}


@pytest.fixture
def receiver():
	server = Receiver().start()
	yield server
	server.stop()


def test_same_seed_same_bytes_other_seed_other_ids():
	assert rendered(scenario(seed=7, duplicates=0.3, reorder=True)) == rendered(
		scenario(seed=7, duplicates=0.3, reorder=True)
	)
	ids_7 = {mid for _, mid in scenario(seed=7).messages}
	ids_8 = {mid for _, mid in scenario(seed=8).messages}
	assert ids_7.isdisjoint(ids_8)
	assert set(scenario(seed=7).calls).isdisjoint(scenario(seed=8).calls)


def test_sizes_and_one_inbox_key_per_delivery():
	s = scenario(sessions=2)
	assert len(s.sessions) == 2 and all(x.startswith("sim_0_") for x in s.sessions)
	assert len(s.messages) == 4 * (2 + 2)
	kinds = Counter(d.kind for d in s.deliveries)
	assert kinds["message.received"] == 8 and kinds["message.sent"] == 8 and kinds["message.ack"] == 24
	assert kinds["session.qr"] == kinds["session.connected"] == 2
	assert kinds["call.report"] == 6
	keys = [k for d in s.deliveries for k in d.dedup_keys]
	assert len(keys) == len(set(keys)) == len(s.deliveries)
	assert s.stream == s.deliveries  # no switches: causal order, nothing twice


def test_inbox_hub_bodies_are_signed_fresh_and_parse_to_their_key():
	s = scenario()
	now = time.time()
	for delivery in (d for d in s.stream if d.provider == "Inbox Hub"):
		body = delivery.render(now)
		headers = delivery.headers(body, now)
		assert signature_matches(body, headers["X-Webhook-Signature"], [SECRET])
		assert is_fresh(headers["X-Webhook-Timestamp"], now, 300)
		assert is_fresh(json.loads(body)["timestamp"], now, 300)
		parsed = ih.parse(body, headers["X-Webhook-Event"], headers["X-Webhook-Session"])
		assert not isinstance(parsed.event, ih.Ignored), delivery.kind
		assert (parsed.dedup_key,) == delivery.dedup_keys


def test_netelip_bodies_carry_the_token_and_parse_to_their_keys():
	for delivery in (d for d in scenario().stream if d.provider == "Netelip"):
		assert parse_qs(urlsplit(delivery.path).query) == {"token": [TOKEN]}
		if delivery.kind == "call.control":
			event = ne.parse_control({k: v[0] for k, v in parse_qs(delivery.body.decode()).items()})
			assert (ne.dedup_key(event),) == delivery.dedup_keys
		else:
			assert delivery.content_type.startswith("multipart/form-data; boundary=")
			assert b'name="calls"' in delivery.body


def test_expected_final_states_agree_with_the_merge_rules_in_any_order():
	s = scenario(seed=3, reorder=True, late_acks=True, duplicates=0.5)
	states: dict[str, ms.DeliveryState] = defaultdict(ms.DeliveryState)
	calls: dict[str, cs.CallSnapshot] = defaultdict(cs.CallSnapshot)
	for delivery in s.stream:  # the order the site will see, retries included
		body = delivery.render(START)
		if delivery.provider == "Inbox Hub":
			event = ih.parse(body, delivery.kind, delivery.session_id).event
			if isinstance(event, ih.MessageEvent):
				first = ms.MessageStatus.SENT if event.from_me else ms.MessageStatus.DELIVERED
				update = ms.StatusUpdate(event.status or first, event.timestamp)
				states[event.message_id] = ms.apply_status(states[event.message_id], update)
			elif isinstance(event, ih.StatusEvent):
				update = ms.StatusUpdate(event.status, event.timestamp, event.raw_ack)
				states[event.message_id] = ms.apply_status(states[event.message_id], update)
		elif delivery.kind == "call.control":
			event = ne.parse_control({k: v[0] for k, v in parse_qs(body.decode()).items()})
			calls[event.call_id] = cs.apply(calls[event.call_id], update_from_event(event))
		else:
			report = body.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
			for event in ne.read_report({"calls": report.decode()}).events:
				calls[event.call_id] = cs.apply(calls[event.call_id], update_from_event(event))
	assert {mid: str(state.status) for mid, state in states.items()} == {
		mid: status for (_, mid), status in s.messages.items()
	}
	assert {cid: str(snap.state) for cid, snap in calls.items()} == s.calls
	assert set(s.calls.values()) <= {"Completed", "No Answer", "Busy"}


def test_baileys_scale_acks_also_end_read():
	s = scenario(ack_scale="baileys", calls=0)
	acks = [json.loads(d.render(START))["data"]["ack"] for d in s.deliveries if d.kind == "message.ack"]
	assert set(acks) == {2, 3, 4}
	for delivery in (d for d in s.deliveries if d.kind == "message.ack"):
		event = ih.parse(delivery.render(START), scale=ms.AckScale.BAILEYS).event
		assert event.status in (ms.MessageStatus.SENT, ms.MessageStatus.DELIVERED, ms.MessageStatus.READ)


def test_switches_change_order_and_count_only():
	plain = scenario(seed=5)
	shuffled = scenario(seed=5, reorder=True)
	assert Counter(d.seq for d in shuffled.stream) == Counter(d.seq for d in plain.stream)
	assert [d.seq for d in shuffled.stream] != [d.seq for d in plain.stream]

	late = scenario(seed=5, late_acks=True)
	tail = late.stream[-sum(d.kind == "message.ack" for d in late.deliveries) :]
	assert all(d.kind == "message.ack" for d in tail)
	assert [d.kind for d in late.stream[: -len(tail)]].count("message.ack") == 0

	retried = scenario(seed=5, duplicates=0.4)
	assert retried.retries > 0 and len(retried.stream) == len(retried.deliveries) + retried.retries
	for delivery, times in Counter(retried.stream).items():
		if times > 1:
			first = retried.stream.index(delivery)
			assert retried.stream[first].render(time.time()) == delivery.render(time.time() + 50)


def test_bad_configs_are_refused():
	with pytest.raises(ValueError):
		sim.Config(duplicates=1.5)
	with pytest.raises(ValueError):
		sim.Config(sessions=0)
	with pytest.raises(ValueError):
		sim.build(sim.Config(calls=1), secrets=SECRET)
	with pytest.raises(ValueError):
		sim.build(sim.Config(), secrets={"other": SECRET})


@pytest.mark.parametrize("name", sorted(sim.LIMITS))
def test_every_size_has_a_ceiling(name):
	# the others small, so that the total stays within MAX_DELIVERIES
	small = {"conversations": 1, "messages": 1, "replies": 0, "session_events": False}
	sim.Config(**{**small, name: sim.LIMITS[name]})
	with pytest.raises(ValueError):
		sim.Config(**{**small, name: sim.LIMITS[name] + 1})
	with pytest.raises(ValueError):
		sim.Config(**{**small, name: -1})


def test_the_whole_scenario_is_bounded_before_it_is_built():
	within = sim.Config(conversations=sim.MAX_DELIVERIES // 4, messages=2, replies=0, session_events=False)
	assert within.deliveries == sim.MAX_DELIVERIES // 2
	with pytest.raises(ValueError, match="deliveries"):
		sim.Config(conversations=sim.LIMITS["conversations"], messages=2, replies=1)
	big = sim.Config(conversations=5_000, messages=3, replies=2, calls=10)
	assert big.deliveries >= len(sim.build(big, secrets=SECRET, netelip_token=TOKEN, start=START).deliveries)


@pytest.mark.parametrize("prefix", ["", "%", "_", "si", "sim%", "a b_", "ñam_", "x" * 41, "_sim"])
def test_prefixes_that_could_match_other_rows_are_refused(prefix):
	with pytest.raises(ValueError, match="prefix"):
		sim.Config(session_prefix=prefix)


def test_a_limit_builds_whole_conversations_only_up_to_it():
	config = sim.Config(conversations=50, messages=2, replies=2, calls=0)
	full = sim.build(config, secrets=SECRET, start=START)
	per_conversation = 2 + 2 * 4  # two inbound, two replies with three acks each
	cut = sim.build(config, secrets=SECRET, start=START, limit=2 + 3 * per_conversation + 5)
	assert cut.truncated and not full.truncated
	assert len(cut.deliveries) == 2 + 3 * per_conversation  # the session's two events, three conversations
	assert len(cut.messages) == 3 * 4
	assert "truncated" in cut.describe()
	# what was built is exactly the start of the full scenario, expectations included
	assert [d.render(START) for d in cut.deliveries] == [
		d.render(START) for d in full.deliveries[: len(cut.deliveries)]
	]
	assert all(full.messages[k] == v for k, v in cut.messages.items())


def test_retries_are_spread_in_one_pass_and_follow_their_first_sending():
	s = sim.build(
		sim.Config(conversations=3000, messages=1, replies=0, session_events=False, duplicates=0.5),
		secrets=SECRET,
		start=START,
	)
	firsts: dict[int, int] = {}  # seq → how many first sendings had gone out before it
	for delivery in s.stream:
		if delivery.seq not in firsts:
			firsts[delivery.seq] = len(firsts)
		else:  # a retry: a few other first sendings after its own, never before it
			assert len(firsts) - 1 - firsts[delivery.seq] < sim.RETRY_SPREAD
	assert 0.45 < s.retries / len(s.deliveries) < 0.55
	assert Counter(Counter(d.seq for d in s.stream).values()) == {
		1: len(s.deliveries) - s.retries,
		2: s.retries,
	}


def _resolving(monkeypatch, table: dict[str, list[str]]):
	"""Names resolve as `table` says (addresses are left to the real resolver)."""
	real = socket.getaddrinfo

	def fake(host, port, *args, **kwargs):
		if host in table:
			return [(None, None, None, "", (address, port)) for address in table[host]]
		try:
			ipaddress.ip_address(host)
		except ValueError:
			raise OSError("no such host") from None
		return real(host, port, *args, **kwargs)

	monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
	("url", "loopback"),
	[
		("http://127.0.0.1:8000", True),
		("http://127.5.6.7", True),
		("http://[::1]:8000", True),
		("http://localhost:8000", True),
		("http://perf.localhost:8000", True),
		("http://evil.localhost:8000", False),  # a .localhost name is judged by where it resolves
		("http://mixed.localhost:8000", False),  # one remote address is one too many
		("http://nowhere.localhost:8000", False),  # does not resolve
		("http://10.0.0.1", False),
		("https://example.com", False),
		("ftp://127.0.0.1", False),
		("not a url", False),
	],
)
def test_loopback_check(monkeypatch, url, loopback):
	_resolving(
		monkeypatch,
		{
			"localhost": ["127.0.0.1", "::1"],
			"perf.localhost": ["127.0.0.1"],
			"evil.localhost": ["203.0.113.7"],
			"mixed.localhost": ["127.0.0.1", "198.51.100.2"],
			"example.com": ["93.184.215.14"],
		},
	)
	assert sim.is_loopback(url) is loopback


def test_the_request_goes_to_the_address_checked_with_the_name_as_host(monkeypatch, receiver):
	port = int(receiver.url.rsplit(":", 1)[1])
	_resolving(monkeypatch, {"perf.localhost": ["127.0.0.1"]})
	assert sim.pin(f"http://perf.localhost:{port}/") == (f"http://127.0.0.1:{port}", f"perf.localhost:{port}")
	result = sim.send(scenario(calls=0).stream[:2], f"http://perf.localhost:{port}")
	assert result.accepted == 2
	assert {r.header("Host") for r in receiver.received} == {f"perf.localhost:{port}"}
	case = hostile.hostile_requests("sim_h_1", SECRET, TOKEN)[0]
	assert hostile.post_hostile(f"http://perf.localhost:{port}", case) == 200


def test_remote_targets_are_always_refused(monkeypatch):
	_resolving(monkeypatch, {"evil.localhost": ["203.0.113.7"]})
	for url in ("http://192.0.2.1:9", "http://evil.localhost:9"):
		with pytest.raises(sim.NotLoopback):
			sim.send(scenario().stream, url)
		with pytest.raises(sim.NotLoopback):
			hostile.post_hostile(url, hostile.hostile_requests("sim_h_1", SECRET, TOKEN)[0])
	assert "allow_remote" not in sim.send.__code__.co_varnames


def test_redirects_are_not_followed():
	target = Receiver().start()
	bouncer = Receiver(answers=[307] * 10, headers={"Location": target.url + "/elsewhere"}).start()
	try:
		result = sim.send(scenario(calls=0).stream[:3], bouncer.url, provider_retries=2, retry_delay=0.01)
		assert (result.rejected, result.accepted, result.provider_retries) == (3, 0, 0)
		status = hostile.post_hostile(bouncer.url, hostile.hostile_requests("sim_h_1", SECRET, TOKEN)[0])
		assert status == 307
		assert target.received == []
	finally:
		bouncer.stop()
		target.stop()


def test_proxies_from_the_environment_are_ignored(monkeypatch, receiver):
	monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.1:9")
	monkeypatch.setenv("http_proxy", "http://192.0.2.1:9")
	monkeypatch.delenv("NO_PROXY", raising=False)
	monkeypatch.delenv("no_proxy", raising=False)
	result = sim.send(scenario(calls=0).stream[:2], receiver.url, timeout=2)
	assert result.accepted == 2 and len(receiver.received) == 2


def test_simulated_call_ids_carry_their_prefix():
	ours = scenario(calls=5)
	other = sim.build(
		sim.Config(calls=5, session_prefix="bench_", conversations=0),
		secrets=SECRET,
		netelip_token=TOKEN,
		start=START,
	)
	pattern = re.compile(sim.sim_call_pattern("sim_"))
	assert all(pattern.fullmatch(c) for c in ours.calls)
	assert sim.prefix_tag("sim_") != sim.prefix_tag("bench_")
	assert not any(pattern.fullmatch(c) for c in other.calls)
	assert not pattern.fullmatch("1525291061.0500")  # what Netelip's own ids look like
	assert all(ne.is_valid_call_id(c) for c in ours.calls)


def test_sends_everything_in_order_with_one_thread(receiver):
	s = scenario(calls=2)
	result = sim.send(s.stream, receiver.url, concurrency=1, site="perf.localhost")
	assert (result.sent, result.accepted, result.unsent, result.stopped_by) == (
		len(s.stream),
		len(s.stream),
		0,
		"done",
	)
	paths = [r.raw_path for r in receiver.received]
	assert paths == [urlsplit(d.path).path for d in s.stream]
	assert all(r.header("X-Frappe-Site-Name") == "perf.localhost" for r in receiver.received)
	first_ih = next(r for r in receiver.received if r.header("X-Webhook-Signature"))
	assert signature_matches(first_ih.body, first_ih.header("X-Webhook-Signature"), [SECRET])


def test_count_and_duration_bounds(receiver):
	stream = scenario(conversations=20).stream
	by_count = sim.send(stream, receiver.url, max_count=7, concurrency=3)
	assert (by_count.sent, by_count.stopped_by) == (7, "count")
	assert len(receiver.received) == 7
	started = time.monotonic()
	by_time = sim.send(stream, receiver.url, rate=10, max_duration=0.5, concurrency=2)
	assert by_time.stopped_by == "duration"
	assert by_time.sent == 5  # one every 0.1 s, none scheduled past the deadline
	assert time.monotonic() - started < 5


def test_rate_spaces_the_deliveries(receiver):
	stream = scenario(conversations=2, messages=1, replies=0, session_events=False, calls=0).stream
	started = time.monotonic()
	result = sim.send(stream, receiver.url, rate=20, concurrency=2)
	assert result.sent == 2
	assert time.monotonic() - started >= 1 / 20


def test_provider_retries_5xx_with_the_same_body():
	server = Receiver(answers=[503, 503]).start()
	try:
		delivery = scenario(calls=0).stream[0]
		result = sim.send([delivery], server.url, provider_retries=3, retry_delay=0.01)
		assert (result.sent, result.provider_retries, result.accepted, result.failed) == (3, 2, 1, 0)
		bodies = {r.body for r in server.received}
		assert len(bodies) == 1
	finally:
		server.stop()


def test_duplicate_answers_are_counted():
	server = Receiver(body={"success": True, "duplicate": True}).start()
	try:
		result = sim.send(scenario(calls=0).stream[:3], server.url)
		assert result.duplicate_answers == 3
	finally:
		server.stop()


def test_resent_counts_stream_duplicates_and_provider_retries():
	s = scenario(calls=0, duplicates=0.4, seed=9)
	server = Receiver(answers=[503]).start()
	try:
		result = sim.send(s.stream, server.url, provider_retries=1, retry_delay=0.01, concurrency=1)
		assert result.provider_retries == 1
		assert result.resent == s.retries + 1
		assert result.sent == len(s.stream) + 1
	finally:
		server.stop()


def test_hostile_corpus_is_refusable():
	cases = hostile.hostile_requests("sim_h_1", SECRET, TOKEN, now=START)
	assert len({c.label for c in cases}) == len(cases)
	for case in cases:
		if case.path != sim.WEBHOOK_PATH or case.stores or case.raw_head is not None:
			continue
		signature = case.headers.get("X-Webhook-Signature")
		fresh = is_fresh(case.headers.get("X-Webhook-Timestamp"), START, 300)
		too_big = len(case.body) > 1024 * 1024
		try:
			envelope_fresh = is_fresh(json.loads(case.body).get("timestamp"), START, 300)
			mismatch = case.headers.get("X-Webhook-Session") not in (None, json.loads(case.body)["sessionId"])
		except ValueError:
			envelope_fresh, mismatch = True, False
		assert (
			not signature_matches(case.body, signature, [SECRET])
			or not fresh
			or not envelope_fresh
			or mismatch
			or too_big
		), case.label


def test_forged_netelip_origins_carry_the_real_token_and_claim_an_allowed_address():
	cases = hostile.forged_netelip_origins(TOKEN, netelip_application="API sim", now=START)
	allowed = ipaddress.ip_network(hostile.ALLOWLIST_WITHOUT_US)
	assert not any(ipaddress.ip_address(a) in allowed for a in ("127.0.0.1", "::1"))
	for case in cases:
		assert parse_qs(urlsplit(case.path).query) == {"token": [TOKEN]}
		claimed = case.headers.get("X-Forwarded-For")
		assert claimed is None or all(ipaddress.ip_address(h.strip()) in allowed for h in claimed.split(","))


def test_raw_hostile_requests_reach_a_server(receiver):
	raw = [c for c in hostile.hostile_requests("sim_h_1", SECRET, TOKEN) if c.raw_head]
	assert raw
	for case in raw:
		status = hostile.post_hostile(receiver.url, case)
		assert status is None or 200 <= status < 600


def test_sending_is_thread_safe_under_concurrency(receiver):
	s = scenario(conversations=30, duplicates=0.2)
	seen = []
	lock = threading.Lock()

	def note(delivery, status, took):
		with lock:
			seen.append(delivery.seq)

	result = sim.send(s.stream, receiver.url, concurrency=8, on_answer=note)
	assert result.sent == len(s.stream) == len(receiver.received) == len(seen)
	assert Counter(seen) == Counter(d.seq for d in s.stream)


def test_deliveries_and_hostile_requests_keep_secrets_out_of_their_repr():
	"""The simulate command plays a site's real secrets and callback token: nothing printed or logged shows them."""
	s = scenario(calls=2)
	shown = " ".join(repr(d) for d in s.stream)
	shown += " ".join(repr(c) for c in hostile.hostile_requests("sim_h_1", SECRET, TOKEN))
	assert SECRET not in shown and TOKEN not in shown


def test_with_edits_customers_edit_their_first_message_and_delete_their_last():
	s = scenario(edits=True, calls=0, seed=9)
	assert len(s.deliveries) == s.config.deliveries == 4 * (2 + 2 * 4 + 2) + 2
	events = [ih.parse(d.render(START), d.kind, d.session_id) for d in s.deliveries]
	received = [p.event for p in events if isinstance(p.event, ih.MessageEvent) and not p.event.from_me]
	changes = [p.event for p in events if isinstance(p.event, ih.ChangeEvent)]
	firsts, lasts = received[0::2], received[1::2]
	assert [c.target_message_id for c in changes if c.kind == ih.Change.EDIT] == [
		m.message_id for m in firsts
	]
	assert [c.target_message_id for c in changes if c.kind == ih.Change.DELETE] == [
		m.message_id for m in lasts
	]
	for change, message in zip(changes[0::2], firsts, strict=True):
		assert (change.chat_jid, change.from_me, change.body) == (
			message.chat_jid,
			False,
			f"{message.body} (editado)",
		)
	assert len({p.dedup_key for p in events}) == len(events)
	assert scenario(calls=0, seed=9).config.changes == 0
