"""Faults a test web server can be started with (XW_FAULT, read by tests/wsgi.py), to see what the app and Frappe
record when something breaks where secrets are in reach."""

import hmac


class _BrokenHmac:
	"""The hmac module, but comparing digests fails: an error in the middle of signature verification."""

	def __getattr__(self, name):
		return getattr(hmac, name)

	@staticmethod
	def compare_digest(a, b):
		raise RuntimeError("signature comparison broke")


def inject(name: str) -> None:
	if name == "verify":
		from xappiens_whatsapp.core import signatures

		signatures.hmac = _BrokenHmac()
	elif name == "store":
		from xappiens_whatsapp.pipeline.inbox import ingress

		def accept(**values):
			raise RuntimeError("storing a verified delivery broke")

		ingress.accept = accept
	elif name:
		raise ValueError(f"unknown fault {name!r}")
