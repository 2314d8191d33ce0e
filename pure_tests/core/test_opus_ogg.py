"""WebM/Opus rewritten as Ogg/Opus: the same packets, in valid pages, with the right sample counts."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.opus_ogg import NotWebmOpus, ogg_crc, opus_packets, samples, webm_to_ogg

HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)


def element(element_id: int, payload: bytes, unknown_size: bool = False) -> bytes:
	id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
	if unknown_size:
		return id_bytes + b"\x01\xff\xff\xff\xff\xff\xff\xff" + payload
	return id_bytes + (0x0100000000000000 | len(payload)).to_bytes(8, "big") + payload


def webm(packets: list[bytes], with_head: bool = True) -> bytes:
	entry = element(0xD7, b"\x01") + element(0x86, b"A_OPUS") + element(0xE1, element(0x9F, b"\x01"))
	if with_head:
		entry += element(0x63A2, HEAD)
	blocks = b"".join(
		element(0xA3, b"\x81" + struct.pack(">h", 20 * i) + b"\x80" + p) for i, p in enumerate(packets)
	)
	cluster = element(0x1F43B675, element(0xE7, b"\x00") + blocks, unknown_size=True)
	segment = element(0x18538067, element(0x1654AE6B, element(0xAE, entry)) + cluster, unknown_size=True)
	return element(0x1A45DFA3, element(0x4282, b"webm")) + segment


def read_pages(ogg: bytes) -> list[dict]:
	pages, pos = [], 0
	while pos < len(ogg):
		assert ogg[pos : pos + 4] == b"OggS"
		_, flags, granule, _, sequence, crc, count = struct.unpack("<BBqIIIB", ogg[pos + 4 : pos + 27])
		lacing = list(ogg[pos + 27 : pos + 27 + count])
		size = 27 + count + sum(lacing)
		raw = ogg[pos : pos + size]
		assert ogg_crc(raw[:22] + b"\0\0\0\0" + raw[26:]) == crc
		packets, body, current = [], raw[27 + count :], b""
		for value in lacing:
			current += body[:value]
			body = body[value:]
			if value < 255:
				packets.append(current)
				current = b""
		pages.append({"flags": flags, "granule": granule, "sequence": sequence, "packets": packets})
		pos += size
	return pages


def test_a_recording_becomes_an_ogg_opus_voice_note():
	packets = [b"\xf8" + bytes(i) for i in (60, 300, 10)]  # CELT 20 ms, one frame each
	ogg = webm_to_ogg(webm(packets))
	pages = read_pages(ogg)
	assert pages[0]["packets"] == [HEAD] and pages[0]["flags"] == 0x02
	assert pages[1]["packets"][0].startswith(b"OpusTags")
	assert [p for page in pages[2:] for p in page["packets"]] == packets
	assert pages[-1]["flags"] == 0x04 and pages[-1]["granule"] == 3 * 960
	assert [p["sequence"] for p in pages] == list(range(len(pages)))


def test_a_missing_opus_head_is_made():
	head, channels, packets = opus_packets(webm([b"\xf8\x00"], with_head=False))
	assert (head, channels, packets) == (None, 1, [b"\xf8\x00"])
	assert read_pages(webm_to_ogg(webm([b"\xf8\x00"], with_head=False)))[0]["packets"][0].startswith(
		b"OpusHead"
	)


def test_sample_counts_follow_the_toc_byte():
	assert samples(bytes([0xF8])) == 960  # CELT 20 ms
	assert samples(bytes([0x08])) == 960  # SILK 20 ms (config 1)
	assert samples(bytes([0xFB, 0x03])) == 3 * 960  # code 3: three frames
	assert samples(bytes([0x79])) == 2 * 960  # hybrid 20 ms, two frames


@pytest.mark.parametrize("content", [b"OggS....", b"", b"\x1aE\xdf\xa3\x81"])
def test_what_is_not_webm_opus_is_refused(content):
	with pytest.raises(NotWebmOpus):
		webm_to_ogg(content)


@given(st.lists(st.binary(min_size=1, max_size=1300), min_size=1, max_size=120))
def test_every_packet_survives_in_order_in_valid_pages(packets):
	packets = [b"\xf8" + p for p in packets]
	pages = read_pages(webm_to_ogg(webm(packets)))
	assert [p for page in pages[2:] for p in page["packets"]] == packets
	assert pages[-1]["granule"] == 960 * len(packets)
