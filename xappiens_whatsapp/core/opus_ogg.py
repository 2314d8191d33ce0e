"""WebM/Opus (what Chromium's MediaRecorder makes) rewritten as Ogg/Opus (what WhatsApp plays as a voice note),
without decoding: the Opus packets are taken out of the Matroska blocks and put into Ogg pages (RFC 7845)."""

from __future__ import annotations

import struct

EBML_HEADER = 0x1A45DFA3
# Master elements read through (their children follow inline, whatever size they declare, known or not).
_CONTAINERS = {
	0x18538067,  # Segment
	0x1F43B675,  # Cluster
	0x1654AE6B,  # Tracks
	0xAE,  # TrackEntry
	0xE1,  # Audio
	0xA0,  # BlockGroup
}
_TRACK_NUMBER, _CODEC_ID, _CODEC_PRIVATE, _CHANNELS = 0xD7, 0x86, 0x63A2, 0x9F
_SIMPLE_BLOCK, _BLOCK = 0xA3, 0xA1
OGG_SERIAL = 0x5857_4F50
PACKETS_PER_PAGE = 50


class NotWebmOpus(ValueError):
	"""The bytes are not a WebM file with an Opus track."""


def is_webm(content: bytes) -> bool:
	return content[:4] == struct.pack(">I", EBML_HEADER)


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool]:
	"""(value, next position, all value bits set) of the EBML variable-length integer at `pos`."""
	if pos >= len(data):
		raise NotWebmOpus("truncated")
	first = data[pos]
	length = 1
	while length <= 8 and not first & (0x80 >> (length - 1)):
		length += 1
	if length > 8 or pos + length > len(data):
		raise NotWebmOpus("bad variable-length integer")
	value = first if keep_marker else first & (0xFF >> length)
	for byte in data[pos + 1 : pos + length]:
		value = (value << 8) | byte
	unknown = not keep_marker and value == (1 << (7 * length)) - 1
	return value, pos + length, unknown


def opus_packets(webm: bytes) -> tuple[bytes | None, int, list[bytes]]:
	"""(OpusHead from CodecPrivate or None, channels, the Opus packets of the first Opus track, in order)."""
	if not is_webm(webm):
		raise NotWebmOpus("not a WebM file")
	pos, track, opus_track, head, channels = 0, None, None, None, 1
	packets: list[bytes] = []
	while pos < len(webm):
		element, pos, _ = _vint(webm, pos, keep_marker=True)
		size, pos, unknown = _vint(webm, pos, keep_marker=False)
		if element in _CONTAINERS:
			continue
		if unknown:
			raise NotWebmOpus("an element of unknown size that is not a container")
		payload = webm[pos : pos + size]
		pos += size
		if element == _TRACK_NUMBER:
			track = int.from_bytes(payload, "big")
		elif element == _CODEC_ID and payload.rstrip(b"\0") == b"A_OPUS" and opus_track is None:
			opus_track = track
		elif element == _CODEC_PRIVATE and payload.startswith(b"OpusHead"):
			head = payload
		elif element == _CHANNELS:
			channels = int.from_bytes(payload, "big") or 1
		elif element in (_SIMPLE_BLOCK, _BLOCK) and payload:
			number, start, _ = _vint(payload, 0, keep_marker=False)
			flags = payload[start + 2] if len(payload) > start + 2 else 0
			if flags & 0x06:
				raise NotWebmOpus("laced blocks are not supported")
			if opus_track is not None and number == opus_track:
				packets.append(payload[start + 3 :])
	if opus_track is None:
		raise NotWebmOpus("no Opus track")
	return head, channels, packets


def samples(packet: bytes) -> int:
	"""Samples at 48 kHz that an Opus packet decodes to (RFC 6716, 3.1)."""
	if not packet:
		return 0
	config = packet[0] >> 3
	if config < 12:
		per_frame = (480, 960, 1920, 2880)[config % 4]
	elif config < 16:
		per_frame = (480, 960)[config % 2]
	else:
		per_frame = (120, 240, 480, 960)[config % 4]
	code = packet[0] & 0x03
	frames = 1 if code == 0 else 2 if code in (1, 2) else (packet[1] & 0x3F if len(packet) > 1 else 0)
	return per_frame * frames


def _crc_table() -> list[int]:
	table = []
	for byte in range(256):
		crc = byte << 24
		for _ in range(8):
			crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
		table.append(crc & 0xFFFFFFFF)
	return table


_CRC = _crc_table()


def ogg_crc(data: bytes) -> int:
	crc = 0
	for byte in data:
		crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ byte]
	return crc


def _page(packets: list[bytes], granule: int, sequence: int, flags: int) -> bytes:
	lacing = bytearray()
	for packet in packets:
		lacing.extend([255] * (len(packet) // 255))
		lacing.append(len(packet) % 255)
	header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, OGG_SERIAL, sequence, 0, len(lacing))
	page = header + bytes(lacing) + b"".join(packets)
	return page[:22] + struct.pack("<I", ogg_crc(page)) + page[26:]


def _pages_of(packets: list[bytes]) -> list[list[bytes]]:
	"""Packets grouped into pages of at most PACKETS_PER_PAGE packets and 255 lacing values."""
	groups: list[list[bytes]] = [[]]
	lacing = 0
	for packet in packets:
		needed = len(packet) // 255 + 1
		if groups[-1] and (len(groups[-1]) >= PACKETS_PER_PAGE or lacing + needed > 255):
			groups.append([])
			lacing = 0
		groups[-1].append(packet)
		lacing += needed
	return groups


def webm_to_ogg(webm: bytes) -> bytes:
	head, channels, packets = opus_packets(webm)
	if head is None:
		head = b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 312, 48000, 0, 0)
	tags = b"OpusTags" + struct.pack("<I", 17) + b"xappiens-whatsapp" + struct.pack("<I", 0)
	pages = [_page([head], 0, 0, 0x02), _page([tags], 0, 1, 0)]
	granule = 0
	groups = _pages_of(packets)
	for index, group in enumerate(groups):
		granule += sum(samples(p) for p in group)
		last = index == len(groups) - 1
		pages.append(_page(group, granule, index + 2, 0x04 if last else 0))
	return b"".join(pages)
