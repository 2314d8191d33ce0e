"""Which kind of WhatsApp message a file makes, by its MIME type."""

MEDIA_KINDS = ("image", "video", "audio")


def media_kind(mimetype: str | None) -> str:
	"""image, video or audio by the MIME type's major part; anything else goes as a document."""
	major = (mimetype or "").split("/", 1)[0]
	return major if major in MEDIA_KINDS else "document"
